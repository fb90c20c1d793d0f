"""Turning an HTML form POST into form data for :func:`engine.actions.complete`, and back.

The naming convention is shared by every template that renders a process form (the generic form
of the assignment page and apps' own ``form_template``\\s such as the counterparty card):

* a field ``id`` is the input ``name=id``;
* ``url_list`` and ``employees`` are repeated inputs with the same name (``getlist``); an item may
  also hold several values separated by spaces or commas (a plain text fallback without JS);
* a ``list`` field is ``name="<id>.<row>.<sub>"``, rows numbered from 0; rows left blank are
  dropped and the rest renumbered, so error keys (``contacts.1.email``) match the rows shown again;
* a ``boolean`` is a checkbox whose value is ``on``;
* a ``file`` is the hidden input ``name`` holding a stored file's id (``templates/files/_upload.html``
  puts it there when the file is uploaded at once); ``files`` repeats it; without JavaScript the file
  itself comes as ``_upload.<name>`` and :func:`take_uploads` stores it first;
* names starting with ``_`` and ``csrfmiddlewaretoken``/``confirm_warnings`` are page controls,
  never form data.

Only fields the definition declares are read: the service validates and cleans the values, this
module only undoes the HTML encoding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from base.errors import Invalid, TooLarge
from engine.forms import FILE_TYPES, FieldDef, FormDefinition, row_key
from files import services as file_services
from org.models import Employee

_TRUE = {"on", "true", "1", "yes", "да"}
_SPLIT = re.compile(r"[,\s]+")
#: The prefix of a file input sent with the form itself (no JavaScript): a page control, not data.
UPLOAD = "_upload."


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
    if f.type == "files":
        ids = [raw.strip() for raw in post.getlist(name) if raw.strip()]
        return list(dict.fromkeys(ids))
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


def take_uploads(
    form: FormDefinition, post: QueryDict, uploads: MultiValueDict[str, UploadedFile], *, by: Employee | None
) -> tuple[QueryDict, dict[str, list[str]]]:
    """Store the files a form sent with itself (``_upload.<name>``, the page without JavaScript) and
    put their ids where the uploaded-at-once ones go: the POST to parse, and the refusals by field.

    A stored file is nobody's document until the step completes (only its uploader may use it), so a
    form sent back with errors keeps the file: the page shows it uploaded and sends its id again.
    """
    names = {name for name in uploads if name.startswith(UPLOAD) and _is_file_field(form, name[len(UPLOAD) :])}
    if not names:
        return post, {}
    post = post.copy()
    errors: dict[str, list[str]] = {}
    for name in sorted(names):
        field = name[len(UPLOAD) :]
        for upload in uploads.getlist(name):
            if by is None:
                errors.setdefault(field, []).append(_("Приложить файл может только сотрудник."))
                continue
            try:
                stored = file_services.store(upload, by=by)
            except (Invalid, TooLarge) as refused:
                said = [m for ms in refused.errors.values() for m in ms]
                errors.setdefault(field, []).extend(said or [str(refused)])
                continue
            if _field_type(form, field) == "files":
                post.appendlist(field, str(stored.pk))
            else:
                post[field] = str(stored.pk)
    return post, errors


def _field_type(form: FormDefinition, name: str) -> str | None:
    """The type of the field an input name stands for (``documents.0.file`` is a list's cell)."""
    cell = row_key(name)
    if cell:
        table = form.field(cell[0])
        sub = next((s for s in table.fields if s.id == cell[2]), None) if table else None
        return sub.type if sub else None
    f = form.field(name)
    return f.type if f else None


def _is_file_field(form: FormDefinition, name: str) -> bool:
    return _field_type(form, name) in FILE_TYPES


def _blank(value: Any) -> bool:
    return value in (None, "", False, []) or (isinstance(value, str) and not value.strip())


def list_rows(field: Mapping[str, Any], extra: int = 1) -> list[dict[str, Any]]:
    """Rows to render for a ``list`` field: its values, then ``extra`` blank rows to fill in."""
    values = field.get("value") or []
    rows = [dict(v) if isinstance(v, Mapping) else {} for v in values if isinstance(v, Mapping)]
    rows.extend({} for _ in range(max(extra, 0) if rows else max(extra, 1)))
    return rows
