"""The counterparty card form's layout and feedback, for `crm/card_form.html` and the htmx check.

The assignment page hands the card template the engine's form description (`fields`: id, type,
label, options, value — `engine.forms.to_api`), the errors and warnings of the last submission and
the earlier steps. Turning that flat list into the sections a sales manager reads (the company,
requisites, bank, contacts, documents) is done here in Python rather than in template logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import lookup, services
from crm.choices import DocumentKind
from crm.regions import REGION_CHOICES
from crm.validation import (
    CONTACT_FIELDS,
    DOCUMENT_FIELDS,
    LABELS,
    LEGAL_FORM_CHOICES,
    REASON_SAME_INN,
    REASON_SAME_INN_RUNNING,
    REASON_SIMILAR_NAME,
    CardCheck,
)
from files import services as files
from files.models import StoredFile
from org import directory

register = template.Library()

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (gettext_noop("Контрагент"), ("name", "kind", "legal_form", "business_group", "created_on")),
    (gettext_noop("Наименование и адрес"), ("short_name", "full_name", "country", "region", "city", "legal_address")),
    (gettext_noop("Реквизиты"), ("inn", "kpp", "ogrn", "reg_number")),
    (gettext_noop("Банк"), ("bank_bik", "bank_name", "bank_account", "bank_corr_account")),
    (gettext_noop("Ответственные"), ("responsible", "department", "responsible_manager")),
)
ALWAYS_REQUIRED = frozenset(
    {"name", "kind", "legal_form", "country", "city", "short_name", "full_name", "legal_address"}
)
HINTS: dict[str, str] = {
    "inn": gettext_noop("10 цифр у организации, 12 — у ИП; не нужен иностранной организации"),
    "kpp": gettext_noop("9 знаков; у ИП КПП нет"),
    "ogrn": gettext_noop("ОГРН — 13 цифр, ОГРНИП — 15"),
    "reg_number": gettext_noop("Только для иностранной организации"),
    "region": gettext_noop("Субъект РФ по названию или коду, например «Московская область» или 50"),
    "bank_bik": gettext_noop("Банковские реквизиты заполняются все четыре или ни одного"),
}
BLANK_ROWS = 2
_REASON_FIELD = {
    REASON_SAME_INN: "inn",
    REASON_SAME_INN_RUNNING: "inn",
    services.REASON_SAME_REG_NUMBER: "reg_number",
    REASON_SIMILAR_NAME: "name",
}


def dom_id(field_id: str) -> str:
    """An HTML id for a field key (`contacts.0.email` → `contacts-0-email`)."""
    return field_id.replace(".", "-")


def duplicates_of(field_id: str, duplicates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The duplicate entries shown next to `field_id`: the ИНН's exact ones, the name's similar ones."""
    return [d for d in duplicates if _REASON_FIELD.get(d.get("reason")) == field_id]


def feedback_context(
    field_id: str,
    errors: Mapping[str, list[str]],
    warnings: Mapping[str, list[str]],
    duplicates: list[dict[str, Any]],
) -> dict[str, Any]:
    field_warnings = list(warnings.get(field_id, []))
    return {
        "field": field_id,
        "dom": dom_id(field_id),
        "errors": list(errors.get(field_id, [])),
        "warnings": field_warnings,
        "duplicates": duplicates_of(field_id, duplicates),
        "confirm": field_id == "name" and bool(field_warnings),
    }


def feedback_for(field_id: str, check: CardCheck, *, value: Any = None, oob: bool = False, quiet: bool = False) -> str:
    """The rendered feedback block of one field (errors, warnings, duplicate links).

    `quiet`: render it empty (clears what was shown) — for a field the user has not filled yet.
    """
    if quiet:
        context = feedback_context(field_id, {}, {}, [])
    else:
        context = feedback_context(field_id, check.errors, check.warnings, check.duplicates)
    context["oob"] = oob
    return render_to_string("crm/_field_feedback.html", context)


def filled_input(field_id: str, value: Any, check: CardCheck) -> str:
    """One input of the card form re-rendered in place with a value the register filled in, and its
    feedback (a required-field error goes away, a warning appears)."""
    description: dict[str, Any] = {"id": field_id, "type": "text", "value": value}
    if field_id == "legal_form":
        description.update(type="enum", options=[{"id": key, "label": label} for key, label in LEGAL_FORM_CHOICES])
    item = _input(description, check.errors, check.warnings, check.duplicates)
    html = render_to_string("crm/_card_input.html", {"f": item, "oob": True})
    return html + feedback_for(field_id, check, value=value, oob=True)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _employee_options(selected: str, exclude: str | None = None) -> list[dict[str, Any]]:
    people = [
        {"id": e.username, "label": f"{e.full_name} — {e.position}" if e.position else e.full_name}
        for e in directory.active_employees().order_by("full_name")
        if e.username != exclude
    ]
    if selected and selected not in {p["id"] for p in people}:
        people.insert(0, {"id": selected, "label": selected})
    return people


@register.simple_tag(takes_context=True)
def card_form_layout(
    context: Any, fields: Any, errors: Any = None, warnings: Any = None, assignment: Any = None
) -> dict[str, Any]:
    """The card form as sections of inputs, the contact and document rows, and the action buttons.

    Duplicates are looked up again (with the shown values) so that a refused card still shows
    the links to the company or process it duplicates. A document row's file is shown as the
    upload field with its current version, when the user may see that file.
    """
    user = context.get("user") or getattr(context.get("request"), "user", None)
    errors = errors or {}
    warnings = warnings or {}
    by_id = {f["id"]: f for f in fields or []}
    values = {key: f.get("value") for key, f in by_id.items()}
    duplicates: list[dict[str, Any]] = []
    instance = getattr(assignment, "instance", None)
    starter = (instance.variables or {}).get("starter") if instance is not None else None
    if values.get("inn") or values.get("name") or values.get("reg_number"):
        card = {key: value for key, value in values.items() if key not in ("contacts", "documents", "action")}
        instance_id = getattr(assignment, "instance_id", None)
        duplicates = services.check_card(card, instance=instance_id).duplicates
    sections = []
    for title, ids in SECTIONS:
        items = [_input(by_id[i], errors, warnings, duplicates, starter) for i in ids if i in by_id]
        if items:
            sections.append({"title": _(title), "fields": items})
    return {
        "sections": sections,
        "contacts": _rows(by_id.get("contacts"), "contacts", CONTACT_FIELDS, errors),
        "documents": _rows(by_id.get("documents"), "documents", DOCUMENT_FIELDS, errors, user=user),
        "regions": [name for name, _label in REGION_CHOICES],
        # «Заполнить по ИНН» is offered only when a provider is configured (docs/company-lookup.md).
        "lookup": lookup.configured(),
        "other_errors": {
            k: v for k, v in errors.items() if k not in by_id and not k.startswith(("contacts.", "documents."))
        },
    }


def _input(
    field: Mapping[str, Any], errors: Any, warnings: Any, duplicates: list[dict[str, Any]], starter: str | None = None
) -> dict[str, Any]:
    field_id = field["id"]
    kind = {"enum": "select", "employee": "employee", "date": "date"}.get(field["type"], "text")
    value = _text(field.get("value"))
    item = {
        **feedback_context(field_id, errors, warnings, duplicates),
        "id": field_id,
        "label": _(LABELS.get(field_id, field.get("label") or field_id)),
        "input": kind,
        "value": value,
        "required": field_id in ALWAYS_REQUIRED,
        "hint": _(HINTS[field_id]) if field_id in HINTS else "",
        "wide": field_id in ("full_name", "legal_address", "name"),
        "confirm": False,  # the assignment page asks to confirm the warnings of a refused submission
    }
    if kind == "select":
        item["options"] = [{"id": o["id"], "label": _(o["label"])} for o in field.get("options") or []]
    elif kind == "employee":
        # The manager who approves the card first is never its starter (four eyes): not offered.
        item["options"] = _employee_options(value, exclude=starter if field_id == "responsible_manager" else None)
    return item


def _rows(
    field: Mapping[str, Any] | None, list_id: str, columns: tuple[str, ...], errors: Any, *, user: Any = None
) -> dict[str, Any]:
    if field is None:
        return {"present": False}
    values = [row for row in (field.get("value") or []) if isinstance(row, Mapping)]
    current = _current_files(values, user)
    rows = []
    for index in range(len(values) + BLANK_ROWS):
        row = values[index] if index < len(values) else {}
        cells = []
        for column in columns:
            key = f"{list_id}.{index}.{column}"
            cell = {
                "key": key,
                "dom": dom_id(key),
                "label": _(LABELS[f"{list_id}.{column}"]),
                "value": _text(row.get(column)),
                "errors": list(errors.get(key, [])),
                "type": "email" if column == "email" else ("url" if column == "url" else "text"),
                "input": "text",
            }
            if list_id == "documents" and column == "kind":
                cell["input"] = "select"
                cell["options"] = [{"id": kind.value, "label": kind.label} for kind in DocumentKind]
            elif list_id == "documents" and column == "file":
                cell["input"] = "file"
                cell["file_input"] = f"_upload.{key}"
                cell["current"] = current.get(_file_pk(row.get(column)))
            cells.append(cell)
        rows.append({"index": index, "cells": cells, "errors": list(errors.get(f"{list_id}.{index}", []))})
    return {
        "present": True,
        "label": _(LABELS[list_id]),
        "rows": rows,
        "errors": list(errors.get(list_id, [])),
    }


def _file_pk(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def _current_files(rows: list[Mapping[str, Any]], user: Any) -> dict[int, StoredFile]:
    """The stored files the rows name (one query), those the user may see: an id typed into a form
    never shows someone else's file name."""
    ids = {pk for row in rows if (pk := _file_pk(row.get("file"))) is not None}
    if not ids:
        return {}
    found = StoredFile.objects.select_related("document").in_bulk(ids)
    return {pk: stored for pk, stored in found.items() if files.may_see(user, stored)}


@register.filter
def field_dom_id(field_id: str) -> str:
    return dom_id(str(field_id))
