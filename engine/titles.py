"""How an instance's title reads: one function for the pages, the files and the API's readers.

The stored title is Russian (rendered from the process's ``title`` template when it started); in
another language the template is translated and rendered again over the instance's variables. The
quarters read in words («I квартал 2027 г.», "Q1 2027"), and the process's name stands in front only
when the title does not already begin with it (never «Торговые условия — Торговые условия на …»).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import get_language, gettext

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


def _translated(instance: Any) -> str:
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
