"""The schedules of the quarterly processes over 2026–2027: the exact instants they fire (with the
Russian production calendar's holidays), one instance per period whatever the sweeps, the workers or
the people do, an administrator's change, and the quarter of a manual start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from engine import actions, sweeps
from engine.models import Instance, Schedule, ScheduledStart
from engine.tests.flows import race
from processes.apps import deploy_files
from processes.tests.quarterly_support import deploy_processes

#: 09:00 Moscow on the 15th of March, June, September, December: for the next quarter. Always the
#: 15th, weekend or not (15 March 2026 is a Sunday): the file says so and §1 asks for no move.
TRADE_CONDITIONS = [
    ("2026-03-15T06:00:00+00:00", "2026-Q2"),
    ("2026-06-15T06:00:00+00:00", "2026-Q3"),
    ("2026-09-15T06:00:00+00:00", "2026-Q4"),
    ("2026-12-15T06:00:00+00:00", "2027-Q1"),
    ("2027-03-15T06:00:00+00:00", "2027-Q2"),
    ("2027-06-15T06:00:00+00:00", "2027-Q3"),
    ("2027-09-15T06:00:00+00:00", "2027-Q4"),
    ("2027-12-15T06:00:00+00:00", "2028-Q1"),
]
#: 09:00 Moscow on the first working day of each quarter: for the quarter just ended.
BONUS_AGREEMENTS = [
    ("2026-01-12T06:00:00+00:00", "2025-Q4"),  # 1–8 January holidays, 9–11 moved days off and a weekend
    ("2026-04-01T06:00:00+00:00", "2026-Q1"),
    ("2026-07-01T06:00:00+00:00", "2026-Q2"),
    ("2026-10-01T06:00:00+00:00", "2026-Q3"),
    ("2027-01-11T06:00:00+00:00", "2026-Q4"),  # 1–8 January holidays, 9–10 a weekend
    ("2027-04-01T06:00:00+00:00", "2027-Q1"),
    ("2027-07-01T06:00:00+00:00", "2027-Q2"),
    ("2027-10-01T06:00:00+00:00", "2027-Q3"),
]
SINCE = datetime(2025, 12, 31, 21, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Moscow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def instances(key: str) -> list[tuple[str, str]]:
    return [
        (i.started_at.isoformat(), i.variables["quarter"])
        for i in Instance.objects.filter(process_key=key).order_by("started_at", "pk")
    ]


@pytest.fixture
def q(demo):
    """Deployed processes whose schedules count from 1 January 2026 (they are created at deploy time,
    and periods before that are never back-filled)."""
    deploy_processes(demo)
    Schedule.objects.update(active_since=SINCE)
    return demo


def test_the_files_create_the_schedules_an_administrator_then_edits(q):
    trade = Schedule.objects.get(definition__key="trade_conditions")
    bonus = Schedule.objects.get(definition__key="bonus_agreements")
    assert (trade.cron, trade.tz, trade.first_working_day, trade.enabled) == (
        "0 9 15 3,6,9,12 *",
        "Europe/Moscow",
        False,
        True,
    )
    assert (bonus.cron, bonus.tz, bonus.first_working_day, bonus.enabled) == (
        "0 9 1 1,4,7,10 *",
        "Europe/Moscow",
        True,
        True,
    )


def test_each_fires_at_its_exact_instant_over_2026_and_2027_once(q):
    due = sorted(
        [(t, "trade_conditions", qu) for t, qu in TRADE_CONDITIONS]
        + [(t, "bonus_agreements", qu) for t, qu in BONUS_AGREEMENTS]
    )
    for moment, key, quarter in due:
        before = Instance.objects.filter(process_key=key).count()
        assert sweeps.fire_due(at(moment) - timedelta(minutes=1)).started == 0, (moment, key)
        assert Instance.objects.filter(process_key=key).count() == before
        fired = sweeps.fire_due(at(moment))
        assert fired.started == 1 and not fired.errors, (moment, key, fired)
        started = Instance.objects.filter(process_key=key).latest("pk")
        assert started.started_at == at(moment) and started.variables["quarter"] == quarter
        assert started.started_by is None and started.status == "running"
        assert sweeps.fire_due(at(moment)).started == 0  # a second sweep adds nothing
    assert instances("trade_conditions") == TRADE_CONDITIONS
    assert instances("bonus_agreements") == BONUS_AGREEMENTS
    trade = Instance.objects.filter(process_key="trade_conditions").latest("pk")
    assert trade.title == "Торговые условия на 2028-Q1"
    assert trade.assignments.get().key == "select_start_recipients"
    bonus = Instance.objects.filter(process_key="bonus_agreements").latest("pk")
    assert bonus.title == "Бонусные соглашения за 2027-Q3"
    assert bonus.assignments.get().key == "prepare_documents"


def test_a_worker_that_was_down_starts_each_missed_period_once(q):
    fired = sweeps.fire_due(at("2026-07-05T00:00:00+00:00"))
    assert fired.started == 5 and not fired.errors
    assert [quarter for _, quarter in instances("trade_conditions")] == ["2026-Q2", "2026-Q3"]
    assert [quarter for _, quarter in instances("bonus_agreements")] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert not sweeps.fire_due(at("2026-07-05T00:00:00+00:00")).started
    assert not sweeps.fire_due(at("2026-09-15T05:59:00+00:00")).started
    assert ScheduledStart.objects.count() == 5


def test_a_quarter_started_by_hand_is_not_started_again_by_the_schedule(q):
    sweeps.fire_due(at("2026-03-01T00:00:00+00:00"))  # the January bonus start, out of the way
    by_hand = actions.start("trade_conditions", by=q["sales_admin"].user, variables={"quarter": "2026-Q2"})
    fired = sweeps.fire_due(at("2026-03-15T06:00:00+00:00"))
    assert fired.started == 0
    assert list(Instance.objects.filter(process_key="trade_conditions")) == [by_hand]
    record = ScheduledStart.objects.get(schedule__definition__key="trade_conditions")
    assert record.instance is None and "2026-Q2" in record.error
    # The period is done: later sweeps do not retry it; the next quarter starts as usual.
    assert sweeps.fire_due(at("2026-06-15T06:00:00+00:00")).started == 2  # with the April bonus start
    assert sorted(quarter for _, quarter in instances("trade_conditions")) == ["2026-Q2", "2026-Q3"]


def test_an_administrator_moves_the_schedule_in_the_admin(q, login):
    trade = Schedule.objects.get(definition__key="trade_conditions")
    admin = login("admin")
    page = admin.get(f"/admin/engine/schedule/{trade.pk}/change/")
    assert page.status_code == 200
    response = admin.post(
        f"/admin/engine/schedule/{trade.pk}/change/",
        {
            "cron": "0 10 20 3,6,9,12 *",
            "tz": "Europe/Moscow",
            "first_working_day": "on",
            "enabled": "on",
            "active_since_0": "01.01.2026",
            "active_since_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    trade.refresh_from_db()
    assert (trade.cron, trade.first_working_day) == ("0 10 20 3,6,9,12 *", True)
    assert trade.active_since == SINCE
    assert sweeps.fire_due(at("2026-03-15T06:00:00+00:00")).started == 1  # only the January bonus start
    assert instances("trade_conditions") == []
    # 20 March 2026 is a Friday: 10:00 Moscow. 20 June 2026 is a Saturday: Monday 22 June.
    assert sweeps.fire_due(at("2026-03-20T06:59:00+00:00")).started == 0
    assert sweeps.fire_due(at("2026-03-20T07:00:00+00:00")).started == 1
    assert sweeps.fire_due(at("2026-06-22T06:59:00+00:00")).started == 1  # the April bonus start
    assert sweeps.fire_due(at("2026-06-22T07:00:00+00:00")).started == 1
    assert instances("trade_conditions") == [
        ("2026-03-20T07:00:00+00:00", "2026-Q2"),
        ("2026-06-22T07:00:00+00:00", "2026-Q3"),
    ]


def test_a_disabled_schedule_starts_nothing(q):
    Schedule.objects.filter(definition__key="bonus_agreements").update(enabled=False)
    sweeps.fire_due(at("2027-12-31T00:00:00+00:00"))
    assert instances("bonus_agreements") == []
    assert len(instances("trade_conditions")) == 8


# ------------------------------------------------------------------ the quarter of a manual start


@pytest.mark.parametrize(
    ("moment", "trade", "bonus"),
    [
        ("2026-12-10T09:00:00+00:00", "2027-Q1", "2026-Q3"),
        ("2026-12-31T20:59:00+00:00", "2027-Q1", "2026-Q3"),  # 23:59 in Moscow
        ("2026-12-31T21:00:00+00:00", "2027-Q2", "2026-Q4"),  # already 1 January in Moscow
    ],
)
def test_a_manual_start_without_a_quarter_takes_the_schedule_s_rule(q, api_client, time_machine, moment, trade, bonus):
    time_machine.move_to(moment)
    url = "/api/v1/processes/{}/start"
    body = {"variables": {}}
    started = api_client("sales_admin").post(url.format("trade_conditions"), body, content_type="application/json")
    assert started.status_code == 201 and started.json()["variables"]["quarter"] == trade
    started = api_client("sales_admin").post(url.format("bonus_agreements"), body, content_type="application/json")
    assert started.status_code == 201 and started.json()["variables"]["quarter"] == bonus
    again = api_client("director").post(url.format("trade_conditions"), body, content_type="application/json")
    assert again.status_code == 409


# ------------------------------------------------------------------ two workers (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_workers_sweeping_at_once_start_one_instance_per_period(demo):
    deploy_files()  # a transactional test starts from a flushed database
    Schedule.objects.update(active_since=SINCE)
    results: list[sweeps.Fired] = []

    def sweep() -> None:
        for moment, _quarter in TRADE_CONDITIONS[:4]:
            results.append(sweeps.fire_due(at(moment)))

    errors = race(sweep, sweep)
    assert not errors, errors
    assert sum(r.started for r in results) == 8  # 4 trade conditions + 4 bonus starts, each once
    assert instances("trade_conditions") == TRADE_CONDITIONS[:4]
    assert [quarter for _, quarter in instances("bonus_agreements")] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
