"""How an instance's title reads: one function for the pages, the files and the API's readers.

The stored title is Russian (rendered from the process's ``title`` template when it started); in
another language the template is translated and rendered again over the instance's variables. The
quarters read in words («I квартал 2027 г.», "Q1 2027"), and the process's name stands in front only
when the title does not already begin with it (never «Торговые условия — Торговые условия на …»).

An assignment's title is stored Russian too (rendered from its task's name when it opened) and reads
the same way: the task's name translated and rendered again over its instance's variables.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from base import words
from engine.definitions import model_for
from engine.expressions import ExpressionError, render


def instance_title(instance: Any) -> str:
    """An instance as its lists, crumbs and files name it (see the module's docstring)."""
    name = str(gettext(instance.process.definition.name))
    title = words.quarters_in(_translated(instance))
    if not title or title == name or title.startswith(name):
        return title or name
    return f"{name} — {title}"


def assignment_title(assignment: Any) -> str:
    """An assignment as its lists, pages and notices name it, in the reader's language.

    Never a query of its own: the instance (with its process version) is used only when the list
    loaded it (``select_related("instance__process")``, as every list does); otherwise the stored
    title is shown, with its quarters in words.
    """
    stored = assignment.title or ""
    if words.in_site_language() or not _instance_at_hand(assignment):
        return words.quarters_in(stored)
    instance = assignment.instance
    task = model_for(instance.process).user_tasks.get(assignment.key)
    return words.quarters_in(_rendered(task.title if task else "", instance.variables, stored))


def _instance_at_hand(assignment: Any) -> bool:
    fields = type(assignment)._meta
    instance_field = fields.get_field("instance")
    if not instance_field.is_cached(assignment):
        return False
    instance = assignment.instance
    return type(instance)._meta.get_field("process").is_cached(instance)


def _rendered(template: str, variables: Any, stored: str) -> str:
    if not template:
        return stored
    try:
        return render(gettext(template), variables or {}) or stored
    except ExpressionError:
        return stored


def _translated(instance: Any) -> str:
    stored = instance.title or ""
    if words.in_site_language():
        return stored
    return _rendered(model_for(instance.process).properties.get("title", ""), instance.variables, stored)
