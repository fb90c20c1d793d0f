"""Small template helpers of the people's pages: translated labels from BPMN files, the bell's count,
an instance's name in lists. How names, dates and numbers read is ``{% load words %}`` (``org``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language, gettext

from base import words
from engine.definitions import model_for
from engine.expressions import ExpressionError, render

register = template.Library()


@register.filter
def tr(text: Any) -> str:
    """Translate a label that comes from data (a BPMN form label): ``{% translate %}`` takes only literals."""
    return gettext(str(text)) if text else ""


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``errors|get:field_id``: a dictionary lookup by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def contains(values: Any, item: Any) -> bool:
    return isinstance(values, (list, tuple, set)) and item in values


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """Unread notifications of the signed-in person, for the bell in the header (one query)."""
    request = context.get("request")
    employee = getattr(getattr(request, "user", None), "employee", None) if request else None
    if employee is None:
        return 0
    from notify.models import Notification

    return Notification.objects.filter(recipient=employee, read_at__isnull=True).count()


@register.filter
def process_title(instance: Any) -> str:
    """An instance as its lists and crumbs name it: its title with quarters in words («Торговые
    условия на I квартал 2027 г.»), the process's name in front only when the title does not already
    begin with it (never «Торговые условия — Торговые условия на …»).

    The stored title is Russian (rendered at the start); in another language the process's title
    template is translated and rendered again over the instance's variables, so an English reader
    sees "Trade conditions for Q1 2027" rather than the Russian sentence."""
    name = str(gettext(instance.process.definition.name))
    title = words.quarters_in(_translated_title(instance))
    if not title or title == name or title.startswith(name):
        return title or name
    return f"{name} — {title}"


def _translated_title(instance: Any) -> str:
    stored = instance.title or ""
    if (get_language() or settings.LANGUAGE_CODE).split("-")[0] == settings.LANGUAGE_CODE.split("-")[0]:
        return stored
    template = model_for(instance.process).properties.get("title")
    if not template:
        return stored
    try:
        return render(gettext(template), instance.variables or {}) or stored
    except ExpressionError:
        return stored
