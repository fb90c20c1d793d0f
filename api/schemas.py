"""The shapes every router shares: the error body, a page of a list, the paging and id parameters.

Declared once so ``/api/v1/openapi.json`` describes each of them the same way wherever it is used,
and so a bound (the largest ``limit``, the largest id) is a type checked by ninja before a view
runs, never an ``if`` repeated in each view: a value out of bounds answers 400 through
``api.api._validation_error`` like any other bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from base import listing, texts

MAX_ID = texts.MAX_ID
#: The largest ``offset``: far past any list, and a 32-bit value every database slices by.
MAX_OFFSET = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="Номер объекта (целое, от 1).")]
"""A path id or an id parameter: a positive database integer."""

ProcessKey = Annotated[
    str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=100, description="Ключ процесса (латиница, цифры, _).")
]
"""A process key in a path: the identifier its BPMN file declares (``engine.bpmn``)."""

#: An ISO 8601 date as text: pydantic would otherwise read ``0`` or ``"0.5"`` as a Unix time.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: The years ``base.texts.FIRST_DAY``…``LAST_DAY``, said in the document so generated input keeps to them.
_IN_RANGE = r"^20\d\d-"


def _iso_text(value: Any) -> Any:
    if isinstance(value, (date, datetime)) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError("iso_date", _("Ожидается дата в формате ISO 8601 (ГГГГ-ММ-ДД)."))


def _in_range(value: date | datetime) -> date | datetime:
    problem = texts.day_problem(value.date() if isinstance(value, datetime) else value)
    if problem:
        raise PydanticCustomError("date_range", problem)
    return value


Day = Annotated[date, BeforeValidator(_iso_text), Field(json_schema_extra={"pattern": _IN_RANGE})]
"""A date parameter (``YYYY-MM-DD``); its range is the caller's to check (``analytics.forms.check_filters``
says it next to the other filters)."""
Moment = Annotated[
    datetime,
    BeforeValidator(_iso_text),
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": _IN_RANGE}),
]
"""An instant (ISO 8601, best with its offset), on a day between ``base.texts.FIRST_DAY`` and ``LAST_DAY``."""

Title = Annotated[str, Field(max_length=texts.MAX_TITLE)]
"""A title: at most ``base.texts.MAX_TITLE`` characters, refused (not cut) beyond."""
LongText = Annotated[str, Field(max_length=texts.MAX_TEXT)]
"""A description, a comment, a reason: at most ``base.texts.MAX_TEXT`` characters."""

FieldMessages = dict[str, list[str]]
"""Messages by field id (dotted for nested items, ``__all__`` for the whole input)."""


def _drop_null_branch(schema: dict[str, Any]) -> None:
    """For a key that is either absent or set: describe the value it has when present (not null)."""
    schema.pop("default", None)
    branches = schema.pop("anyOf", None)
    if branches is not None:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})


def _is_none(value: Any) -> bool:
    return value is None


def present_when(description: str) -> Any:
    """A key that some answers carry and others leave out, as the serialising functions build them
    (``required_if`` of a form field, ``instance`` of a duplicate...). It is never null when present,
    so leaving out exactly the unset ones keeps every answer as it was; every other optional field
    stays in the answer with its null."""
    return Field(None, exclude_if=_is_none, description=description, json_schema_extra=_drop_null_branch)


class Error(Schema):
    """Every refusal: a sentence for a person, and for input the messages by field."""

    detail: str = Field(description="Что не так, одним предложением.")
    errors: FieldMessages | None = present_when("Ошибки по полям (при неверных данных).")
    warnings: FieldMessages | None = present_when("Предупреждения по полям: их можно подтвердить и отправить снова.")


def refusals(*statuses: int) -> dict[int, type[Error]]:
    """The error statuses of an endpoint, each with the :class:`Error` body. 401 and 429 are always
    among them: no endpoint but the token one answers without authentication, and every
    authenticated one may meet the token's rate limit (``API_RATE_LIMIT``, with ``Retry-After``)."""
    return dict.fromkeys(sorted({401, 429, *statuses}), Error)


def links(status: int, **targets: dict[str, str]) -> dict[str, Any]:
    """OpenAPI links of an answer (an endpoint's ``openapi_extra``): which operation takes which of
    its values, ``assignment=… {"assignment_id": "$response.body#/assignments/0/id"}``. A client
    reads them; schemathesis's stateful phase follows them, so a started instance's assignments are
    completed and delegated with ids that exist rather than with random ones that answer 404."""
    return {
        "responses": {
            status: {  # an int, as ninja keys its responses: merged into that answer, not beside it
                "links": {
                    operation: {"operationId": f"api_{operation}", "parameters": parameters}
                    for operation, parameters in targets.items()
                }
            }
        }
    }


class Page[T](Schema):
    """Some rows of a list, and how many rows the list has in all."""

    items: list[T]
    count: int = Field(description="Сколько всего строк в списке (не только на этой странице).")


def page_of(found: listing.Window, out: Callable[[Any], Any]) -> dict[str, Any]:
    """A :class:`Page` body: the window's rows through the endpoint's ``*_out`` function."""
    return {"items": [out(row) for row in found.items], "count": found.count}


class PageQuery(Schema):
    """``limit`` and ``offset`` of every list endpoint, bounded here rather than in each view."""

    limit: int = Field(listing.PAGE_SIZE, ge=1, le=listing.MAX_LIMIT, description="Сколько строк вернуть.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Сколько строк пропустить с начала списка.")

    def window(self, rows: QuerySet[Any]) -> listing.Window:
        """This page of an already filtered and ordered list (``base.listing.window``)."""
        return listing.window(rows, limit=self.limit, offset=self.offset)


def choice(values: Iterable[str]) -> Any:
    """An optional enumerated query parameter: empty or absent means "any", as it always did; any
    other value than ``values`` is refused with the list of the allowed ones (in the user's
    language, unlike pydantic's own sentence)."""
    allowed: Sequence[str] = tuple(values)
    # The document lists "" too: it is accepted, and means the same as leaving the parameter out.
    accepted = ("", *allowed)

    def check(value: Any) -> Any:
        if value is None or value == "":
            return None
        if value not in allowed:
            raise PydanticCustomError(
                "choice", _("Допустимо: %(values)s") % {"values": ", ".join(allowed)}, {"allowed": allowed}
            )
        return value

    return Annotated[Literal[accepted] | None, BeforeValidator(check)]  # type: ignore[valid-type]


def binary_answer(content_type: str, description: str) -> dict[str, Any]:
    """The OpenAPI answer of an endpoint that sends a file (an ``openapi_extra``): its bytes under the
    type it sends. The key is the int 200, as ninja keys its responses, so it merges into ninja's own
    200 instead of standing beside it as a second "200" (a duplicate key no OpenAPI reader accepts)."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
