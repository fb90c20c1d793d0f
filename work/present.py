"""How stored data reads on a page: labels from the process's forms, links as links, options by label."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from engine.forms import DECISION_FIELDS
from org.models import Employee
from work import webforms

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
    return labels, options, types


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def present_value(field_id: str, value: Any, labels: dict, options: dict) -> list[dict[str, Any]]:
    """A stored value as a list of items ``{"text", "url"}``: links are links, options their labels."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, bool):
        return [{"text": _("да") if value else _("нет"), "url": None}]
    if isinstance(value, list):
        items: list[dict[str, Any]] = []
        for item in value:
            if isinstance(item, dict):
                url = next((v for v in item.values() if _is_url(v)), None)
                text = "; ".join(
                    f"{_(labels.get(f'{field_id}.{k}', k))}: {v}"
                    for k, v in item.items()
                    if v not in (None, "") and v != url
                )
                items.append({"text": text or url, "url": url})
            else:
                items.extend(present_value(field_id, item, labels, options))
        return items
    if isinstance(value, dict):
        return [{"text": "; ".join(f"{k}: {v}" for k, v in value.items()), "url": None}]
    if _is_url(value):
        return [{"text": value, "url": value}]
    label = options.get((field_id, str(value)))
    return [{"text": _(label) if label else str(value), "url": None}]


def present_data(data: dict[str, Any], labels: dict, options: dict) -> list[dict[str, Any]]:
    """Form data or variables as labelled rows, skipping empty values and internal names."""
    rows = []
    for key, value in (data or {}).items():
        if key.startswith("_"):
            continue
        items = present_value(key, value, labels, options)
        if items:
            rows.append({"id": key, "label": _(labels.get(key, key)), "items": items})
    return rows


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
                    }
                    for sub in f.get("fields", [])
                ]
                for index, row in enumerate(rows)
            ]
            f["row_errors"] = [m for index in range(len(rows)) for m in errors.get(f"{f['id']}.{index}", [])]
    return fields
