"""Turning an HTML form POST into form data for :func:`engine.actions.complete`, and back.

The naming convention is shared by every template that renders a process form (the generic form
of the assignment page and apps' own ``form_template``\\s such as the counterparty card):

* a field ``id`` is the input ``name=id``;
* ``url_list`` and ``employees`` are repeated inputs with the same name (``getlist``); an item may
  also hold several values separated by spaces or commas (a plain text fallback without JS);
* a ``list`` field is ``name="<id>.<row>.<sub>"``, rows numbered from 0; rows left blank are
  dropped and the rest renumbered, so error keys (``contacts.1.email``) match the rows shown again;
* a ``boolean`` is a checkbox whose value is ``on``;
* names starting with ``_`` and ``csrfmiddlewaretoken``/``confirm_warnings`` are page controls,
  never form data.

Only fields the definition declares are read: the service validates and cleans the values, this
module only undoes the HTML encoding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from engine.forms import FieldDef, FormDefinition, row_key

_TRUE = {"on", "true", "1", "yes", "да"}
_SPLIT = re.compile(r"[,\s]+")


def parse_post(form: FormDefinition, post: QueryDict) -> dict[str, Any]:
    """The form data a POST carries, keyed by field id, in the shapes ``engine.forms.validate`` reads."""
    return {f.id: _parse_field(f, post, f.id) for f in form.fields}


def _parse_field(f: FieldDef, post: QueryDict, name: str) -> Any:
    if f.type == "boolean":
        return post.get(name, "").strip().lower() in _TRUE
    if f.type in ("url_list", "employees"):
        items: list[str] = []
        for raw in post.getlist(name):
            for item in _SPLIT.split(raw.strip()) if f.type == "employees" else raw.split():
                if item and item not in items:
                    items.append(item)
        return items
    if f.type == "list":
        return _parse_rows(f, post, name)
    value = post.get(name)
    return value if value is None else value.strip() if f.type not in ("textarea",) else value


def _parse_rows(f: FieldDef, post: QueryDict, name: str) -> list[dict[str, Any]]:
    indexes = sorted({cell[1] for key in post if (cell := row_key(key)) and cell[0] == name})
    rows = []
    for index in indexes:
        row = {sub.id: _parse_field(sub, post, f"{name}.{index}.{sub.id}") for sub in f.fields}
        if any(not _blank(v) for v in row.values()):
            rows.append(row)
    return rows


def _blank(value: Any) -> bool:
    return value in (None, "", False, []) or (isinstance(value, str) and not value.strip())


def list_rows(field: Mapping[str, Any], extra: int = 1) -> list[dict[str, Any]]:
    """Rows to render for a ``list`` field: its values, then ``extra`` blank rows to fill in."""
    values = field.get("value") or []
    rows = [dict(v) if isinstance(v, Mapping) else {} for v in values if isinstance(v, Mapping)]
    rows.extend({} for _ in range(max(extra, 0) if rows else max(extra, 1)))
    return rows
