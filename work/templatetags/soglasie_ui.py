"""Small template helpers of the people's pages: translated labels from BPMN files, the bell's count.
How names, dates and numbers read is ``{% load words %}`` (``org``), how instances and assignments
are named ``{% load titles %}`` (``engine``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

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

