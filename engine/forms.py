"""Form definitions of user tasks, and their server-side validation.

A form is declared in the BPMN file (``camunda:formData``, parsed by :mod:`engine.bpmn`) and is the
only way data enters a process from a person: every submission goes through :func:`validate`
before it reaches the workflow, so process variables hold cleaned values of known types and
conditions such as ``decision == 'reject'`` can rely on them. No Django models here: the caller
passes ``employee_exists`` so this module stays testable without a database.

Error keys: a field's errors are under its id (``document_url``); errors inside a ``list`` field are
under ``<list id>.<row index from 0>.<sub-field id>`` (``contacts.0.email``); an error about the list
as a whole (too few rows) is under the list id. A ``url_list``/``employees`` field is one widget,
so its errors are under the field id and the message names the item (1-based).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from base import texts
from engine import expressions

__all__ = [
    "FIELD_TYPES",
    "FieldDef",
    "FormDefinition",
    "Option",
    "check_form",
    "choice_of_outcomes",
    "clean_start",
    "field_from_dict",
    "initial_values",
    "needed_for",
    "to_api",
    "validate",
]

FIELD_TYPES = frozenset(
    {"text", "textarea", "url", "url_list", "date", "enum", "boolean", "employee", "employees", "list", "file", "files",
     "integer"}
)
#: Bounds of an ``integer`` field: Camunda's ``long`` (a signed 64-bit number), which it maps from.
INTEGER_BOUNDS = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"^[+-]?\d{1,19}$")
#: Types whose value is a list; ``required`` means "at least one item", ``min_items`` applies.
LIST_TYPES = frozenset({"url_list", "employees", "list", "files"})
#: Types whose value is a stored file's id (``file``) or a list of them (``files``): the file itself
#: lives in the ``files`` room, and the caller of :func:`validate` says which ids the user may use.
FILE_TYPES = frozenset({"file", "files"})
#: ``(value sent, field) -> why it may not be used, or None``: the caller's check of a file id.
FileRefusal = Callable[[Any, "FieldDef"], "str | None"]
#: The ids of a step's decision field, by the dialect's convention (``docs/bpmn.md``, "Decisions"):
#: an ``enum`` field with one of these ids records what the step decided. The engine keeps its value
#: in ``Assignment.decision`` for the figures; the pages show it as buttons when it has few options.
DECISION_FIELDS = ("decision", "action", "reason", "sent")

MAX_TEXT = 1_000
MAX_TEXTAREA = texts.MAX_TEXT
MAX_URL = 2_000
MAX_ITEMS = 200

_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ROW_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\.(\d{1,3})\.([A-Za-z][A-Za-z0-9_]*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def row_key(key: str) -> tuple[str, int, str] | None:
    """``("contacts", 0, "email")`` for ``contacts.0.email``: how a cell of a ``list`` field is named
    in an HTML form and in the errors of :func:`validate` (None for any other name)."""
    match = _ROW_KEY.match(key)
    return (match[1], int(match[2]), match[3]) if match else None


@dataclass
class Option:
    """One choice of an ``enum`` field: ``id`` is stored and used in conditions, ``label`` is shown.

    ``description`` says what choosing it does («Карточка вернётся менеджеру…»): a decision button is
    named by its label, and the line under it keeps a reviewer from guessing where a refusal goes.
    """

    id: str
    label: str
    description: str = ""


@dataclass
class FieldDef:
    """One form field. ``default`` is an expression over process variables (e.g. ``document_url``)."""

    id: str
    type: str
    label: str = ""
    required: bool = False
    required_if: str | None = None
    options: list[Option] = field(default_factory=list)
    default: str | None = None
    fields: list[FieldDef] = field(default_factory=list)
    min_items: int | None = None
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def alternative(self) -> str | None:
        """The field that may stand in for this one (property ``or``): a required document is given
        as a link *or* a file, and either satisfies the requirement (``docs/bpmn.md``)."""
        return self.properties.get("or") or None

    @property
    def slot(self) -> str:
        """The document a ``file``/``files`` field fills (property ``slot``, default the field id): two
        steps that name the same slot fill one document, so a rework's upload is its next version."""
        return self.properties.get("slot") or self.id


@dataclass
class FormDefinition:
    """A user task's form; ``validator`` names a Python hook the caller runs on the whole form."""

    fields: list[FieldDef] = field(default_factory=list)
    validator: str | None = None

    def field(self, field_id: str) -> FieldDef | None:
        """The field with this id, or None."""
        return next((f for f in self.fields if f.id == field_id), None)


def has_files(form: FormDefinition) -> bool:
    """Whether the form (or a table inside it) has a ``file``/``files`` field."""
    return any(f.type in FILE_TYPES or has_files(FormDefinition(f.fields)) for f in form.fields)


def field_from_dict(data: Mapping[str, Any]) -> FieldDef:
    """Build a (sub-)field from its JSON form, as written in a ``list`` field's ``fields`` property.

    Keys: ``id``, ``type``, ``label``, ``required``, optional ``required_if``, ``options``
    (``[{"id", "label"}]``), ``default``, ``min_items``, ``fields``, and the properties ``or`` and
    ``slot`` (see :class:`FieldDef`).
    """
    if not isinstance(data, Mapping):
        raise ValueError(_("Описание поля должно быть объектом JSON"))
    options = []
    for o in data.get("options") or []:
        if not isinstance(o, Mapping) or "id" not in o:
            raise ValueError(_("Вариант выбора должен быть объектом с ключом id"))
        options.append(Option(str(o["id"]), str(o.get("label", o["id"]))))
    min_items = data.get("min_items")
    return FieldDef(
        id=str(data.get("id", "")),
        type=str(data.get("type", "text")),
        label=str(data.get("label", "")),
        required=bool(data.get("required", False)),
        required_if=data.get("required_if"),
        options=options,
        default=data.get("default"),
        fields=[field_from_dict(f) for f in data.get("fields") or []],
        min_items=int(min_items) if min_items is not None else None,
        properties={key: str(data[key]) for key in ("or", "slot") if data.get(key)},
    )


# --- deploy-time checks ----------------------------------------------------------------------------


def check_form(
    form: FormDefinition, *, allowed_functions: Iterable[str] = (), prefix: str = ""
) -> list[tuple[str, str]]:
    """Problems with a form definition, as ``(field path, reason)``; empty when the form is usable.

    Field ids become process variables, so they must be identifiers not starting with ``_``.
    """
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for f in form.fields:
        path = f"{prefix}{f.id or '?'}"
        if not _FIELD_ID.match(f.id or ""):
            problems.append((path, _("Идентификатор поля должен начинаться с латинской буквы и "
                                     "состоять из латинских букв, цифр и «_»")))
        if f.id in seen:
            problems.append((path, _("Поле с таким идентификатором уже есть")))
        seen.add(f.id)
        if f.type not in FIELD_TYPES:
            problems.append((path, _("Неизвестный тип поля «%(type)s»; допустимы: %(types)s")
                             % {"type": f.type, "types": ", ".join(sorted(FIELD_TYPES))}))
            continue
        if f.type == "enum":
            if not f.options:
                problems.append((path, _("У поля-списка нет вариантов выбора")))
            ids = [o.id for o in f.options]
            if len(ids) != len(set(ids)):
                problems.append((path, _("Варианты выбора повторяются")))
        elif f.options:
            problems.append((path, _("Варианты выбора бывают только у поля типа enum")))
        if "descriptions" in f.properties:
            problems.extend((path, reason) for reason in descriptions_problems(f))
        if f.type == "list":
            if not f.fields:
                problems.append((path, _("У поля-таблицы не описаны колонки (свойство fields)")))
            problems.extend(check_form(FormDefinition(f.fields), allowed_functions=allowed_functions,
                                       prefix=f"{path}."))
        if f.alternative and (f.alternative == f.id or f.alternative not in {g.id for g in form.fields}):
            problems.append((path, _("or: в этой форме нет другого поля «%(id)s»") % {"id": f.alternative}))
        if "slot" in f.properties and (f.type not in FILE_TYPES or not _FIELD_ID.match(f.slot)):
            problems.append((path, _("slot: только у полей file и files, латинскими буквами, цифрами и «_»")))
        if f.min_items is not None and (f.type not in LIST_TYPES or f.min_items < 0):
            problems.append((path, _("min_items применимо только к спискам и должно быть ≥ 0")))
        for what, expr in (("required_if", f.required_if), ("default", f.default)):
            if expr:
                try:
                    expressions.check(expr, allowed_functions=allowed_functions)
                except expressions.ExpressionError as e:
                    problems.append((path, f"{what}: {e}"))
    return problems


# --- validation ------------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, tuple, dict)) and len(value) == 0
    )


def _as_list(value: Any, *, split: str) -> list[Any] | None:
    """Lists come as JSON arrays from the API and as text from HTML forms."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [v for v in re.split(split, value) if v.strip()]
    return None


def _check_url(value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, str):
        return None, _("Укажите ссылку, начинающуюся с http:// или https://")
    url = value.strip()
    if len(url) > MAX_URL:
        return None, _("Слишком длинная ссылка")
    if texts.unstorable(url):
        return None, texts.unstorable(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, _("Укажите ссылку, начинающуюся с http:// или https://")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return None, _("Укажите ссылку, начинающуюся с http:// или https://")
    return url, None


_TRUE = {"true", "1", "on", "yes", "да"}
_FALSE = {"false", "0", "off", "no", "нет", ""}


def no_files(value: Any, f: FieldDef) -> str:
    """The file check where no file can be used (a start: there is no instance to attach it to yet)."""
    return _("Файл здесь приложить нельзя: приложите его в шаге процесса.")


def _clean_file(f: FieldDef, value: Any, file_refusal: FileRefusal) -> tuple[int | None, str | None]:
    """A file id as the API (a number) or an HTML form (its digits) sends it, checked by the caller."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None, _("Ожидается номер загруженного файла")
    problem = file_refusal(value, f)
    return (None, problem) if problem else (value, None)


def _clean_scalar(
    f: FieldDef, value: Any, employee_exists: Callable[[str], bool], file_refusal: FileRefusal = no_files
) -> tuple[Any, list[str]]:
    """Clean a non-empty value of a scalar field; returns (cleaned, errors)."""
    unstorable = texts.unstorable(value) if isinstance(value, str) else None
    if unstorable:  # a NUL or a lone surrogate: refused before it reaches a query or a variable
        return None, [unstorable]
    if f.type in ("text", "textarea"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return None, [_("Ожидается текст")]
        limit = MAX_TEXT if f.type == "text" else MAX_TEXTAREA
        if len(value) > limit:
            return None, [_("Не больше %(n)s символов") % {"n": limit}]
        return value.strip(), []
    if f.type == "integer":
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            return None, [_("Ожидается целое число")]
        if not INTEGER_BOUNDS[0] <= value <= INTEGER_BOUNDS[1]:
            return None, [_("Слишком большое число")]
        return value, []
    if f.type == "url":
        url, error = _check_url(value)
        return url, [error] if error else []
    if f.type == "date":
        if not isinstance(value, str) or not _DATE.match(value.strip()):
            return None, [_("Укажите дату в формате ГГГГ-ММ-ДД")]
        try:
            return date.fromisoformat(value.strip()).isoformat(), []
        except ValueError:
            return None, [_("Такой даты нет")]
    if f.type == "enum":
        ids = {o.id for o in f.options}
        if not isinstance(value, str) or value not in ids:
            return None, [_("Выберите один из вариантов")]
        return value, []
    if f.type == "boolean":
        if isinstance(value, bool):
            return value, []
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE, []
        return None, [_("Ожидается «да» или «нет»")]
    if f.type == "employee":
        if not isinstance(value, str) or not employee_exists(value.strip()):
            return None, [_("Сотрудник не найден или неактивен")]
        return value.strip(), []
    if f.type == "file":
        file_id, problem = _clean_file(f, value, file_refusal)
        return file_id, [problem] if problem else []
    raise ValueError(f"not a scalar type: {f.type}")  # pragma: no cover - guarded by callers


def _requirement(
    f: FieldDef, scope: Mapping[str, Any]
) -> bool:
    if f.required:
        return True
    if f.required_if:
        return bool(expressions.evaluate(f.required_if, scope, missing_as_none=True))
    return False


def _alternatives(fields: list[FieldDef]) -> dict[str, FieldDef]:
    """Each field's stand-in, both ways: ``or`` is declared on one field of a pair and binds both."""
    by_id = {f.id: f for f in fields}
    pairs: dict[str, FieldDef] = {}
    for f in fields:
        other = by_id.get(f.alternative or "")
        if other is not None:
            pairs[f.id], pairs[other.id] = other, f
    return pairs


def _validate_fields(
    fields: list[FieldDef],
    data: Mapping[str, Any],
    *,
    employee_exists: Callable[[str], bool],
    file_refusal: FileRefusal,
    variables: Mapping[str, Any],
    prefix: str,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    # required_if sees the process variables overlaid with this submission (raw values).
    scope = {**variables, **{f.id: data.get(f.id) for f in fields}}
    alternatives = _alternatives(fields)
    for f in fields:
        key = f"{prefix}{f.id}"
        raw = data.get(f.id)
        required = _requirement(f, scope)
        other = alternatives.get(f.id)
        if other is not None and (required or _requirement(other, scope)):
            # A link or a file: the pair is required as one, and either of the two satisfies it.
            required = _is_empty(data.get(other.id))
        missing = [_("Заполните это поле или «%(other)s»") % {"other": other.label or other.id}] if other else [
            _("Обязательное поле")
        ]
        field_errors: list[str] = []
        if f.type in LIST_TYPES:
            value = _clean_list(f, raw, required, employee_exists, file_refusal, variables, key, errors, field_errors)
            if other is not None and not required and _is_empty(raw):
                field_errors = []  # the other of the pair is given: this list's minimum does not apply
            elif other is not None and field_errors == [_("Обязательное поле")]:
                field_errors = missing
        elif f.type == "boolean":
            value, field_errors = (False, []) if raw is None else _clean_scalar(f, raw, employee_exists)
            if required and value is not True and not field_errors:
                field_errors = [_("Обязательное поле")]
        elif _is_empty(raw):
            value = None
            if required:
                field_errors = missing
        else:
            value, field_errors = _clean_scalar(f, raw, employee_exists, file_refusal)
        if field_errors:
            errors.setdefault(key, []).extend(field_errors)
        cleaned[f.id] = value
    return cleaned


def _clean_list(
    f: FieldDef,
    raw: Any,
    required: bool,
    employee_exists: Callable[[str], bool],
    file_refusal: FileRefusal,
    variables: Mapping[str, Any],
    key: str,
    errors: dict[str, list[str]],
    field_errors: list[str],
) -> list[Any]:
    if _is_empty(raw):
        items: list[Any] = []
    else:
        parsed = _as_list(raw, split=r"\s+" if f.type == "url_list" else r"[,\s]+")
        if parsed is None or (f.type == "list" and isinstance(raw, str)):
            field_errors.append(_("Ожидается список"))
            return []
        items = parsed
    if len(items) > MAX_ITEMS:
        field_errors.append(_("Не больше %(n)s элементов") % {"n": MAX_ITEMS})
        return []
    minimum = f.min_items or 0
    if required:
        minimum = max(minimum, 1)
    if len(items) < minimum:
        field_errors.append(
            _("Обязательное поле") if minimum == 1 and not items else
            _("Нужно не меньше %(n)s") % {"n": minimum}
        )
    result: list[Any] = []
    if f.type == "url_list":
        for i, item in enumerate(items, start=1):
            url, error = _check_url(item)
            if error:
                field_errors.append(_("Ссылка %(n)s: %(error)s") % {"n": i, "error": error})
            else:
                result.append(url)
    elif f.type == "employees":
        seen: set[str] = set()
        for i, item in enumerate(items, start=1):
            name = item.strip() if isinstance(item, str) and not texts.unstorable(item) else None
            if not name or not employee_exists(name):
                field_errors.append(_("Сотрудник %(n)s: %(error)s")
                                    % {"n": i, "error": _("Сотрудник не найден или неактивен")})
            elif name in seen:
                field_errors.append(_("Сотрудник «%(name)s» указан дважды") % {"name": name})
            else:
                seen.add(name)
                result.append(name)
    elif f.type == "files":
        for i, item in enumerate(items, start=1):
            file_id, problem = _clean_file(f, item, file_refusal)
            if problem:
                field_errors.append(_("Файл %(n)s: %(error)s") % {"n": i, "error": problem})
            elif file_id not in result:
                result.append(file_id)
    else:  # list of objects
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                errors.setdefault(f"{key}.{i}", []).append(_("Ожидается объект"))
                continue
            result.append(_validate_fields(
                f.fields, item, employee_exists=employee_exists, file_refusal=file_refusal, variables=variables,
                prefix=f"{key}.{i}.", errors=errors,
            ))
    return result


def validate(
    form: FormDefinition,
    data: Mapping[str, Any],
    *,
    employee_exists: Callable[[str], bool],
    variables: Mapping[str, Any] | None = None,
    file_refusal: FileRefusal = no_files,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate a submission; returns ``(cleaned, errors)``, ``errors`` empty when it is valid.

    ``cleaned`` has every field of the form (an empty optional field is None, an empty list field
    is ``[]``, an absent boolean is False) and nothing else: unknown keys in ``data`` are dropped so
    a client cannot plant arbitrary process variables. ``required_if`` rules are evaluated over the
    process ``variables`` overlaid with the submitted values (a missing name reads as None).
    A ``file``/``files`` value is a stored file's id, cleaned to an int; ``file_refusal`` says why
    the user may not use it (the engine asks the ``files`` room; without it no file is accepted).
    """
    if not isinstance(data, Mapping):
        return {}, {"__all__": [_("Ожидается объект с полями формы")]}
    errors: dict[str, list[str]] = {}
    cleaned = _validate_fields(
        form.fields, data, employee_exists=employee_exists, file_refusal=file_refusal, variables=variables or {},
        prefix="", errors=errors,
    )
    return cleaned, errors


def clean_start(
    declared: Mapping[str, FieldDef | None],
    data: Mapping[str, Any],
    *,
    employee_exists: Callable[[str], bool],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Clean the variables of a start; returns ``(cleaned, errors)`` like :func:`validate`.

    Each name must be one the process declares (``ProcessModel.start_variables``), else the error
    names it. A form field's value is cleaned by that field, optional here (its step asks for it
    later); a plain declared variable (``unique_by``, ``start_variables``) takes a short text, a
    number, a boolean or null: a condition reads it, a structure has no business there.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in declared:
            errors[name] = [_("Процесс не принимает переменную «%(name)s» при запуске.") % {"name": name}]
            continue
        definition = declared[name]
        if definition is None:
            problems = _plain_start_problems(value)
            if problems:
                errors[name] = problems
            else:
                cleaned[name] = value.strip() if isinstance(value, str) else value
            continue
        optional = replace(definition, required=False, required_if=None, min_items=None)
        cleaned.update(_validate_fields(
            [optional], {name: value}, employee_exists=employee_exists, file_refusal=no_files, variables={},
            prefix="", errors=errors,
        ))
    return cleaned, errors


def _plain_start_problems(value: Any) -> list[str]:
    if isinstance(value, str):
        return texts.text_problems(value, MAX_TEXT)
    if value is None or isinstance(value, (bool, int, float)):
        return []
    return [_("Ожидается текст, число или да/нет")]


# --- a choice of outcomes ----------------------------------------------------------------------------

#: The field types a short confirmation page can ask for besides the decision: a line or a box of text.
_TEXT_TYPES = frozenset({"text", "textarea"})


def decision_field(form: FormDefinition) -> FieldDef | None:
    """The form's decision field (an ``enum`` whose id is one of :data:`DECISION_FIELDS`), or None."""
    return next((f for f in form.fields if f.type == "enum" and f.id in DECISION_FIELDS and f.options), None)


def choice_of_outcomes(form: FormDefinition) -> FieldDef | None:
    """The decision field when the whole form is a choice of outcomes plus what one short page can ask.

    That is what a decision from the e-mail can complete: every other field is optional, or is a
    text that the form requires (always, or by ``required_if`` for some outcomes), such as the
    comment a send-back needs. A form with any other required field (a link, a list, a person, a
    consent box) needs its full page: None. A form validator still runs when the decision is
    submitted (``actions.complete``), and its refusal is shown like any other.
    """
    choice = decision_field(form)
    if choice is None:
        return None
    for f in form.fields:
        if f is choice:
            continue
        if (f.required or f.required_if or f.min_items) and f.type not in _TEXT_TYPES:
            return None
    return choice


def needed_for(form: FormDefinition, outcome: str, variables: Mapping[str, Any]) -> list[FieldDef]:
    """The text fields the form requires when its decision field takes ``outcome``: the boxes a
    confirmation page must show (``required_if`` is read as :func:`validate` reads it, over the
    process variables overlaid with a submission that holds only the decision)."""
    choice = decision_field(form)
    if choice is None:
        return []
    scope = {**variables, **{f.id: None for f in form.fields}, choice.id: outcome}
    return [f for f in form.fields if f is not choice and f.type in _TEXT_TYPES and _requirement(f, scope)]


# --- presentation ----------------------------------------------------------------------------------


def initial_values(
    form: FormDefinition,
    variables: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> dict[str, Any]:
    """Pre-filled values: each field's ``default`` expression over the process variables.

    A default that reads a variable not yet set gives None (the field starts empty), so a revision
    task can say ``defaultValue="document_url"`` to show the last submitted link.
    """
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.default:
            values[f.id] = expressions.evaluate(f.default, variables, functions, missing_as_none=True)
        else:
            values[f.id] = None
    return values


def _field_to_api(f: FieldDef, value: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f.id,
        "type": f.type,
        "label": f.label,
        "required": f.required,
        "options": [{"id": o.id, "label": o.label, **({"description": o.description} if o.description else {})}
                    for o in f.options],
        "value": value,
    }
    if f.required_if:
        item["required_if"] = f.required_if
    if f.type == "list":
        item["fields"] = [_field_to_api(sub, None) for sub in f.fields]
    if f.min_items is not None:
        item["min_items"] = f.min_items
    if f.alternative:
        item["or"] = f.alternative
    return item


def to_api(form: FormDefinition, values: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The form as ``api.md`` shows it: ``[{"id", "type", "label", "required", "options", "value"}]``.

    ``list`` fields also carry ``fields`` (their columns, same shape, value None); fields with a
    ``required_if`` rule or ``min_items`` carry those too so a client can mirror the rule.
    """
    values = values or {}
    return [_field_to_api(f, values.get(f.id)) for f in form.fields]


def parse_descriptions(text: str) -> dict[str, str]:
    """An ``enum`` field's ``descriptions`` property: a JSON object from option id to the line shown
    under that option's button (``docs/bpmn.md``, "Decisions"). ``<camunda:value>`` has no room for
    it, and a property keeps the BPMN file valid for other modellers."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as e:
        raise ValueError(_("Свойство descriptions должно быть объектом JSON: %(error)s") % {"error": e}) from e
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(_("Свойство descriptions должно быть объектом JSON вида {\"id варианта\": \"текст\"}"))
    return {str(k): v.strip() for k, v in data.items()}


def descriptions_problems(f: FieldDef) -> list[str]:
    """Why a field's ``descriptions`` property cannot be used: bad JSON, not an enum, unknown ids."""
    if f.type != "enum":
        return [_("descriptions бывают только у поля типа enum")]
    try:
        described = parse_descriptions(f.properties["descriptions"])
    except ValueError as e:
        return [str(e)]
    unknown = sorted(set(described) - {o.id for o in f.options})
    if unknown:
        return [_("descriptions: нет вариантов %(ids)s") % {"ids": ", ".join(unknown)}]
    return []


def describe_options(f: FieldDef) -> None:
    """Copy the ``descriptions`` property onto the field's options (quietly skipped when it is unusable:
    :func:`check_form` reports that at deploy time)."""
    if "descriptions" not in f.properties or descriptions_problems(f):
        return
    described = parse_descriptions(f.properties["descriptions"])
    for o in f.options:
        o.description = described.get(o.id, o.description)


def parse_fields_property(text: str) -> list[FieldDef]:
    """Parse a ``list`` field's ``fields`` property (a JSON array of sub-field objects)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as e:
        raise ValueError(_("Свойство fields должно быть JSON-массивом: %(error)s") % {"error": e}) from e
    if not isinstance(data, list):
        raise ValueError(_("Свойство fields должно быть JSON-массивом"))
    return [field_from_dict(d) for d in data]
