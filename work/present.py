"""How stored data reads on a page: labels from the process's forms, links as links, options by label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base import words
from engine.documents import SEEN
from engine.forms import DECISION_FIELDS
from files.models import StoredFile
from org.directory import by_usernames
from org.models import Employee
from work import webforms

#: A step's form data that says only how the form was sent: «Действие: Отправить на согласование»
#: repeats «Задание выполнено» (a stop shows as the process's end, with its reason).
HIDDEN_IN_HISTORY = frozenset({"action"})
#: Variables that are no data of the process: the last step's decision and comment (they belong to
#: that step, in the history), the starter (shown as «Запустил»).
HIDDEN_IN_VARIABLES = frozenset(DECISION_FIELDS) | {"comment", "starter"}

# ------------------------------------------------------------------------------------------ presenting data


def labels_of(model: Any) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str]]:
    """Field labels, option labels and field types of every form of a process, by field id."""
    labels: dict[str, str] = {"quarter": gettext_noop("Квартал"), "starter": gettext_noop("Инициатор")}
    options: dict[tuple[str, str], str] = {}
    types: dict[str, str] = {}
    for task in model.user_tasks.values():
        for f in task.form.fields:
            labels.setdefault(f.id, f.label or f.id)
            types.setdefault(f.id, f.type)
            for o in f.options:
                options.setdefault((f.id, o.id), o.label)
            for sub in f.fields:
                labels.setdefault(f"{f.id}.{sub.id}", sub.label or sub.id)
                types.setdefault(f"{f.id}.{sub.id}", sub.type)
                for o in sub.options:
                    options.setdefault((f"{f.id}.{sub.id}", o.id), o.label)
    return labels, options, types


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def present_value(
    field_id: str,
    value: Any,
    labels: dict,
    options: dict,
    files: Mapping[str, dict[int, StoredFile]] | None = None,
    *,
    kind: str = "",
    people: Mapping[str, Employee] | None = None,
) -> list[dict[str, Any]]:
    """A stored value as a list of items ``{"text", "url", "title"}``: links are links, options
    their labels, stored files their names linking to the download (``files``: the files by field
    id, see :func:`present_data`), people (``kind`` employee/employees) their full names with the
    position as the ``title``, dates and quarters in words."""
    stored = (files or {}).get(field_id)
    if value is None or value == "" or value == []:
        return []
    if kind in ("employee", "employees") and isinstance(value, str):
        who = (people or {}).get(value)
        return [{"text": words.person(who or value), "url": None, "title": words.position(who)}]
    if kind == "date" and isinstance(value, str):
        return [{"text": words.day(value), "url": None}]
    if field_id == "quarter" and isinstance(value, str):
        return [{"text": words.quarter(value), "url": None}]
    if isinstance(value, bool):
        return [{"text": _("да") if value else _("нет"), "url": None}]
    if isinstance(value, list):
        items: list[dict[str, Any]] = []
        for item in value:
            if isinstance(item, dict):
                items.append(_present_row(field_id, item, labels, options, files or {}))
            else:
                items.extend(present_value(field_id, item, labels, options, files, kind=kind, people=people))
        return items
    if isinstance(value, dict):
        return [{"text": "; ".join(f"{k}: {v}" for k, v in value.items()), "url": None}]
    if stored is not None and (file := stored.get(_file_id(value) or 0)) is not None:
        return [{"text": file.name, "url": file.get_absolute_url()}]
    if _is_url(value):
        return [{"text": value, "url": value}]
    label = options.get((field_id, str(value)))
    return [{"text": _(label) if label else str(value), "url": None}]


def _present_row(
    field_id: str, row: dict[str, Any], labels: dict, options: dict, files: Mapping[str, dict[int, StoredFile]]
) -> dict:
    url = next((v for v in row.values() if _is_url(v)), None)
    parts = []
    for key, cell in row.items():
        file = files.get(f"{field_id}.{key}", {}).get(_file_id(cell) or 0)
        if file is not None:
            url = url or file.get_absolute_url()
            cell = file.name
        elif (label := options.get((f"{field_id}.{key}", str(cell)))) is not None:
            cell = _(label)
        if cell not in (None, "") and cell != url:
            parts.append(f"{_(labels.get(f'{field_id}.{key}', key))}: {cell}")
    return {"text": "; ".join(parts) or url, "url": url}


def present_data(
    data: dict[str, Any],
    labels: dict,
    options: dict,
    types: Mapping[str, str] | None = None,
    *,
    variables: bool = False,
) -> list[dict[str, Any]]:
    """Form data (a step's, for the history) or the instance's ``variables`` as labelled rows,
    skipping empty values and what is no reader's business: internal names (``_…``), how a form was
    sent (:data:`HIDDEN_IN_HISTORY`) and, among variables, the last decision and every name no form
    of the process labels (``company_id``, copies the hooks keep: :data:`HIDDEN_IN_VARIABLES`).

    With the process's field ``types`` (``labels_of``), a file field's ids read as the files' names
    and a person's username as their full name (one query each for all of them)."""
    types = types or {}
    files = _files_in(data or {}, types)
    people = by_usernames(_usernames_in(data or {}, types))
    hidden = HIDDEN_IN_VARIABLES | HIDDEN_IN_HISTORY if variables else HIDDEN_IN_HISTORY
    rows = []
    for key, value in (data or {}).items():
        if key.startswith("_") or key in hidden or (variables and key not in labels):
            continue
        items = present_value(key, value, labels, options, files, kind=types.get(key, ""), people=people)
        if items:
            rows.append({"id": key, "label": _(labels.get(key, key)), "items": items})
    return rows


def _usernames_in(data: Mapping[str, Any], types: Mapping[str, str]) -> set[str]:
    """The usernames ``data``'s employee fields hold, to look the people up once."""
    found: set[str] = set()
    for key, value in data.items():
        if types.get(key) == "employee" and isinstance(value, str):
            found.add(value)
        elif types.get(key) == "employees" and isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return found


def seen_documents(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The documents a completion saw (``engine.documents.SEEN``), as a row of its history entry: each
    file's name and version, and the SHA-256 that says which bytes were approved."""
    seen = [item for item in data.get(SEEN) or [] if isinstance(item, Mapping) and item.get("sha256")]
    if not seen:
        return []
    items = [
        {
            "text": _("%(name)s, версия %(version)s, SHA-256 %(sha256)s")
            % {"name": item.get("name", ""), "version": item.get("version", ""), "sha256": item["sha256"]},
            "url": reverse("file_download", args=[item["file"]]) if isinstance(item.get("file"), int) else None,
        }
        for item in seen
    ]
    return [{"id": SEEN, "label": _("Документы на момент решения"), "items": items}]


def _files_in(data: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, dict[int, StoredFile]]:
    """The stored files of ``data``'s file fields and file cells, by field id (``documents.file``)."""
    wanted: dict[str, set[int]] = {}
    for key, value in data.items():
        if types.get(key) in ("file", "files"):
            values = value if isinstance(value, list) else [value]
            wanted.setdefault(key, set()).update(i for i in map(_file_id, values) if i is not None)
        elif types.get(key) == "list" and isinstance(value, list):
            for row in value:
                for cell, cell_value in row.items() if isinstance(row, dict) else ():
                    if types.get(f"{key}.{cell}") == "file" and (i := _file_id(cell_value)) is not None:
                        wanted.setdefault(f"{key}.{cell}", set()).add(i)
    if not wanted:
        return {}
    found = StoredFile.objects.in_bulk(set().union(*wanted.values()))
    return {key: {i: found[i] for i in ids if i in found} for key, ids in wanted.items()}


def documents_in(labels: dict[str, str], *sources: dict[str, Any]) -> list[dict[str, str]]:
    """Every link found in the given data, once, labelled by the field it came from."""
    seen: set[str] = set()
    found: list[dict[str, str]] = []

    def walk(value: Any, label: str) -> None:
        if _is_url(value) and value not in seen:
            seen.add(value)
            found.append({"url": value, "label": label})
        elif isinstance(value, list):
            for item in value:
                walk(item, label)
        elif isinstance(value, dict):
            title = next((v for v in value.values() if isinstance(v, str) and v and not _is_url(v)), label)
            for v in value.values():
                walk(v, title)

    for source in sources:
        for key, value in (source or {}).items():
            walk(value, labels.get(key, key))
    return found


# ------------------------------------------------------------------------------------------ the form


def widget_of(field: dict[str, Any]) -> str:
    """Which control renders a field (the HTML naming convention is in ``work.webforms``)."""
    kind = field["type"]
    if kind == "enum":
        if field["id"] in DECISION_FIELDS and len(field["options"]) <= 3:
            return "buttons"
        return "radio" if len(field["options"]) <= 4 else "select"
    if kind == "integer":
        return "number"
    return kind


def prepare_fields(
    fields: list[dict[str, Any]], errors: dict[str, list[str]], *, extra_rows: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Add what the templates need to ``forms.to_api`` output: widget, errors, rows, chosen people."""
    extra_rows = extra_rows or {}
    usernames: set[str] = set()
    for f in fields:
        if f["type"] == "employee" and isinstance(f["value"], str):
            usernames.add(f["value"])
        elif f["type"] == "employees" and isinstance(f["value"], list):
            usernames.update(v for v in f["value"] if isinstance(v, str))
    names = (
        {e.user.username: e for e in Employee.objects.filter(user__username__in=usernames).select_related("user")}
        if usernames
        else {}
    )
    stored = _stored_files(fields)
    for f in fields:
        f["widget"] = widget_of(f)
        f["errors"] = errors.get(f["id"], [])
        f["html_id"] = f"f-{f['id']}"
        if f["type"] == "employee":
            person = names.get(f["value"]) if isinstance(f["value"], str) else None
            f["person"] = person
        elif f["type"] == "employees":
            values = f["value"] if isinstance(f["value"], list) else []
            f["chosen"] = [names[v] for v in values if v in names] + [
                {"username": v, "full_name": v} for v in values if v not in names
            ]
        elif f["type"] == "file":
            f["current"] = stored.get(_file_id(f["value"]))
        elif f["type"] == "files":
            f["chosen_files"] = [stored[i] for i in map(_file_id, f["value"] or []) if i in stored]
            f["uploads"] = [f"{f['id']}-{n}" for n in range(1 + extra_rows.get(f["id"], 0))]
        elif f["type"] == "url_list":
            values = [v for v in (f["value"] or []) if isinstance(v, str)]
            f["items"] = values + [""] * (1 + extra_rows.get(f["id"], 0))
        elif f["type"] == "list":
            rows = webforms.list_rows(f, extra=1 + extra_rows.get(f["id"], 0))
            f["rows"] = [
                [
                    {
                        **sub,
                        "widget": widget_of(sub),
                        "name": f"{f['id']}.{index}.{sub['id']}",
                        "html_id": f"f-{f['id']}-{index}-{sub['id']}",
                        "value": row.get(sub["id"]),
                        "errors": errors.get(f"{f['id']}.{index}.{sub['id']}", []),
                        "current": stored.get(_file_id(row.get(sub["id"]))) if sub["type"] == "file" else None,
                    }
                    for sub in f.get("fields", [])
                ]
                for index, row in enumerate(rows)
            ]
            f["row_errors"] = [m for index in range(len(rows)) for m in errors.get(f"{f['id']}.{index}", [])]
    return fields


def _file_id(value: Any) -> int | None:
    """A file field's value as the form holds it (a number, or its digits from a page) as an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _stored_files(fields: list[dict[str, Any]]) -> dict[int, StoredFile]:
    """The stored files the form's file fields (and file cells of its tables) hold, in one query, so
    each shows its name, size and version: the previous version a rework step replaces."""
    ids: set[int | None] = set()
    for f in fields:
        if f["type"] == "file":
            ids.add(_file_id(f["value"]))
        elif f["type"] == "files":
            ids.update(_file_id(v) for v in f["value"] or [])
        elif f["type"] == "list":
            cells = [s["id"] for s in f.get("fields", []) if s["type"] == "file"]
            for row in f["value"] or []:
                if isinstance(row, Mapping):
                    ids.update(_file_id(row.get(cell)) for cell in cells)
    ids.discard(None)
    return StoredFile.objects.in_bulk(ids) if ids else {}
