"""Companies: the duplicate lookup behind every card check, creating a company exactly once, history.

`check_card` is what the form validator of `add_counterparty`, the htmx field check of the card
form, `POST /api/v1/companies/check` and the admin call: `crm.validation.validate_card` with the
database's duplicate lookup plugged in. So the four can never disagree about a card.

`create_company_for_instance` is the `create_company` step of the process. It runs inside the
engine's step transaction, with the instance row locked; the one-to-one `created_by_instance`
makes a second company for one instance impossible even if the step ran twice, and the unique
ИНН+КПП constraint stops two racing approvals of the same counterparty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from base import clock
from base.errors import Conflict, Invalid
from crm import lookup
from crm.choices import DocumentKind
from crm.models import ChangeAction, Company, CompanyChange, Contact, Document
from crm.names import similar_names
from crm.threads import THREAD
from crm.validation import (
    CONTACT_FIELDS,
    FIELDS,
    FOREIGN,
    REASON_SAME_INN,
    REASON_SAME_INN_RUNNING,
    REASON_SIMILAR_NAME,
    RUSSIA,
    CardCheck,
    DuplicatesHook,
    FileRefusal,
    validate_card,
)
from engine.documents import owner_of
from files import hooks as file_hooks
from files import services as files
from files.models import StoredFile
from org import directory
from org.models import Employee

REASON_SAME_REG_NUMBER = "same_reg_number"
"""An existing company of the same country has this registration number (foreign organisations)."""
MAX_SIMILAR = 5
"""At most this many similar names are shown: more would be noise, the first ones are the closest."""

EMPLOYEE_FIELDS = ("responsible", "responsible_manager")
SCALAR_FIELDS = tuple(f for f in FIELDS if f not in ("contacts", "documents"))


# --------------------------------------------------------------------------- the card of a company


def card_of(company: Company) -> dict[str, Any]:
    """The company as a card: the field ids of processes.md §2, JSON values (as the API shows it)."""
    card: dict[str, Any] = {}
    for field_id in SCALAR_FIELDS:
        if field_id in EMPLOYEE_FIELDS:
            person = getattr(company, field_id)
            card[field_id] = person.username if person else ""
        elif field_id == "created_on":
            card[field_id] = company.created_on.isoformat() if company.created_on else ""
        else:
            card[field_id] = getattr(company, field_id)
    card["contacts"] = [{name: getattr(c, name) for name in CONTACT_FIELDS} for c in company.contacts.all()]
    card["documents"] = [
        {"kind": d.kind, "title": d.title, "url": d.url, "file": d.file_id} for d in company.documents.all()
    ]
    return card


def _employee(username: Any) -> Employee | None:
    return directory.employee_by_username(str(username), active_only=False) if username else None


def apply_card(company: Company, card: Mapping[str, Any], employees: Mapping[str, Employee] | None = None) -> None:
    """Copy a cleaned card's scalar fields onto the model (not saved).

    `employees` (username → employee), when given, answers the responsible people without a query
    each: an import of thousands of cards looks them up once.
    """
    for field_id in SCALAR_FIELDS:
        value = card.get(field_id)
        if field_id in EMPLOYEE_FIELDS:
            if employees is not None:
                setattr(company, field_id, employees.get(str(value)) if value else None)
            else:
                setattr(company, field_id, _employee(value))
        elif field_id == "created_on":
            company.created_on = dt.date.fromisoformat(value) if value else timezone.localdate()
        else:
            setattr(company, field_id, value or "")


def replace_rows(company: Company, card: Mapping[str, Any], *, actor: Employee | None) -> None:
    """The card's contacts and documents replace the company's rows; a document row's file becomes
    (or stays) a version of the company's own document first (:func:`company_file`)."""
    company.contacts.all().delete()
    company.documents.all().delete()
    Contact.objects.bulk_create(
        Contact(company=company, order=i, **{name: row.get(name) or "" for name in CONTACT_FIELDS})
        for i, row in enumerate(card.get("contacts") or [])
    )
    Document.objects.bulk_create(
        [
            Document(
                company=company,
                order=i,
                kind=row.get("kind") or DocumentKind.OTHER,
                title=row.get("title") or "",
                url=row.get("url") or "",
                file=company_file(company, row, actor=actor, key=f"documents.{i}.file"),
            )
            for i, row in enumerate(card.get("documents") or [])
        ]
    )


# --------------------------------------------------------------------------- the company's files


def files_owner(company: Company | int) -> str:
    """The files owner of a company's documents: ``company:<id>`` (the kind registered in ``crm.apps``)."""
    return file_hooks.owner(THREAD, getattr(company, "pk", company))


def document_slot(row: Mapping[str, Any]) -> str:
    """Which of the company's documents a card row is: its kind and its title (any case). The same
    kind and title saved again with another file is that document's next version."""
    title = str(row.get("title") or "").strip().casefold()[:150]
    return f"documents/{row.get('kind') or DocumentKind.OTHER}/{title}"


def company_file(
    company: Company, row: Mapping[str, Any], *, actor: Employee | None, key: str = "file"
) -> StoredFile | None:
    """The company's own version of the file a document row names (None: the row has no file).

    - the row's document already has this file as a version, or its current version has the same
      SHA-256: that version, and nothing changes;
    - one's own upload that nobody uses yet (the API): it becomes the next version itself;
    - a version of the document of the instance that created the company (the process form), or of
      another of the company's documents (a row renamed): a stored file is a version of one document
      only, so it is stored again (``files.services.copy``, by its uploader) and the copy is the next
      version.

    Anything else is refused (``Invalid`` on ``key``) like the files room refuses it. Runs inside the
    caller's transaction: the versions exist exactly when the saved card does.
    """
    file_id = row.get("file")
    if not file_id:
        return None
    owner, slot = files_owner(company), document_slot(row)
    title = str(row.get("title") or "")
    stored = StoredFile.objects.select_related("document").filter(pk=file_id).first()
    if stored is not None and stored.document is not None:
        if (stored.document.owner, stored.document.slot) == (owner, slot):
            return stored
        sources = {owner}
        if company.created_by_instance_id:
            sources.add(owner_of(company.created_by_instance_id))
        if stored.document.owner not in sources:
            stored = None
    elif stored is not None and (actor is None or stored.uploaded_by_id != actor.pk):
        stored = None
    if stored is None:
        problem = files.refusal(file_id, by=actor, owner=owner) if actor is not None else None
        raise Invalid({key: [problem or _("Файл №%(id)s не найден.") % {"id": file_id}]})
    latest = files.current(owner, slot)
    if latest is not None and latest.sha256 == stored.sha256:
        return latest
    if stored.document_id is not None:
        stored = files.copy(stored)
    by = actor if actor is not None and stored.uploaded_by_id == actor.pk else stored.uploaded_by
    (attached,) = files.attach([stored.pk], owner=owner, slot=slot, by=by, title=title)
    return attached


def diff_cards(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for every card field whose value differs."""
    changes = {}
    for field_id in FIELDS:
        old, new = before.get(field_id), after.get(field_id)
        if (old or None) != (new or None):
            changes[field_id] = {"old": old, "new": new}
    return changes


def record_change(
    company: Company,
    *,
    actor: Employee | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    instance: Any = None,
    source: str = "",
) -> CompanyChange | None:
    """Write one history row; None when nothing changed. `before` None means the card is new.

    `source` says where the change came from when it is not a person's form (`ChangeSource`: the
    Bitrix24 import, the register through `crm.lookup`).
    """
    if before is None:
        changes = diff_cards({}, after)
        action = ChangeAction.CREATED
    else:
        changes = diff_cards(before, after)
        action = ChangeAction.UPDATED
        if not changes:
            return None
    return CompanyChange.objects.create(
        company=company, actor=actor, action=action, instance=instance, changes=changes, at=clock.now(), source=source
    )


# --------------------------------------------------------------------------- duplicates


def same_kpp(a: str | None, b: str | None) -> bool:
    """ИНН (with КПП where there is one): a missing КПП on either side does not tell them apart."""
    return not a or not b or a == b


def _company_entry(company: Company, reason: str) -> dict[str, Any]:
    return {
        "id": company.pk,
        "name": company.name,
        "inn": company.inn,
        "kpp": company.kpp,
        "reason": reason,
        "url": company.get_absolute_url(),
    }


def company_duplicates(card: Mapping[str, Any], *, exclude_company: int | None = None) -> list[dict[str, Any]]:
    """Existing companies with the card's ИНН (+КПП), or, for a foreign one, its registration number."""
    found: list[dict[str, Any]] = []
    inn = card.get("inn") or ""
    kpp = card.get("kpp") or ""
    companies = Company.objects.exclude(pk=exclude_company) if exclude_company else Company.objects.all()
    if inn:
        for company in companies.filter(inn=inn).order_by("pk"):
            if same_kpp(kpp, company.kpp):
                found.append(_company_entry(company, REASON_SAME_INN))
    reg_number = card.get("reg_number") or ""
    if card.get("legal_form") == FOREIGN and reg_number:
        for company in companies.filter(legal_form=FOREIGN, reg_number__iexact=reg_number).order_by("pk"):
            same_country = (company.country or "").casefold() == (card.get("country") or "").casefold()
            if same_country and company.pk not in {entry["id"] for entry in found}:
                entry = _company_entry(company, REASON_SAME_REG_NUMBER)
                entry["field"] = "reg_number"
                entry["message"] = _(
                    "Регистрационный номер %(number)s: такой контрагент из этой страны уже есть — «%(name)s»"
                ) % {"number": reg_number, "name": company.name}
                found.append(entry)
    return found


#: Cards still on their way into Soglasie (a running process's submitted card), checked for the
#: same ИНН/КПП like the companies: ``(card, exclude_instance) -> entries`` with reason
#: ``REASON_SAME_INN_RUNNING``. Registered by the process that collects cards (``processes``);
#: crm itself knows no process.
RunningCards = Callable[[Mapping[str, Any], int | None], list[dict[str, Any]]]
RUNNING_CARDS: list[RunningCards] = []


def running_cards(fn: RunningCards) -> RunningCards:
    """Register a source of cards in progress (a decorator)."""
    if fn not in RUNNING_CARDS:
        RUNNING_CARDS.append(fn)
    return fn


def similar_companies(
    card: Mapping[str, Any], *, exclude: Iterable[int] = (), exclude_company: int | None = None
) -> list[dict[str, Any]]:
    """Companies whose name (or short name) is like the card's, same legal form: a warning each."""
    name = card.get("name") or ""
    if not name:
        return []
    skip = set(exclude)
    if exclude_company:
        skip.add(exclude_company)
    candidates: list[tuple[int, str, str | None]] = []
    for pk, company_name, short_name, legal_form in Company.objects.values_list(
        "pk", "name", "short_name", "legal_form"
    ):
        if pk in skip:
            continue
        candidates.append((pk, company_name, legal_form))
        if short_name and short_name != company_name:
            candidates.append((pk, short_name, legal_form))
    keys: list[int] = []
    for key in similar_names(name, card.get("legal_form") or None, candidates):
        if key not in keys:
            keys.append(key)
    keys = keys[:MAX_SIMILAR]
    by_pk = Company.objects.in_bulk(keys)
    return [_company_entry(by_pk[key], REASON_SIMILAR_NAME) for key in keys if key in by_pk]


def duplicates_hook(*, instance: int | None = None, company: int | None = None) -> DuplicatesHook:
    """The `duplicates` callback of `validate_card` for a card of `instance` (or the edit of `company`).

    The card's own instance (a revision) and the company being edited are not duplicates of it.
    """

    def lookup(card: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        exact = company_duplicates(card, exclude_company=company)
        for source in RUNNING_CARDS:
            exact += source(card, instance)
        exact_companies = [entry["id"] for entry in exact if entry["reason"] != REASON_SAME_INN_RUNNING]
        similar = similar_companies(card, exclude=exact_companies, exclude_company=company)
        return exact, similar

    return lookup


def status_hook(*, live: bool = False) -> Callable[[dict[str, Any]], str | None]:
    """The `status` callback of `validate_card`: the warning about a company that is not active.

    It reads the provider's kept answer (`crm.lookup.known`); `live` asks the provider first when
    that answer is older than a day: only where no transaction waits on it (the API's check, leaving
    the ИНН field), never inside the engine's step, and a provider that is down only means no warning.
    """

    def status(card: dict[str, Any]) -> str | None:
        return lookup.record_warning(lookup.standing(card.get("inn") or "", card.get("kpp") or "", live=live))

    return status


def check_card(
    data: Mapping[str, Any],
    *,
    instance: int | None = None,
    company: int | None = None,
    live: bool = False,
    by: Employee | None = None,
) -> CardCheck:
    """The card checked with the database's duplicates and the company's state in the register: the
    one check of form, process, API, admin. `live`: see `status_hook`.

    With ``by``, each document row's file is asked of the files room too (``files.services.refusal``):
    ``by``'s own unused upload, or a version of the edited company's (or the instance's) documents.
    Without it only the ids' shape is checked: the process form's engine has asked about them already.
    """
    return validate_card(
        data,
        duplicates=duplicates_hook(instance=instance, company=company),
        status=status_hook(live=live),
        file_refusal=file_refusal(by, instance, company),
    )


def file_refusal(by: Employee | None, instance: int | None = None, company: int | None = None) -> FileRefusal | None:
    """The rule book's question about a row's file, for ``by`` (None: not asked)."""
    if by is None:
        return None
    owner = files_owner(company) if company else owner_of(instance) if instance else None

    def refuse(file_id: int) -> str | None:
        return files.refusal(file_id, by=by, owner=owner)

    return refuse


# --------------------------------------------------------------------------- defaults


def card_defaults(starter: Employee | None) -> dict[str, Any]:
    """The pre-filled values of a new card: today, Russia, the starter as responsible, their
    department and line manager (the `responsible_manager` who approves first)."""
    defaults: dict[str, Any] = {"created_on": timezone.localdate().isoformat(), "country": RUSSIA}
    if starter is not None:
        defaults["responsible"] = starter.username
        defaults.update(responsible_defaults(starter))
    return defaults


def responsible_defaults(responsible: Employee) -> dict[str, Any]:
    """The department and line manager that follow from the responsible employee."""
    manager = directory.line_manager(responsible)
    return {
        "department": responsible.department.name if responsible.department_id else "",
        "responsible_manager": manager.username if manager else "",
    }


def fill_defaults(cleaned: dict[str, Any], *, starter: str | None) -> dict[str, Any]:
    """Empty responsible / department / manager of a checked card take their defaults; the manager,
    who approves the card first, is never by default the one who adds it (four eyes)."""
    if not cleaned.get("responsible") and starter:
        cleaned["responsible"] = starter
    person = _employee(cleaned.get("responsible"))
    if person is not None:
        for key, value in responsible_defaults(person).items():
            if not cleaned.get(key) and not (key == "responsible_manager" and value == starter):
                cleaned[key] = value
    return cleaned


# --------------------------------------------------------------------------- creating


class DuplicateCompany(Conflict):
    """The company to create already exists (same ИНН+КПП): carries the entries to link to."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        names = ", ".join(f"«{entry['name']}»" for entry in entries)
        super().__init__(_("Такой контрагент уже есть: %(names)s") % {"names": names})


def _card_from(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in FIELDS}


def create_company(card: Mapping[str, Any], *, actor: Employee | None, instance: Any = None) -> Company:
    """Save a checked card as a new company with its contacts, documents and a «created» history row.

    Raises `DuplicateCompany` when a company with the same ИНН+КПП exists (also when one appeared
    a moment ago in another transaction: the unique constraint decides). Nothing is saved then.
    """
    existing = company_duplicates(card)
    if existing:
        raise DuplicateCompany(existing)
    company = Company(created_by=actor, created_by_instance=instance, created_at=clock.now())
    apply_card(company, card)
    company.updated_at = company.created_at
    record = lookup.known(company.inn, company.kpp) if company.inn else None
    source = lookup.SOURCE if record is not None and lookup.used_in(record, card) else ""
    if record is not None and record.found:
        # The card was looked up while it was filled in: the company starts with that state.
        company.status = record.status
        company.liquidation_date = record.liquidation_date
        company.status_checked_at = record.fetched_at
    try:
        with transaction.atomic():
            company.save()
            replace_rows(company, card, actor=actor)
    except IntegrityError:
        raced = company_duplicates(card)
        if raced:
            raise DuplicateCompany(raced) from None
        raise
    record_change(company, actor=actor, before=None, after=card_of(company), instance=instance, source=source)
    return company


def create_company_for_instance(instance: Any, variables: Mapping[str, Any]) -> tuple[Company, bool]:
    """The approved card of an `add_counterparty` instance as a company, exactly once per instance.

    Returns (company, created). A retried step finds the company it made and returns it. The card is
    checked once more with the rule book (variables are the checked card, so this only guards
    against a card that never went through the form).
    """
    existing = Company.objects.filter(created_by_instance=instance).first()
    if existing is not None:
        return existing, False
    check = validate_card(_card_from(variables))
    if not check.ok:
        raise ValueError(f"the card of instance {instance.pk} does not pass the checks: {check.errors}")
    card = fill_defaults(dict(check.cleaned), starter=variables.get("starter"))
    actor = _last_performer(instance, "finance_approval")
    try:
        with transaction.atomic():
            return create_company(card, actor=actor, instance=instance), True
    except IntegrityError:
        existing = Company.objects.filter(created_by_instance=instance).first()
        if existing is not None:
            return existing, False
        raise


def _last_performer(instance: Any, key: str) -> Employee | None:
    done = (
        instance.assignments.filter(key=key, status="done", completed_by__isnull=False)
        .select_related("completed_by")
        .order_by("-completed_at", "-pk")
        .first()
    )
    return done.completed_by if done else None


def update_company(company: Company, card: Mapping[str, Any], *, actor: Employee | None) -> Company:
    """Replace a company's card with a checked one and write what changed into its history."""
    before = card_of(company)
    with transaction.atomic():
        apply_card(company, card)
        company.updated_at = clock.now()
        company.save()
        replace_rows(company, card, actor=actor)
        record_change(company, actor=actor, before=before, after=card_of(company))
    return company


# --------------------------------------------------------------------------- finding


def company_of(instance: Any) -> Company | None:
    """The company a counterparty process created (None for any other process, or before its end)."""
    return Company.objects.filter(created_by_instance=instance).first()


# --------------------------------------------------------------------------- filling from the register


@dataclass
class Filled:
    """What «Заполнить по ИНН» did to a card: the provider's answer, the fields it filled (they were
    empty), the fields where the person typed something else (left alone until they ask), the card."""

    answer: lookup.Answer
    filled: dict[str, str] = field(default_factory=dict)
    differing: dict[str, tuple[str, str]] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)


def fill_from_register(card: Mapping[str, Any], *, overwrite: Iterable[str] = ()) -> Filled:
    """Fill a card's empty fields from the register's answer about its ИНН (and КПП).

    A field the person typed is never replaced unless it is named in ``overwrite`` (the form's
    «Заменить» after showing the difference). Never raises: a provider that is down is an answer
    (`lookup.Refusal`) and the card stays as typed.
    """
    result = Filled(answer=lookup.not_configured(), card=dict(card))
    inn = str(card.get("inn") or "").strip().replace(" ", "")
    kpp = str(card.get("kpp") or "").strip().replace(" ", "")
    answer: lookup.Answer = lookup.Refusal(lookup.BAD_INN, _("Введите ИНН, чтобы заполнить карточку по нему."))
    if inn:
        record = lookup.known(inn, kpp)
        fresh = record is not None and clock.now() - record.fetched_at < lookup.FRESH and record.found
        answer = lookup.from_record(record) if fresh and record is not None else lookup.find_party(inn, kpp)
    result.answer = answer
    if not isinstance(answer, lookup.Found):
        return result
    allowed = set(overwrite)
    for field_id, value in answer.party.card().items():
        typed = str(card.get(field_id) or "").strip()
        if not typed or field_id in allowed:
            if typed != value:
                result.filled[field_id] = value
                result.card[field_id] = value
        elif not lookup.same_value(field_id, typed, value):
            result.differing[field_id] = (typed, value)
    return result
