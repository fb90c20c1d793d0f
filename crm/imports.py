"""An import of counterparties: read → check → report → write, the same for the command and the page.

Every row passes `crm.validation.validate_card`, the card form's rule book, with a duplicates
lookup of its own: the database's companies are read once into memory (ИНН → companies, names
normalised once) instead of a query per row, and each accepted row is added to the lookup, so a
second row with the same ИНН/КПП in the same import is refused as a duplicate of the first.

A row whose Bitrix24 id is already on a company (`Company.bitrix24_id`) updates that company: the
values the source gives replace the card's, what it leaves empty (and the card's documents) stay,
and the result is checked as a whole. A row without changes is left alone. So running an import
twice creates nothing the second time.

Without `commit` nothing is written. With it, the accepted rows are written in batches of
`BATCH` companies, each batch in one transaction: new companies with `bulk_create` (and their
contacts and the history rows «импорт из Битрикс24»), updates one by one through the same
history. A batch that meets a company someone saved a moment ago (the unique ИНН+КПП or Bitrix24
id) is rolled back and written row by row, the row that clashes reported as a duplicate.

Name matches are warnings, as on the card form: they are reported and do not stop a row. They are
looked for only for companies to create (an update is the same company by its Bitrix24 id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from base import clock
from crm import services
from crm.bitrix24 import PortalUser, SourceRow
from crm.models import ChangeAction, ChangeSource, Company, CompanyChange, Contact
from crm.names import SIMILARITY_THRESHOLD, normalize_name
from crm.validation import CONTACT_FIELDS, REASON_SAME_INN, REASON_SIMILAR_NAME, CardCheck, validate_card
from org.models import Employee

BATCH = 500
"""Companies written per transaction: large enough for speed, small enough to keep locks short."""
MAX_SIMILAR = services.MAX_SIMILAR

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase "check" or "write"."""

CREATE, UPDATE, UNCHANGED, INVALID, DUPLICATE = "create", "update", "unchanged", "invalid", "duplicate"


@dataclass
class RowOutcome:
    """What became (or would become) of one row, and why."""

    row: int
    source_id: str
    name: str
    action: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    duplicate_of: dict[str, Any] | None = None
    company_id: int | None = None


@dataclass
class Report:
    """The report of one run. `created`/`updated`/`unchanged` are what was written with `commit`,
    and what would be written without it."""

    read: int = 0
    rows: list[RowOutcome] = field(default_factory=list)
    commit: bool = False
    users: dict[str, int] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.rows if outcome.action == action)

    @property
    def valid(self) -> int:
        return sum(1 for outcome in self.rows if outcome.action in (CREATE, UPDATE, UNCHANGED))

    def as_json(self) -> dict[str, Any]:
        """The contract of `import_bitrix24 --json` (api.md «Counterparty data from outside»)."""
        return {
            "read": self.read,
            "valid": self.valid,
            "invalid": [
                {"row": o.row, "source_id": o.source_id, "errors": o.errors} for o in self.rows if o.action == INVALID
            ],
            "duplicates": [
                {"row": o.row, "source_id": o.source_id, "company": o.duplicate_of}
                for o in self.rows
                if o.action == DUPLICATE
            ],
            "created": self.count(CREATE),
            "updated": self.count(UPDATE),
            "unchanged": self.count(UNCHANGED),
        }


class _Lookup:
    """The duplicates of `validate_card` answered from memory: Soglasie's companies and the rows
    already accepted in this import."""

    def __init__(self) -> None:
        self.by_inn: dict[str, list[dict[str, Any]]] = {}
        self.names: list[str] = []
        self.name_keys: list[tuple[int, str]] = []
        self.seen_names: dict[tuple[str, str], dict[str, Any]] = {}
        for pk, name, short_name, inn, kpp, legal_form in Company.objects.values_list(
            "pk", "name", "short_name", "inn", "kpp", "legal_form"
        ):
            entry = {"id": pk, "name": name, "inn": inn, "kpp": kpp, "url": f"/companies/{pk}/"}
            if inn:
                self.by_inn.setdefault(inn, []).append(entry)
            for text in {name, short_name}:
                normal = normalize_name(text or "")
                if normal:
                    self.names.append(normal)
                    self.name_keys.append((pk, legal_form))
        self.by_pk_name = {pk: name for pk, name in Company.objects.values_list("pk", "name")}

    def hook(self, exclude: int | None, similar: bool) -> Callable[[dict[str, Any]], tuple[list, list]]:
        def lookup(card: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            inn, kpp = card.get("inn") or "", card.get("kpp") or ""
            exact = [
                {**entry, "reason": REASON_SAME_INN}
                for entry in self.by_inn.get(inn, [])
                if (exclude is None or entry.get("id") != exclude) and services.same_kpp(kpp, entry["kpp"])
            ]
            found: list[dict[str, Any]] = []
            if similar and not exact:
                found = self.similar(card)
            return exact, found

        return lookup

    def similar(self, card: Mapping[str, Any]) -> list[dict[str, Any]]:
        target = normalize_name(card.get("name") or "")
        if not target:
            return []
        legal_form = card.get("legal_form") or ""
        found: list[dict[str, Any]] = []
        matches = process.extract(
            target, self.names, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILARITY_THRESHOLD, limit=MAX_SIMILAR * 2
        )
        for _text, _score, index in matches:
            pk, form = self.name_keys[index]
            if legal_form and form and form != legal_form:
                continue
            if all(entry["id"] != pk for entry in found):
                found.append(
                    {
                        "id": pk,
                        "name": self.by_pk_name.get(pk, ""),
                        "inn": None,
                        "kpp": None,
                        "reason": REASON_SIMILAR_NAME,
                        "url": f"/companies/{pk}/",
                    }
                )
        earlier = self.seen_names.get((target, legal_form))
        if earlier is not None:
            found.append({**earlier, "reason": REASON_SIMILAR_NAME})
        return found[:MAX_SIMILAR]

    def accept(self, outcome: RowOutcome, card: Mapping[str, Any], company_id: int | None) -> None:
        """A row passed: later rows with its ИНН/КПП are its duplicates, its name is «similar»."""
        label = _("%(name)s (строка %(row)d этого импорта)") % {"name": card.get("name"), "row": outcome.row}
        entry = {
            "id": company_id,
            "name": label,
            "inn": card.get("inn") or "",
            "kpp": card.get("kpp") or "",
            "row": outcome.row,
            "source_id": outcome.source_id,
        }
        if card.get("inn") and company_id is None:
            self.by_inn.setdefault(card["inn"], []).append(entry)
        normal = normalize_name(card.get("name") or "")
        if normal and company_id is None:
            self.seen_names.setdefault((normal, card.get("legal_form") or ""), entry)


def _merged(before: Mapping[str, Any], card: Mapping[str, Any]) -> dict[str, Any]:
    """An update: the values the source gives over the card; empty ones and the documents stay."""
    merged = dict(before)
    for key, value in card.items():
        if key == "documents":
            continue
        if value not in (None, "", []):
            merged[key] = value
    return merged


def check_rows(rows: Iterable[SourceRow], *, progress: Progress | None = None) -> tuple[Report, dict[int, dict]]:
    """Check every row against the rule book and the duplicates; nothing is written.

    Returns the report and, for each accepted row (by its position in the report), the cleaned
    card to write.
    """
    rows = list(rows)
    report = Report(read=len(rows))
    lookup = _Lookup()
    ids = [row.source_id for row in rows if row.source_id]
    existing: dict[str, Company] = {}
    for start in range(0, len(ids), 900):
        for company in (
            Company.objects.filter(bitrix24_id__in=ids[start : start + 900])
            .select_related("responsible__user", "responsible_manager__user")
            .prefetch_related("contacts", "documents")
        ):
            existing[company.bitrix24_id or ""] = company
    cards: dict[int, dict] = {}
    for position, row in enumerate(rows):
        company = existing.get(row.source_id) if row.source_id else None
        before = services.card_of(company) if company is not None else None
        data = _merged(before, row.card) if before is not None else row.card
        check: CardCheck = validate_card(data, duplicates=lookup.hook(company.pk if company else None, before is None))
        outcome = RowOutcome(
            row=row.row,
            source_id=row.source_id,
            name=str(data.get("name") or ""),
            action=INVALID,
            errors=check.errors,
            warnings=check.warnings,
        )
        exact = [entry for entry in check.duplicates if entry["reason"] == REASON_SAME_INN]
        if exact:
            outcome.action = DUPLICATE
            first = exact[0]
            outcome.duplicate_of = {k: first.get(k) for k in ("id", "name", "url", "row", "source_id") if first.get(k)}
        elif check.ok:
            cleaned = services.fill_defaults(dict(check.cleaned), starter=None)
            if before is not None:
                cleaned["documents"] = before["documents"]
                outcome.company_id = company.pk
                outcome.action = UPDATE if services.diff_cards(before, cleaned) else UNCHANGED
            else:
                outcome.action = CREATE
            cards[position] = cleaned
            lookup.accept(outcome, cleaned, company.pk if company else None)
        report.rows.append(outcome)
        if progress and (position % 100 == 99 or position == len(rows) - 1):
            progress("check", position + 1, len(rows))
    return report, cards


def write_rows(
    report: Report, cards: Mapping[int, dict], *, actor: Employee | None, progress: Progress | None = None
) -> None:
    """Write the accepted rows of a checked report, `BATCH` companies a transaction."""
    employees = {e.user.username: e for e in Employee.objects.select_related("user")}
    todo = [(i, o) for i, o in enumerate(report.rows) if o.action in (CREATE, UPDATE)]
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        try:
            with transaction.atomic():
                _write_batch(report, batch, cards, actor, employees)
        except IntegrityError:
            for item in batch:
                try:
                    with transaction.atomic():
                        _write_batch(report, [item], cards, actor, employees)
                except IntegrityError:
                    outcome = item[1]
                    outcome.action = DUPLICATE
                    outcome.duplicate_of = {"name": outcome.name}
                    outcome.errors = {"inn": [_clash()]}
        if progress:
            progress("write", min(start + BATCH, len(todo)), len(todo))
    report.commit = True


def _clash() -> str:
    return _("Такой контрагент появился в Soglasie во время импорта: строка не записана")


def _write_batch(
    report: Report,
    batch: list[tuple[int, RowOutcome]],
    cards: Mapping[int, dict],
    actor: Employee | None,
    employees: Mapping[str, Employee],
) -> None:
    now = clock.now()
    new: list[tuple[RowOutcome, Company, dict]] = []
    for position, outcome in batch:
        card = cards[position]
        if outcome.action == UPDATE:
            company = Company.objects.get(pk=outcome.company_id)
            before = services.card_of(company)
            services.apply_card(company, card, employees)
            company.updated_at = now
            company.save()
            services.replace_rows(company, card, actor=actor)
            services.record_change(
                company, actor=actor, before=before, after=services.card_of(company), source=ChangeSource.BITRIX24
            )
            continue
        company = Company(created_by=actor, created_at=now, updated_at=now, bitrix24_id=outcome.source_id or None)
        services.apply_card(company, card, employees)
        company.fill_search_text()
        new.append((outcome, company, card))
    if not new:
        return
    Company.objects.bulk_create([company for _o, company, _c in new])
    Contact.objects.bulk_create(
        Contact(company=company, order=i, **{name: row.get(name) or "" for name in CONTACT_FIELDS})
        for _o, company, card in new
        for i, row in enumerate(card.get("contacts") or [])
    )
    CompanyChange.objects.bulk_create(
        CompanyChange(
            company=company,
            actor=actor,
            action=ChangeAction.CREATED,
            at=now,
            changes=services.diff_cards({}, card),
            source=ChangeSource.BITRIX24,
        )
        for _o, company, card in new
    )
    for outcome, company, _card in new:
        outcome.company_id = company.pk


def run(
    rows: Iterable[SourceRow], *, commit: bool, actor: Employee | None = None, progress: Progress | None = None
) -> Report:
    """Check the rows and, with `commit`, write the accepted ones: the whole import."""
    report, cards = check_rows(rows, progress=progress)
    if commit:
        write_rows(report, cards, actor=actor, progress=progress)
    return report


# --------------------------------------------------------------------------- users


def username_of_email() -> Callable[[str], str]:
    """email → the username of the Soglasie log-in with that e-mail ("" when none), read once."""
    users = {
        (email or "").lower(): username
        for username, email in get_user_model().objects.exclude(email="").values_list("username", "email")
    }
    return lambda email: users.get((email or "").lower(), "")


def import_users(users: Iterable[PortalUser], *, commit: bool) -> dict[str, int]:
    """Bitrix24 users as employees, matched by e-mail: a new log-in and employee, both inactive
    (an administrator turns on who really works in Soglasie); a known e-mail is left as it is.
    Users without an e-mail cannot be matched and are skipped."""
    User = get_user_model()
    known = {email.lower() for email in User.objects.exclude(email="").values_list("email", flat=True)}
    taken = set(User.objects.values_list("username", flat=True))
    counts = {"created": 0, "existing": 0, "skipped": 0}
    with transaction.atomic():
        for user in users:
            if not user.email:
                counts["skipped"] += 1
                continue
            if user.email in known:
                counts["existing"] += 1
                continue
            counts["created"] += 1
            known.add(user.email)
            if not commit:
                continue
            username = user.email[:150]
            if username in taken:
                username = f"b24-{user.id}-{username}"[:150]
            taken.add(username)
            login = User.objects.create_user(username=username, email=user.email, is_active=False)
            login.set_unusable_password()
            login.save(update_fields=["password"])
            Employee.objects.create(
                user=login, full_name=user.full_name[:200], position=user.position[:200], is_active=False
            )
    return counts
