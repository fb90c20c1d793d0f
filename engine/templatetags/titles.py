"""``{% load titles %}``: how instances and assignments are named on a page, in the reader's language.

In ``engine`` (which owns the stored titles and the process models they are rendered from) so the
pages of every room above it, ``crm``, ``tasks``, ``work``, may load it. See :mod:`engine.titles`.
"""

from __future__ import annotations

from typing import Any

from django import template

from engine.titles import assignment_title, instance_title

register = template.Library()


@register.filter
def process_title(instance: Any) -> str:
    """``{{ instance|process_title }}``: «Торговые условия на I квартал 2027 г.» (or its English)."""
    return instance_title(instance) if instance is not None else ""


@register.filter
def task_title(assignment: Any) -> str:
    """``{{ a|task_title }}``: the assignment's title in the reader's language, quarters in words."""
    return assignment_title(assignment) if assignment is not None else ""
