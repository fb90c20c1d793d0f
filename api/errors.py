"""The JSON error shape of api.md: ``{"detail": ...}`` and, for form input, ``"errors"`` by field."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def validation_errors(ninja_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Turn pydantic's error list into ``{field: [message]}`` with dotted paths for nested items."""
    result: dict[str, list[str]] = {}
    for error in ninja_errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        key = ".".join(loc) or "__all__"
        result.setdefault(key, []).append(str(error.get("msg", _("Неверное значение."))))
    return result
