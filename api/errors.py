"""The JSON error shape of api.md: ``{"detail": ...}`` and, for form input, ``"errors"`` by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

#: Pydantic's sentences for the bounds the API's parameters declare (``api.schemas``), said in the
#: user's language as they were when each view checked its own ``limit`` and ``offset``.
_BOUNDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "greater_than_equal": lambda ctx: _("Не меньше %(value)s") % {"value": ctx["ge"]},
    "less_than_equal": lambda ctx: _("Не больше %(value)s") % {"value": ctx["le"]},
    "string_too_long": lambda ctx: _("Не больше %(n)s символов") % {"n": ctx["max_length"]},
    "string_pattern_mismatch": lambda ctx: _("Не подходит под образец %(pattern)s") % {"pattern": ctx["pattern"]},
}


def validation_errors(ninja_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Turn pydantic's error list into ``{field: [message]}`` with dotted paths for nested items."""
    result: dict[str, list[str]] = {}
    for error in ninja_errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        key = ".".join(loc) or "__all__"
        result.setdefault(key, []).append(_message(error))
    return result


def _message(error: dict[str, Any]) -> str:
    bound = _BOUNDS.get(error.get("type", ""))
    if bound is not None and error.get("ctx"):
        return bound(error["ctx"])
    return str(error.get("msg", _("Неверное значение.")))
