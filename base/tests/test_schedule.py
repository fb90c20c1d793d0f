"""Tests for process start schedules: exact 2026–2027 instants of the product schedules,
exactly-once semantics across adjacent windows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base.schedule import Occurrence, Schedule, next_occurrence, occurrences
from processes.quarters import next_quarter, quarter_of

MSK = ZoneInfo("Europe/Moscow")

TRADE_CONDITIONS = Schedule("0 9 15 3,6,9,12 *")
BONUS_AGREEMENTS = Schedule("0 9 1 1,4,7,10 *", first_working_day=True)
DAILY_WORKING = Schedule("0 9 * * *", first_working_day=True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


START_2026 = utc(2025, 12, 31, 21, 0)  # 2026-01-01 00:00 MSK
END_2027 = utc(2027, 12, 31, 21, 0)  # 2028-01-01 00:00 MSK

# 09:00 MSK (UTC+3) = 06:00 UTC. 15 Mar 2026 is a Sunday and still fires: no move here.
TRADE_FIRES = [
    utc(2026, 3, 15, 6, 0),
    utc(2026, 6, 15, 6, 0),
    utc(2026, 9, 15, 6, 0),
    utc(2026, 12, 15, 6, 0),
    utc(2027, 3, 15, 6, 0),
    utc(2027, 6, 15, 6, 0),
    utc(2027, 9, 15, 6, 0),
    utc(2027, 12, 15, 6, 0),
]

# (period_key, fire_at): the first working day of each quarter at 09:00 MSK.
BONUS_FIRES = [
    ("2026-01-01T09:00", utc(2026, 1, 12, 6, 0)),  # 1–11 Jan 2026 off (9 Jan moved from 3 Jan)
    ("2026-04-01T09:00", utc(2026, 4, 1, 6, 0)),  # Wednesday
    ("2026-07-01T09:00", utc(2026, 7, 1, 6, 0)),  # Wednesday
    ("2026-10-01T09:00", utc(2026, 10, 1, 6, 0)),  # Thursday
    ("2027-01-01T09:00", utc(2027, 1, 11, 6, 0)),  # 1–10 Jan 2027 off
    ("2027-04-01T09:00", utc(2027, 4, 1, 6, 0)),  # Thursday
    ("2027-07-01T09:00", utc(2027, 7, 1, 6, 0)),  # Thursday
    ("2027-10-01T09:00", utc(2027, 10, 1, 6, 0)),  # Friday
]


# --------------------------------------------------------------------------- product schedules


def test_trade_conditions_2026_2027() -> None:
    found = occurrences(TRADE_CONDITIONS, START_2026, END_2027)
    assert [o.fire_at for o in found] == TRADE_FIRES
    assert all(o.nominal == o.fire_at for o in found)
    assert [o.period_key for o in found][:2] == ["2026-03-15T09:00", "2026-06-15T09:00"]
    assert found[0].fire_at.astimezone(MSK).weekday() == 6  # Sunday, fired anyway


def test_trade_conditions_targets_next_quarter() -> None:
    local_dates = [
        o.fire_at.astimezone(MSK).date() for o in occurrences(TRADE_CONDITIONS, START_2026, END_2027)
    ]
    targets = [next_quarter(d) for d in local_dates]
    assert targets == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2028-Q1"]


def test_bonus_agreements_2026_2027() -> None:
    found = occurrences(BONUS_AGREEMENTS, START_2026, END_2027)
    assert [(o.period_key, o.fire_at) for o in found] == BONUS_FIRES
    nominal_jan_2027 = next(o for o in found if o.period_key == "2027-01-01T09:00").nominal
    assert nominal_jan_2027 == utc(2027, 1, 1, 6, 0)
    quarters = [quarter_of(o.fire_at.astimezone(MSK).date()) for o in found]
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]


@pytest.mark.parametrize("schedule", [TRADE_CONDITIONS, BONUS_AGREEMENTS, DAILY_WORKING])
def test_moscow_offsets_are_constant(schedule: Schedule) -> None:
    for occ in occurrences(schedule, START_2026, END_2027):
        assert occ.fire_at.tzinfo is UTC
        assert occ.nominal.tzinfo is UTC
        local = occ.fire_at.astimezone(MSK)
        assert local.utcoffset() == timedelta(hours=3)
        assert (local.hour, local.minute) == (9, 0)


# --------------------------------------------------------------------------- exactly once


def test_moved_occurrence_with_nominal_before_after_is_returned_once() -> None:
    # Nominal 1 Jan 2027 09:00, fires 11 Jan: a window starting on 5 Jan still gets it.
    found = occurrences(BONUS_AGREEMENTS, utc(2027, 1, 5), utc(2027, 1, 31))
    assert [o.period_key for o in found] == ["2027-01-01T09:00"]
    # A window that covers the nominal but ends before the fire time does not.
    assert occurrences(BONUS_AGREEMENTS, utc(2026, 12, 31), utc(2027, 1, 11, 5, 59)) == []
    # Boundaries: after < fire_at <= until.
    assert occurrences(BONUS_AGREEMENTS, utc(2027, 1, 11, 6, 0), utc(2027, 2, 1)) == []
    assert len(occurrences(BONUS_AGREEMENTS, utc(2027, 1, 11, 5, 59), utc(2027, 1, 11, 6, 0))) == 1


def test_next_occurrence_for_moved_period() -> None:
    occ = next_occurrence(BONUS_AGREEMENTS, utc(2027, 1, 5))
    assert occ == Occurrence("2027-01-01T09:00", utc(2027, 1, 1, 6, 0), utc(2027, 1, 11, 6, 0))
    assert next_occurrence(BONUS_AGREEMENTS, occ.fire_at).period_key == "2027-04-01T09:00"
    assert next_occurrence(TRADE_CONDITIONS, utc(2026, 3, 15, 6, 0)).fire_at == utc(2026, 6, 15, 6, 0)


@pytest.mark.parametrize("schedule", [TRADE_CONDITIONS, BONUS_AGREEMENTS, DAILY_WORKING])
def test_next_occurrence_chain_equals_occurrences(schedule: Schedule) -> None:
    expected = occurrences(schedule, START_2026, END_2027)
    chain: list[Occurrence] = []
    cursor = START_2026
    while True:
        occ = next_occurrence(schedule, cursor)
        if occ.fire_at > END_2027:
            break
        # Several periods may share one fire instant; take all of them.
        same = occurrences(schedule, cursor, occ.fire_at)
        assert same[0] == occ
        chain.extend(same)
        cursor = occ.fire_at
    assert chain == expected
    assert len({o.period_key for o in chain}) == len(chain)


@pytest.mark.parametrize("schedule", [TRADE_CONDITIONS, BONUS_AGREEMENTS, DAILY_WORKING])
def test_monthly_windows_partition_the_range(schedule: Schedule) -> None:
    whole = occurrences(schedule, START_2026, END_2027)
    pieces: list[Occurrence] = []
    edges = [START_2026 + timedelta(days=30 * i) for i in range(25)] + [END_2027]
    for a, b in itertools.pairwise(edges):
        pieces.extend(occurrences(schedule, a, b))
    assert pieces == whole
    assert len({o.period_key for o in pieces}) == len(pieces)


def test_daily_schedule_with_working_day_move_fires_weekend_periods_on_monday() -> None:
    # Fri 12 Jun 2026 (holiday), Sat 13, Sun 14 all move to Mon 15 Jun 09:00 MSK.
    found = occurrences(DAILY_WORKING, utc(2026, 6, 11, 7, 0), utc(2026, 6, 15, 6, 0))
    assert [o.period_key for o in found] == [
        "2026-06-12T09:00",
        "2026-06-13T09:00",
        "2026-06-14T09:00",
        "2026-06-15T09:00",
    ]
    assert {o.fire_at for o in found} == {utc(2026, 6, 15, 6, 0)}


def test_working_saturday_is_a_fire_day() -> None:
    found = occurrences(DAILY_WORKING, utc(2027, 2, 19, 7, 0), utc(2027, 2, 20, 7, 0))
    assert [(o.period_key, o.fire_at) for o in found] == [("2027-02-20T09:00", utc(2027, 2, 20, 6, 0))]


_MINUTES_2026_2027 = int((END_2027 - START_2026).total_seconds() // 60)
_minute = st.integers(min_value=0, max_value=_MINUTES_2026_2027)


@settings(max_examples=150, deadline=None)
@given(
    schedule=st.sampled_from([TRADE_CONDITIONS, BONUS_AGREEMENTS, DAILY_WORKING]),
    points=st.lists(_minute, min_size=3, max_size=3),
)
def test_split_invariance(schedule: Schedule, points: list[int]) -> None:
    a, b, c = (START_2026 + timedelta(minutes=m) for m in sorted(points))
    left, right, whole = occurrences(schedule, a, b), occurrences(schedule, b, c), occurrences(schedule, a, c)
    assert left + right == whole
    keys = [o.period_key for o in whole]
    assert len(keys) == len(set(keys))
    assert all(a < o.fire_at <= c for o in whole)
    if whole:
        assert next_occurrence(schedule, a) == whole[0]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule("not a cron"), "invalid cron expression"),
        (Schedule("61 9 * * *"), "invalid cron expression"),
        (Schedule(""), "empty cron expression"),
        (Schedule("0 0 9 * * *"), "expected 5 fields"),
        (Schedule("0 0 30 2 *"), "never fires"),
        (Schedule("0 9 * * *", tz="Europe/Atlantis"), "unknown time zone"),
        (Schedule("0 9 * * *", tz=""), "unknown time zone"),
        (Schedule("0 9 * * *", first_working_day="yes"), "must be a bool"),  # type: ignore[arg-type]
    ],
)
def test_validate_rejects(schedule: Schedule, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        schedule.validate()
    with pytest.raises(ValueError, match=message):
        occurrences(schedule, START_2026, END_2027)


@pytest.mark.parametrize(
    "schedule", [TRADE_CONDITIONS, BONUS_AGREEMENTS, Schedule("@monthly", tz="Asia/Vladivostok")]
)
def test_validate_accepts(schedule: Schedule) -> None:
    schedule.validate()


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(TRADE_CONDITIONS, datetime(2026, 1, 1), END_2027)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(TRADE_CONDITIONS, datetime(2026, 1, 1))


def test_empty_window() -> None:
    assert occurrences(TRADE_CONDITIONS, END_2027, START_2026) == []
    assert occurrences(TRADE_CONDITIONS, START_2026, START_2026) == []


def test_other_zone_uses_its_own_wall_clock() -> None:
    vladivostok = Schedule("0 9 1 1,4,7,10 *", tz="Asia/Vladivostok", first_working_day=True)
    found = occurrences(vladivostok, START_2026, utc(2026, 12, 31))
    assert found[0].period_key == "2026-01-01T09:00"
    assert found[0].fire_at == utc(2026, 1, 11, 23, 0)  # 09:00 +10 on 12 Jan


def test_dst_repeated_hour_fires_once() -> None:
    # 02:30 occurs twice in Berlin on 25 Oct 2026; the period must start once.
    berlin = Schedule("30 2 * * *", tz="Europe/Berlin")
    found = occurrences(berlin, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 12, 0))
    assert [o.period_key for o in found] == ["2026-10-24T02:30", "2026-10-25T02:30", "2026-10-26T02:30"]
    # Even if a window starts between the two 02:30s.
    between = occurrences(berlin, utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 12, 0))
    assert between == []
