"""Companies (контрагенты) — api.md, thin over `crm.services`.

Companies come into existence through the `add_counterparty` process; `POST /companies` exists for
administrators only (the same checks as the process's form). Anyone logged in may read the list and
the cards and check a card without saving it: a sales department shares its counterparties.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import create_model

from api.schemas import FieldMessages, Id, Page, PageQuery, page_of, present_when, refusals
from base.errors import Forbidden, Invalid, Unavailable
from crm import lookup, services
from crm.choices import DocumentKind
from crm.models import ChangeAction, Company, CompanyStatus, Document
from crm.queries import CompanyFilter, get_company_for_user
from crm.validation import (
    CONTACT_FIELDS,
    FIELDS,
    LABELS,
    REASON_SAME_INN,
    REASON_SAME_INN_RUNNING,
    REASON_SIMILAR_NAME,
)
from engine import access
from org.access import employee_of, is_administrator

router = Router(tags=["companies"])

CARD_BODY = Body(..., description="the card fields of processes.md §2")
"""A card is a free JSON object: unknown keys are ignored and every rule is `validate_card`'s."""
CARD_INSTANCE = Query(None, description="Процесс, чья это карточка (её прежний вариант — не дубль).")


# ---------------------------------------------------------------- what the endpoints answer
#
# The card's fields are the rule book's (``crm.validation.FIELDS``, labelled by ``LABELS``), so the
# schemas are made from that list rather than written out again: a field added there is described here.


def _text(names: tuple[str, ...], prefix: str = "") -> dict[str, Any]:
    return {name: (str, Field(description=LABELS[prefix + name])) for name in names}


ContactOut = create_model("ContactOut", __base__=Schema, **_text(CONTACT_FIELDS, "contacts."))


class CompanyFileOut(Schema):
    """The company's own version of a document's file (its chain lives in the files room)."""

    id: int
    name: str = Field(description="Имя файла, как его загрузили.")
    size: int = Field(description="Размер в байтах.")
    sha256: str = Field(description="SHA-256 содержимого.")
    version: int | None = Field(description="Номер версии документа контрагента.")
    download: str = Field(description="Адрес для скачивания.")


class DocumentOut(Schema):
    """A row of the card's documents: a kind, a title, and a link or a file (or both). On input
    (`POST /companies`, `/companies/check`) `file` is a stored file's id (`POST /files`)."""

    kind: DocumentKind = Field(description=LABELS["documents.kind"])
    title: str = Field(description=LABELS["documents.title"])
    url: str = Field(description=LABELS["documents.url"] + " (пусто, если приложен файл)")
    file: CompanyFileOut | None = Field(description=LABELS["documents.file"] + " (null — только ссылка)")


_ROWS = {"contacts": list[ContactOut], "documents": list[DocumentOut]}  # type: ignore[valid-type]
_CARD = {
    name: (_ROWS.get(name, str), Field(description=LABELS[name] + (" (ISO 8601)" if name == "created_on" else "")))
    for name in FIELDS
}

CompanyOut = create_model(
    "CompanyOut",
    __base__=Schema,
    __doc__="A company's card (processes.md §2) with its origin; an empty field is an empty string.",
    id=(int, ...),
    **_CARD,
    created_at=(datetime, ...),
    updated_at=(datetime, ...),
    created_by_instance=(int | None, Field(description="Процесс «Добавление контрагента», который его создал.")),
    created_by=(str | None, Field(description="Кто добавил (имя пользователя).")),
    url=(str, Field(description="Страница контрагента.")),
)


class CompanyCreated(CompanyOut):  # type: ignore[misc, valid-type]
    warnings: FieldMessages = Field(description="Предупреждения проверки карточки (похожие названия).")


class CompanyChangeOut(Schema):
    at: datetime
    actor: str | None
    action: ChangeAction
    instance: int | None = Field(description="Процесс, внёсший изменение.")
    changes: dict[str, Any] = Field(description='Что изменилось: {поле: {"old": значение, "new": значение}}.')


class CompanyDetail(CompanyOut):  # type: ignore[misc, valid-type]
    """A company's card with its history, oldest change first."""

    history: list[CompanyChangeOut]


class DuplicateOut(Schema):
    """A company (or a card on its way in) that the checked card may duplicate."""

    id: int | None = Field(description="Контрагент (или процесс, для карточки, которая ещё добавляется).")
    name: str | None
    inn: str | None
    kpp: str | None
    reason: str = Field(
        description=f"{REASON_SAME_INN}, {services.REASON_SAME_REG_NUMBER}, {REASON_SAME_INN_RUNNING} — ошибки; "
        f"{REASON_SIMILAR_NAME} — предупреждение."
    )
    url: str | None = present_when("Страница контрагента или процесса.")
    instance: int | None = present_when(f"Процесс, в котором карточка ещё добавляется ({REASON_SAME_INN_RUNNING}).")


class CardCheckOut(Schema):
    """What the checks of the card form found; nothing was saved."""

    errors: FieldMessages
    warnings: FieldMessages
    duplicates: list[DuplicateOut]


#: A company's document rows with their files, in one query more for any number of companies.
DOCUMENTS = Prefetch("documents", queryset=Document.objects.select_related("file"))


def document_out(document: Document) -> dict[str, Any]:
    """A document row as :class:`DocumentOut` describes it."""
    stored = document.file
    file = None
    if stored is not None:
        file = {
            "id": stored.pk,
            "name": stored.name,
            "size": stored.size,
            "sha256": stored.sha256,
            "version": stored.version,
            "download": reverse("api:download_file", args=[stored.pk]),
        }
    return {"kind": document.kind, "title": document.title, "url": document.url, "file": file}


def company_out(company: Company) -> dict[str, Any]:
    """The card fields of processes.md §2, plus id, created_at, created_by_instance and the page's url."""
    return {
        "id": company.pk,
        **services.card_of(company),
        "documents": [document_out(d) for d in company.documents.all()],
        "created_at": company.created_at,
        "updated_at": company.updated_at,
        "created_by_instance": company.created_by_instance_id,
        "created_by": company.created_by.username if company.created_by else None,
        "url": company.get_absolute_url(),
    }


class CompanyQuery(PageQuery):
    """The parameters of ``GET /companies``: what ``crm.queries.CompanyFilter`` filters by."""

    q: str | None = Field(None, description="Часть названия или номера, в любом регистре.")
    inn: str | None = Field(None, description="ИНН, точно.")

    def spec(self) -> CompanyFilter:
        return CompanyFilter(q=self.q or "", inn=self.inn or "")


@router.get("/companies", response={200: Page[CompanyOut], **refusals(400)})
def list_companies(request: HttpRequest, query: Query[CompanyQuery]) -> dict[str, Any]:
    """Companies by name or number fragment (`q`, any case) and/or exact ИНН (`inn`), by name."""
    rows = query.spec().apply()
    rows = rows.select_related("responsible_manager__user", "created_by__user")
    rows = rows.prefetch_related("contacts", DOCUMENTS)
    return page_of(query.window(rows), company_out)


@router.post("/companies/check", response={200: CardCheckOut, **refusals(400, 403, 404)})
def check_company(
    request: HttpRequest,
    payload: dict[str, Any] = CARD_BODY,
    instance: Id | None = CARD_INSTANCE,
) -> dict[str, Any]:
    """The checks of the `add_counterparty` card form, nothing saved: {errors, warnings, duplicates}.

    `instance` (optional): the running process whose card this is, so its own earlier card is not
    reported as a duplicate of itself; 404 when the caller does not see it. 403 only for a browser
    session without its CSRF token.
    """
    if instance is not None:
        access.get_instance_for_user(request.user, instance)
    return services.check_card(payload, instance=instance, live=True, by=employee_of(request.user)).as_dict()


class LookupQuery(Schema):
    """The parameters of ``GET /companies/lookup``."""

    inn: str = Field(..., max_length=12, description="ИНН: 10 цифр у организации, 12 у ИП.")
    kpp: str = Field("", max_length=9, description="КПП филиала; без него — головная организация.")


class LookupOut(Schema):
    """What the state register says about an ИНН, through the configured provider (DaData)."""

    found: bool
    card: dict[str, str] = Field(description="Поля карточки (processes.md §2), которые известны реестру.")
    status: CompanyStatus | None = Field(
        description="active, liquidating, liquidated, bankrupt, reorganizing; null, если не найден."
    )
    liquidation_date: date | None = Field(description="Дата ликвидации, если компания ликвидирована.")
    warning: str | None = Field(description="Предупреждение, если компания не действует.")
    source: str = Field(description="Откуда данные: dadata.")


@router.get("/companies/lookup", response={200: LookupOut, **refusals(400, 503)})
def lookup_company(request: HttpRequest, query: Query[LookupQuery]) -> dict[str, Any]:
    """The register's data about an ИНН (+КПП) as card fields, and the company's state.

    400 when the ИНН (or КПП) fails its checks; 503 with a sentence when no provider is configured
    or it does not answer now (``Retry-After``); nothing is saved to any card.
    """
    answer = lookup.find_party(query.inn.strip(), query.kpp.strip())
    if isinstance(answer, lookup.Refusal):
        if answer.reason == lookup.BAD_INN:
            field_id = "kpp" if query.kpp.strip() and "КПП" in answer.message else "inn"
            raise Invalid({field_id: [answer.message]})
        raise Unavailable(answer.message, retry_after=answer.retry_seconds or None)
    if isinstance(answer, lookup.Missing):
        return {
            "found": False,
            "card": {},
            "status": None,
            "liquidation_date": None,
            "warning": None,
            "source": lookup.SOURCE,
        }
    party = answer.party
    return {
        "found": True,
        "card": party.card(),
        "status": party.status or None,
        "liquidation_date": party.liquidation_date,
        "warning": lookup.status_warning(party.inn, party.status, party.liquidation_date, party.actuality_date),
        "source": lookup.SOURCE,
    }


@router.post("/companies", response={201: CompanyCreated, **refusals(400, 403, 409)})
def create_company(request: HttpRequest, payload: dict[str, Any] = CARD_BODY) -> Status:
    """Administrators only: a company outside the process, after the very same checks (400); 409
    when the same ИНН+КПП was saved a moment ago by someone else."""
    if not is_administrator(request.user):
        raise Forbidden(
            _("Контрагенты добавляются через процесс «Добавление контрагента»; напрямую — только администратор.")
        )
    me = employee_of(request.user)
    check = services.check_card(payload, by=me)
    if not check.ok:
        raise Invalid(check.errors)
    cleaned = services.fill_defaults(dict(check.cleaned), starter=None)
    company = services.create_company(cleaned, actor=me)
    return Status(201, {**company_out(company), "warnings": check.warnings})


@router.get("/companies/{company_id}", response={200: CompanyDetail, **refusals(400, 404)})
def get_company(request: HttpRequest, company_id: Id) -> dict[str, Any]:
    rows = Company.objects.select_related("responsible__user", "responsible_manager__user", "created_by__user")
    company = get_company_for_user(request.user, company_id, rows.prefetch_related("contacts", DOCUMENTS))
    data = company_out(company)
    data["history"] = [
        {
            "at": change.at,
            "actor": change.actor.username if change.actor else None,
            "action": change.action,
            "instance": change.instance_id,
            "changes": change.changes,
        }
        for change in company.changes.select_related("actor__user").order_by("at", "pk")
    ]
    return data
