"""``{% load words %}``: the filters of :mod:`base.words` for every room's templates, so a template
says ``{{ a.assignee|person }}`` or ``{{ a.due_at|moment }}`` and every page reads the same way.

In ``org`` (the lowest app with templates' business: people) so the pages of every room above it,
``crm``, ``tasks``, ``notify``, ``work``, ``analytics``, may load it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from base import words
from org.directory import by_usernames

register = template.Library()


@register.filter
def person(who: Any) -> SafeString:
    """``{{ employee|person }}``: the full name, the position as a ``title`` shown on hover. A bare
    username is looked up (one query; a list resolves its people in the view instead)."""
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
def quarter(value: Any) -> str:
    """``{{ "2027-Q1"|quarter }}``: «I квартал 2027 г.»."""
    return words.quarter(value)
