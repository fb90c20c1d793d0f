"""The monthly re-check of the companies against the (fake) register, on a moved clock (no sleeping)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone, translation

from base import clock
from crm import lookup, recheck
from crm.demo import inn10
from crm.models import Company, CompanyStatus, LookupUsage
from crm.tests.fake_dadata import ACTIVE, BROKEN, party
from notify.models import Notification, OutboxEmail

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def companies(demo: dict[str, Any]) -> dict[str, Any]:
    """No demo companies: each test makes the ones the fake register knows."""
    Company.objects.all().delete()
    return demo


def _company(inn: str, *, kpp: str = "770801001", responsible: Any = None, **fields: Any) -> Company:
    values = {
        "name": "Ромашка",
        "kind": "client",
        "legal_form": "ooo",
        "city": "Москва",
        "short_name": "ООО «РОМАШКА»",
        "full_name": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА»",
        "legal_address": "125009, г Москва, ул Тверская, д 1",
        **fields,
    }
    return Company.objects.create(inn=inn, kpp=kpp, responsible=responsible, **values)


def _due(company: Company, at: dt.datetime) -> None:
    Company.objects.filter(pk=company.pk).update(next_check_at=at)


def test_slots_spread_the_companies_over_a_month_and_keep_their_day():
    days = Counter(timezone.localdate(recheck.slot(pk, NOW)) for pk in range(1, 301))
    today = timezone.localdate(NOW)
    assert min(days) >= today and max(days) < today + dt.timedelta(days=30)
    assert set(days.values()) == {10}  # 300 companies: 10 a day, every day of the cycle
    first = recheck.slot(7, NOW)
    following = recheck.slot(7, first, at_least_days=15)
    assert following - first == dt.timedelta(days=30)


def test_nothing_happens_without_a_provider(companies, settings):
    settings.COMPANY_LOOKUP_TOKEN = ""
    _company(ACTIVE)
    assert recheck.recheck_due(NOW) == recheck.Rechecked()
    assert Company.objects.get().next_check_at is None


def test_new_companies_get_a_slot_and_are_checked_on_it(companies, dadata):
    company = _company(ACTIVE, responsible=companies["manager1"])
    first = recheck.recheck_due(NOW)
    assert first.scheduled == 1
    company.refresh_from_db()
    slot = company.next_check_at
    assert slot == recheck.slot(company.pk, NOW)
    if slot > NOW:
        assert recheck.recheck_due(slot - dt.timedelta(minutes=1)).checked == 0
    done = recheck.recheck_due(slot)
    assert done.checked == 1 and done.changed == 1  # unknown → active is recorded
    company.refresh_from_db()
    assert company.status == CompanyStatus.ACTIVE and company.status_checked_at == slot
    assert company.next_check_at == slot + dt.timedelta(days=30)
    assert company.changes.get().changes == {"status": {"old": "", "new": "active"}}
    assert not Notification.objects.filter(kind="company_status").exists()


def test_changes_are_recorded_and_the_responsible_is_told_when_it_stops_being_active(companies, dadata):
    manager = companies["manager1"]
    company = _company(ACTIVE, responsible=manager, status=CompanyStatus.ACTIVE)
    _due(company, NOW)
    assert recheck.recheck_due(NOW).changed == 0
    dadata.parties[ACTIVE] = party(
        ACTIVE,
        kpp="770901001",
        status="LIQUIDATED",
        full="ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА ПЛЮС»",
        address="г Москва, ул Арбат, д 2",
    )
    month_later = Company.objects.get().next_check_at
    done = recheck.recheck_due(month_later)
    assert (done.checked, done.changed, done.notified) == (1, 1, 1)
    company.refresh_from_db()
    assert company.status == CompanyStatus.LIQUIDATED and company.liquidation_date == dt.date(2024, 3, 15)
    assert company.kpp == "770901001" and company.full_name.endswith("«РОМАШКА ПЛЮС»")
    change = company.changes.order_by("-at").first()
    assert change.actor is None and change.source == lookup.SOURCE and change.at == month_later
    assert set(change.changes) == {"full_name", "legal_address", "kpp", "status"}
    assert change.changes["status"] == {"old": "active", "new": "liquidated"}
    # The old КПП is not the register's any more: it was asked again by ИНН alone.
    assert [r["body"].get("kpp") for r in dadata.requests[-2:]] == ["770801001", None]
    notice = Notification.objects.get(recipient=manager, kind="company_status")
    assert notice.text == (
        f"Контрагент «Ромашка»: ИНН {ACTIVE}: компания ликвидирована, дата: 15.03.2024 (по данным DaData)"
    )
    with translation.override("en"):  # its reader in English gets it in English
        assert notice.shown_text == (
            f"Counterparty “Ромашка”: INN {ACTIVE}: the company has been liquidated, date: 15.03.2024"
            " (according to DaData)"
        )
    assert notice.url == company.get_absolute_url()
    assert OutboxEmail.objects.filter(notification=notice).exists() == bool(manager.user.email)
    # Still liquidated a month on: no second notice.
    recheck.recheck_due(company.next_check_at)
    assert Notification.objects.filter(kind="company_status").count() == 1


def test_a_provider_error_leaves_the_next_check_soon_and_pauses_the_pass(companies, dadata):
    broken = _company(BROKEN, status=CompanyStatus.ACTIVE)
    active = _company(ACTIVE, kpp="", status=CompanyStatus.ACTIVE)
    _due(broken, NOW - dt.timedelta(hours=1))
    _due(active, NOW)
    done = recheck.recheck_due(NOW)
    assert done.refused == lookup.SERVER_ERROR and done.checked == 0
    broken.refresh_from_db()
    assert broken.next_check_at == NOW + lookup.RETRY_SOON and broken.status == CompanyStatus.ACTIVE
    assert len(dadata.requests) == 1  # the pass stopped: the other company was not asked
    assert recheck.recheck_due(NOW + dt.timedelta(minutes=30)).checked == 0
    assert len(dadata.requests) == 1  # paused
    later = recheck.recheck_due(NOW + dt.timedelta(hours=1, minutes=1))
    assert later.checked == 1  # the other one; the broken one fails again and stops the pass
    assert Company.objects.get(pk=active.pk).status_checked_at is not None


def test_a_timeout_is_retried_later_too(companies, dadata):
    from crm.tests.fake_dadata import SLOW

    slow = _company(SLOW, kpp="")
    _due(slow, NOW)
    assert recheck.recheck_due(NOW).refused == lookup.TIMEOUT
    assert Company.objects.get().next_check_at == NOW + lookup.RETRY_SOON


def test_the_daily_budget_is_respected_and_a_tenth_is_left_to_the_forms(companies, dadata, settings):
    settings.COMPANY_LOOKUP_DAILY_LIMIT = 10
    rows = [_company(inn10(f"7708112{i:02d}"), kpp="", name=f"Фирма {i}") for i in range(12)]
    for row in rows:
        _due(row, NOW - dt.timedelta(hours=1))
    done = recheck.recheck_due(NOW, limit=50)
    assert done.checked == 9 and done.refused == lookup.OVER_LIMIT
    assert len(dadata.requests) == 9
    assert LookupUsage.objects.get().paused_until is None  # not paused: only the day is spent
    with clock.frozen(NOW):
        assert lookup.spent_today() == 9
        # The tenth request of the day is still there for a person pressing the button.
        assert isinstance(lookup.find_party(ACTIVE), lookup.Found)
    tomorrow = NOW + dt.timedelta(days=1)
    assert recheck.recheck_due(tomorrow, limit=50).checked == 3
    assert not Company.objects.filter(status_checked_at__isnull=True).exists()
