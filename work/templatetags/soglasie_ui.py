"""Small template helpers of the people's pages: translated labels from BPMN files, the bell's count,
and the filters of ``base.words`` (names, dates, numbers, quarters, schedules), so a template says
``{{ a.assignee|person }}`` or ``{{ a.due_at|moment }}`` and every page reads the same way."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from base import words
from org.directory import by_usernames

register = template.Library()


@register.filter
def person(who: Any) -> SafeString:
    """``{{ employee|person }}``: the full name, the position as a ``title`` shown on hover. A bare
    username is looked up (one query; lists resolve their people in the view instead)."""
    if isinstance(who, str) and who:
        who = by_usernames([who]).get(who, who)
    title = words.position(who)
    if title:
        return format_html('<span class="person" title="{}">{}</span>', title, words.person(who))
    return format_html("{}", words.person(who))


@register.filter
def day(value: Any) -> str:
    """``{{ d|day }}``: a date in the language's short format (``02.12.2026``)."""
    return words.day(value)


@register.filter
def moment(value: Any) -> str:
    """``{{ a.due_at|moment }}``: an instant in Moscow time, ``02.12.2026 15:00``."""
    return words.moment(value)


@register.filter
def number(value: Any, digits: int = 1) -> str:
    """``{{ x|number }}``: «1 234,5», no «,0» on a whole number."""
    return words.number(value, int(digits))


@register.filter
def hours(value: Any) -> str:
    """``{{ x|hours }}``: «1,5 ч»."""
    return words.hours(value)


@register.filter
def quarters(text: Any) -> str:
    """``{{ instance.title|quarters }}``: «Торговые условия на I квартал 2027 г.» for a stored title."""
    return words.quarters_in(text)


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
