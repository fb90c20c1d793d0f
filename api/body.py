"""What JSON the API reads: one check of every request body and query string, before any schema.

Every body of this API is a JSON object (``{"variables": ...}``, ``{"data": ...}``, a card...):
anything else is refused here, so a bare number can no longer pass a schema by its defaults. The
whole body is walked once: nesting deeper than :data:`MAX_DEPTH` (a start nested 900 deep used to
overflow the stack further in) and strings a database cannot store (``base.texts.unstorable``: a
NUL character, a lone surrogate), in keys as in values, are refused with the path of the value as
the field, so every endpoint, the free-form ones included, answers 400 with a sentence. A body
past Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused before it is read (:func:`too_big`).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from base.errors import Invalid
from base.texts import unstorable

#: The deepest nesting of a body: an object in a list in a form field in ``data`` is 4.
MAX_DEPTH = 10
#: How many problems one answer lists: enough to fix a body, not a copy of a hostile one.
MAX_PROBLEMS = 20

WHOLE = "__all__"


class JsonParser(Parser):
    """ninja's parser with the checks above; a refusal is :class:`~base.errors.Invalid`."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as error:
            # UnicodeDecodeError is a ValueError too; RecursionError: nesting past the C parser.
            detail = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
            raise Invalid({WHOLE: [_("Тело запроса — не JSON (%(detail)s).") % {"detail": detail}]}) from None
        if not isinstance(data, dict):
            raise Invalid({WHOLE: [_("Тело запроса должно быть объектом JSON: {…}.")]})
        problems: dict[str, list[str]] = {}
        _walk(data, "", 1, problems)
        if problems:
            raise Invalid(problems)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        problems: dict[str, list[str]] = {}
        for key, values in data.lists():
            if unstorable(key):  # a name that cannot be shown back names no field
                problems.setdefault(WHOLE, []).append(unstorable(key) or "")
                continue
            # uploaded files (multipart) come through here too: their bytes are the files room's
            found = [problem for value in values if isinstance(value, str) and (problem := unstorable(value))]
            if found:
                problems[key] = found[:1]
        if problems:
            raise Invalid(problems)
        return super().parse_querydict(data, list_fields, request)


def _walk(value: Any, path: str, depth: int, problems: dict[str, list[str]]) -> None:
    if len(problems) >= MAX_PROBLEMS:
        return
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            problems.setdefault(path or WHOLE, []).append(problem)
        return
    if not isinstance(value, (dict, list)):
        return
    if depth > MAX_DEPTH:
        problems.setdefault(path or WHOLE, []).append(
            _("Слишком глубокая вложенность: не больше %(n)s уровней.") % {"n": MAX_DEPTH}
        )
        return
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = str(key)
        inner = f"{path}.{name}" if path else name
        problem = unstorable(name) if isinstance(key, str) else None
        if problem:
            problems.setdefault(path or WHOLE, []).append(problem)
            continue
        _walk(item, inner, depth + 1, problems)


def too_big() -> Invalid:
    """The refusal of a body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (ninja reads the body before any parser)."""
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
    return Invalid({WHOLE: [_("Слишком большой запрос: не больше %(mb).1f МБ.") % {"mb": megabytes}]})
