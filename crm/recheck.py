"""The monthly re-check of every company against the state register (through `crm.lookup`).

Each company with an ИНН has a slot: `Company.next_check_at`, a day of a 30-day cycle chosen by its
pk, so the companies spread evenly over the month instead of all falling due on the day the
feature was switched on (3,000 companies: about 100 requests a day). The worker calls
:func:`recheck_due` on every pass; it does little most of the time (one query) and checks at most
:data:`BATCH` companies a pass.

A check takes a company's register data: a change of the full or short name, the legal address,
the КПП or the state is written to the card and to its history (no actor, source `dadata`), and
when the state becomes one that is not active (liquidated, bankrupt, in liquidation,
reorganizing) the card's responsible is told (their line manager when they left).

Safe to run from several workers at once: a company is claimed by a conditional UPDATE that moves
its `next_check_at` a lease ahead (:data:`LEASE`), so a second worker does not see it as due; the
register is asked outside any transaction (no row waits on the network); the answer is applied
under the company's row lock. A worker that dies mid-check leaves the lease, and the company is
due again when it runs out.

The day's requests are shared with the people pressing «Заполнить по ИНН»: the re-check stops at
`COMPANY_LOOKUP_DAILY_LIMIT` less :data:`FORM_SHARE` percent, and goes on the next day. A refusal
that would repeat for every company (a timeout, 5xx, 401, 403, 429) ends the pass, puts the
company's next check an hour (401/403: half a day) later and pauses the re-check as long.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from base import clock
from crm import lookup
from crm.models import ChangeAction, Company, CompanyChange, CompanyStatus, LookupUsage
from crm.services import card_of, diff_cards
from notify.models import Kind
from notify.services import notify
from notify.texts import Phrase
from org import directory

log = logging.getLogger(__name__)

CYCLE_DAYS = 30
"""A company is checked once in this many days."""
LEASE = dt.timedelta(minutes=15)
"""How long a claimed company is not due for other workers (longer than any one check takes)."""
BATCH = 20
"""Companies checked at most per worker pass: a pass stays short even when many are due."""
FORM_SHARE = 10
"""Percent of the day's requests the re-check leaves to the people filling cards."""
CHECK_HOUR = 3
"""The hour (local time) a company's day of checking begins: a quiet hour."""

#: The register's fields that a check keeps up to date on the card.
TRACKED = ("full_name", "short_name", "legal_address", "kpp")
NOT_ACTIVE = frozenset(
    {CompanyStatus.LIQUIDATING, CompanyStatus.LIQUIDATED, CompanyStatus.BANKRUPT, CompanyStatus.REORGANIZING}
)


@dataclass
class Rechecked:
    """What one pass did."""

    scheduled: int = 0
    checked: int = 0
    changed: int = 0
    notified: int = 0
    refused: str = ""
    errors: list[str] = field(default_factory=list)


def slot(company_pk: int, after: dt.datetime, *, at_least_days: int = 0) -> dt.datetime:
    """The company's day of the cycle on or after ``after`` + ``at_least_days``, at :data:`CHECK_HOUR`.

    The day is the one whose ordinal matches the pk modulo :data:`CYCLE_DAYS`: the companies are
    spread evenly, and each keeps its day (checked every 30 days once it has one).
    """
    start = timezone.localdate(after) + dt.timedelta(days=at_least_days)
    day = start + dt.timedelta(days=(company_pk - start.toordinal()) % CYCLE_DAYS)
    return dt.datetime.combine(day, dt.time(CHECK_HOUR), tzinfo=timezone.get_default_timezone())


def _checkable() -> QuerySet[Company]:
    """The companies the register knows by ИНН (a foreign organisation has none)."""
    return Company.objects.exclude(inn="")


def recheck_due(now: dt.datetime | None = None, *, limit: int = BATCH) -> Rechecked:
    """Schedule the companies without a slot, then check those due by ``now`` (at most ``limit``).

    Does nothing without a configured provider. Never raises for one company: its error is logged,
    named in ``errors``, and the company is due again when its lease runs out.
    """
    result = Rechecked()
    if not lookup.configured():
        return result
    now = now or clock.now()
    with clock.frozen(now):
        for pk in _checkable().filter(next_check_at__isnull=True).values_list("pk", flat=True)[:1000]:
            result.scheduled += Company.objects.filter(pk=pk, next_check_at__isnull=True).update(
                next_check_at=slot(pk, now)
            )
        if LookupUsage.objects.filter(paused_until__gt=now).exists():
            return result
        reserve = settings.COMPANY_LOOKUP_DAILY_LIMIT * FORM_SHARE // 100
        due = (
            _checkable()
            .filter(next_check_at__lte=now)
            .order_by("next_check_at", "pk")
            .values_list("pk", "next_check_at")[:limit]
        )
        for pk, due_at in list(due):
            if Company.objects.filter(pk=pk, next_check_at=due_at).update(next_check_at=now + LEASE) != 1:
                continue  # another worker took it
            try:
                refusal = _check(pk, now, reserve, result)
            except Exception as error:  # the sweep's fault boundary: one bad company must not stop it
                log.exception("re-check of company %s failed", pk)
                result.errors.append(f"company {pk}: {error}")
                continue
            if refusal is not None:
                result.refused = refusal.reason
                if refusal.reason != lookup.OVER_LIMIT:
                    _pause(now + refusal.retry_after)
                break
    return result


def _pause(until: dt.datetime) -> None:
    day = timezone.localdate(clock.now())
    try:
        with transaction.atomic():
            usage, _created = LookupUsage.objects.get_or_create(day=day)
    except IntegrityError:
        usage = LookupUsage.objects.get(day=day)
    LookupUsage.objects.filter(pk=usage.pk).update(paused_until=until)


def _check(pk: int, now: dt.datetime, reserve: int, result: Rechecked) -> lookup.Refusal | None:
    """Ask the register about one claimed company and apply the answer; the refusal, if any."""
    company = Company.objects.get(pk=pk)
    answer = lookup.find_party(company.inn, company.kpp, reserve=reserve)
    if isinstance(answer, lookup.Missing) and company.kpp:
        # The КПП may be what changed (the company moved to another tax office): ask by ИНН alone.
        answer = lookup.find_party(company.inn, reserve=reserve)
    if isinstance(answer, lookup.Refusal):
        Company.objects.filter(pk=pk).update(next_check_at=now + answer.retry_after)
        log.warning("re-check of company %s: %s, next try at %s", pk, answer.reason, now + answer.retry_after)
        return answer
    result.checked += 1
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=pk)
        company.next_check_at = slot(pk, now, at_least_days=CYCLE_DAYS // 2)
        company.status_checked_at = now
        if isinstance(answer, lookup.Missing):
            log.warning("re-check of company %s: ИНН %s is not in the register", pk, company.inn)
            company.save(update_fields=["next_check_at", "status_checked_at"])
            return None
        party = answer.party
        before = card_of(company)
        old_status = company.status
        registered = party.card()
        for key in TRACKED:
            if registered.get(key) and not lookup.same_value(key, getattr(company, key), registered[key]):
                setattr(company, key, registered[key])
        company.status = party.status
        company.liquidation_date = party.liquidation_date
        changes = diff_cards(before, card_of(company))
        if old_status != company.status:
            changes["status"] = {"old": old_status, "new": company.status}
        if changes:
            company.updated_at = now
        try:
            with transaction.atomic():
                company.save()
        except IntegrityError:
            # The new КПП is another company's (a branch entered as its own card): keep the old one.
            log.warning("re-check of company %s: КПП %s belongs to another company", pk, company.kpp)
            changes.pop("kpp", None)
            company.kpp = before["kpp"]
            company.save()
        if changes:
            result.changed += 1
            CompanyChange.objects.create(
                company=company,
                actor=None,
                action=ChangeAction.UPDATED,
                changes=changes,
                at=now,
                source=lookup.SOURCE,
            )
        if company.status in NOT_ACTIVE and old_status != company.status:
            result.notified += _tell_responsible(company, party)
    return None


def _tell_responsible(company: Company, party: lookup.Party) -> int:
    """Tell the card's responsible (their line manager when they left) that the company stopped
    being active; 1 when someone was told."""
    person = company.responsible
    if person is not None and not person.is_active:
        person = directory.line_manager(person)
    if person is None:
        return 0
    warning = lookup.status_phrase(party.inn, party.status, party.liquidation_date, party.actuality_date)
    text = Phrase(gettext_noop("Контрагент «%(name)s»: %(warning)s"), name=company.name, warning=warning)
    notify(person, Kind.COMPANY_STATUS, text, url=company.get_absolute_url())
    return 1
