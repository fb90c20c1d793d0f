"""Tests for the Russian production calendar and deadline arithmetic.

The concrete 2026 dates are the official calendar (Постановление Правительства РФ
от 24.09.2025 № 1466: 3 Jan → 9 Jan, 4 Jan → 31 Dec; 8 Mar and 9 May fall on a
weekend and move to the next Monday under ТК РФ ст. 112) — 247 working days.  The
2027 dates are what holidays.RU 0.109 carries (decree transfers 2 Jan → 5 Nov,
3 Jan → 31 Dec, Saturday 20 Feb → Monday 22 Feb) plus the statutory weekend moves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base import workcal
from base.workcal import (
    Duration,
    add_duration,
    add_working_days,
    first_working_day_on_or_after,
    holidays_in_year,
    is_working_day,
    parse_duration,
    weekend_workdays_in_year,
)

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def moscow_times(first: datetime, last: datetime) -> st.SearchStrategy[datetime]:
    """Moscow wall times between two naive instants."""
    return st.datetimes(min_value=first, max_value=last).map(lambda naive: naive.replace(tzinfo=MSK))


#: The property tests' settings.
PROPERTY = settings(max_examples=200, deadline=None)


def days_of(year: int) -> list[date]:
    d = date(year, 1, 1)
    out = []
    while d.year == year:
        out.append(d)
        d += timedelta(days=1)
    return out


# --------------------------------------------------------------------------- the calendar itself

HOLIDAYS_2026 = {
    # New Year holidays and Christmas
    *(date(2026, 1, d) for d in range(1, 9)),
    date(2026, 1, 9),  # day off moved from Saturday 3 Jan by the decree
    date(2026, 2, 23),
    date(2026, 3, 8),  # Sunday ...
    date(2026, 3, 9),  # ... so Monday is off
    date(2026, 5, 1),
    date(2026, 5, 9),  # Saturday ...
    date(2026, 5, 11),  # ... so Monday is off
    date(2026, 6, 12),
    date(2026, 11, 4),
    date(2026, 12, 31),  # day off moved from Sunday 4 Jan by the decree
}

HOLIDAYS_2027 = {
    *(date(2027, 1, d) for d in range(1, 9)),
    date(2027, 2, 22),  # moved from Saturday 20 Feb, which becomes a working day
    date(2027, 2, 23),
    date(2027, 3, 8),
    date(2027, 5, 1),  # Saturday ...
    date(2027, 5, 3),  # ... so Monday is off
    date(2027, 5, 9),  # Sunday ...
    date(2027, 5, 10),  # ... so Monday is off
    date(2027, 6, 12),  # Saturday ...
    date(2027, 6, 14),  # ... so Monday is off
    date(2027, 11, 4),
    date(2027, 11, 5),  # moved from Saturday 2 Jan
    date(2027, 12, 31),  # moved from Sunday 3 Jan
}


def test_holidays_2026_exact() -> None:
    assert holidays_in_year(2026) == HOLIDAYS_2026
    assert weekend_workdays_in_year(2026) == frozenset()


def test_holidays_2027_exact() -> None:
    assert holidays_in_year(2027) == HOLIDAYS_2027
    assert weekend_workdays_in_year(2027) == {date(2027, 2, 20)}


@pytest.mark.parametrize(
    ("year", "per_month", "total"),
    [
        # Official 2026 production calendar, month by month.
        (2026, [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22], 247),
        (2027, [15, 19, 22, 22, 19, 21, 22, 22, 22, 21, 20, 22], 247),
    ],
)
def test_working_day_counts(year: int, per_month: list[int], total: int) -> None:
    counts = [0] * 12
    for d in days_of(year):
        counts[d.month - 1] += is_working_day(d)
    assert counts == per_month
    assert sum(counts) == total


@pytest.mark.parametrize(
    ("d", "working"),
    [
        (date(2026, 1, 8), False),
        (date(2026, 1, 9), False),  # Friday, transferred day off
        (date(2026, 1, 10), False),
        (date(2026, 1, 11), False),
        (date(2026, 1, 12), True),  # first working day of 2026
        (date(2026, 3, 6), True),
        (date(2026, 3, 9), False),  # 8 March was a Sunday
        (date(2026, 5, 8), True),
        (date(2026, 5, 11), False),  # 9 May was a Saturday
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), False),
        (date(2027, 1, 11), True),  # first working day of 2027
        (date(2027, 1, 10), False),
        (date(2027, 2, 20), True),  # working Saturday
        (date(2027, 2, 21), False),
        (date(2027, 2, 22), False),
        (date(2027, 5, 3), False),
        (date(2027, 5, 4), True),
        (date(2027, 6, 14), False),
        (date(2027, 11, 5), False),
        (date(2027, 12, 30), True),
        (date(2027, 12, 31), False),
        (date(2026, 6, 13), False),  # an ordinary Saturday
    ],
)
def test_is_working_day(d: date, working: bool) -> None:
    assert is_working_day(d) is working


def test_is_working_day_accepts_datetime_by_its_own_date() -> None:
    assert is_working_day(datetime(2027, 2, 20, 10, 0, tzinfo=MSK)) is True
    assert is_working_day(datetime(2027, 2, 21, 10, 0, tzinfo=MSK)) is False


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 1, 1), date(2026, 1, 12)),
        (date(2026, 12, 31), date(2027, 1, 11)),
        (date(2027, 1, 1), date(2027, 1, 11)),
        (date(2026, 5, 9), date(2026, 5, 12)),
        (date(2027, 2, 20), date(2027, 2, 20)),
        (date(2027, 2, 21), date(2027, 2, 24)),
        (date(2026, 4, 1), date(2026, 4, 1)),
    ],
)
def test_first_working_day_on_or_after(d: date, expected: date) -> None:
    assert first_working_day_on_or_after(d) == expected


def test_holiday_set_is_cached_per_year() -> None:
    workcal._year_calendar.cache_clear()
    for d in days_of(2026):
        is_working_day(d)
    info = workcal._year_calendar.cache_info()
    assert info.misses == 1
    assert info.hits == 364


# --------------------------------------------------------------------------- working-day deadlines


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # May 2026: 1 May (Fri) off, 2–3 weekend, 9 May (Sat) moves to 11 May.
        (msk(2026, 4, 30, 10, 0), 1, msk(2026, 5, 4, 10, 0)),
        (msk(2026, 4, 30, 10, 0), 5, msk(2026, 5, 8, 10, 0)),
        (msk(2026, 4, 30, 10, 0), 6, msk(2026, 5, 12, 10, 0)),
        # May 2027: 1 May (Sat) → 3 May off, 9 May (Sun) → 10 May off.
        (msk(2027, 4, 30, 16, 30), 1, msk(2027, 5, 4, 16, 30)),
        (msk(2027, 5, 7, 16, 30), 1, msk(2027, 5, 11, 16, 30)),
        # New Year: 31 Dec 2025 and 2026 are days off by decree.
        (msk(2025, 12, 30, 15, 0), 1, msk(2026, 1, 12, 15, 0)),
        (msk(2026, 12, 30, 15, 0), 1, msk(2027, 1, 11, 15, 0)),
        (msk(2026, 12, 30, 15, 0), 3, msk(2027, 1, 13, 15, 0)),
        # Working Saturday 20 Feb 2027, then 21–23 Feb off.
        (msk(2027, 2, 19, 11, 0), 1, msk(2027, 2, 20, 11, 0)),
        (msk(2027, 2, 19, 11, 0), 2, msk(2027, 2, 24, 11, 0)),
        # Ordinary week.
        (msk(2026, 6, 5, 14, 0), 1, msk(2026, 6, 8, 14, 0)),  # Fri → Mon
        (msk(2026, 6, 5, 14, 0), 3, msk(2026, 6, 10, 14, 0)),
        (msk(2026, 6, 10, 14, 0), 3, msk(2026, 6, 16, 14, 0)),  # 12 Jun (Fri) off
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    result = add_working_days(start, days)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Start on a non-working day: registered on the next working day, then counted.
        (msk(2026, 6, 6, 14, 0), 0, msk(2026, 6, 8, 14, 0)),  # Sat → Mon
        (msk(2026, 6, 6, 14, 0), 1, msk(2026, 6, 9, 14, 0)),  # Sat + 1 → Tue
        (msk(2026, 6, 6, 14, 0), 3, msk(2026, 6, 11, 14, 0)),  # Sat + 3 → Thu
        (msk(2026, 1, 3, 9, 0), 3, msk(2026, 1, 15, 9, 0)),  # inside New Year holidays
        (msk(2026, 6, 8, 14, 0), 0, msk(2026, 6, 8, 14, 0)),  # working day + 0 = itself
    ],
)
def test_add_working_days_from_non_working_day(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days) == expected


def test_add_working_days_uses_local_date_not_utc_date() -> None:
    # 22:30 UTC Friday 5 Jun = 01:30 MSK Saturday 6 Jun: a Saturday start in Moscow.
    start = utc(2026, 6, 5, 22, 30)
    assert add_working_days(start, 1) == msk(2026, 6, 9, 1, 30)
    # The same instant counted in UTC is a Friday.
    assert add_working_days(start, 1, tz="UTC") == utc(2026, 6, 8, 22, 30)


def test_add_working_days_keeps_seconds_and_microseconds() -> None:
    start = msk(2026, 6, 8, 9, 15, 30, 123456)
    assert add_working_days(start, 2) == msk(2026, 6, 10, 9, 15, 30, 123456)


def test_add_working_days_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2026, 6, 8, 9, 0), 1)
    with pytest.raises(ValueError, match=">= 0"):
        add_working_days(msk(2026, 6, 8, 9, 0), -1)
    with pytest.raises(ValueError, match="unknown time zone"):
        add_working_days(msk(2026, 6, 8, 9, 0), 1, tz="Europe/Nowhere")


@PROPERTY
@given(start=moscow_times(datetime(2025, 12, 1), datetime(2027, 11, 30)), days=st.integers(min_value=0, max_value=40))
def test_add_working_days_property(start: datetime, days: int) -> None:
    """The deadline is a working day at the same wall time, exactly ``days`` working days on."""
    result = add_working_days(start, days).astimezone(MSK)
    assert is_working_day(result.date())
    assert result.time() == start.time()
    effective = first_working_day_on_or_after(start.date())
    counted = sum(
        is_working_day(effective + timedelta(days=i)) for i in range(1, (result.date() - effective).days + 1)
    )
    assert counted == days


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("P3D", Duration(days=3)),
        ("PT2H", Duration(hours=2)),
        ("P1M", Duration(months=1)),
        ("PT1M", Duration(minutes=1)),
        ("P2W", Duration(weeks=2)),
        ("P1Y2M3W4DT5H6M7S", Duration(1, 2, 3, 4, 5, 6, Decimal(7))),
        ("PT0.5S", Duration(seconds=Decimal("0.5"))),
        ("PT1,25S", Duration(seconds=Decimal("1.25"))),
        ("P0D", Duration()),
        ("PT36H", Duration(hours=36)),
    ],
)
def test_parse_duration(iso: str, expected: Duration) -> None:
    assert parse_duration(iso) == expected


@pytest.mark.parametrize(
    ("iso", "message"),
    [
        ("", "empty"),
        ("P", "no components"),
        ("PT", "no components"),
        ("P1DT", "'T' must be followed"),
        ("3D", "must start with 'P'"),
        ("p3d", "upper case"),
        ("P1.5D", "only seconds may have a fractional part"),
        ("PT1.5H", "only seconds may have a fractional part"),
        ("-P1D", "signed"),
        ("P1H", "go after 'T'"),
        ("P1S", "go after 'T'"),
        ("P1D2M", "expected an ISO 8601 duration"),  # out of order
        ("P1DT2H3D", "expected an ISO 8601 duration"),
        ("P1X", "expected an ISO 8601 duration"),
        ("P 1D", "expected an ISO 8601 duration"),
        (" P1D", "whitespace"),
        ("PT0.0000001S", "microsecond"),
        ("R3/PT1H", "must start with 'P'"),
        ("P٣D", "expected an ISO 8601 duration"),  # non-ASCII digits
    ],
)
def test_parse_duration_rejects(iso: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(iso)


def test_parse_duration_rejects_non_string() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_duration(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("iso", ["P1Y2M3W4DT5H6M7S", "P3D", "PT0.5S", "PT0S", "P1MT1M"])
def test_duration_isoformat_round_trips(iso: str) -> None:
    assert parse_duration(iso).isoformat() == iso
    assert parse_duration(str(parse_duration(iso))) == parse_duration(iso)


@pytest.mark.parametrize(
    ("start", "iso", "expected"),
    [
        # End-of-month clamping.
        (msk(2026, 1, 31, 12, 0), "P1M", msk(2026, 2, 28, 12, 0)),
        (msk(2028, 1, 31, 12, 0), "P1M", msk(2028, 2, 29, 12, 0)),
        (msk(2026, 3, 31, 12, 0), "P1M", msk(2026, 4, 30, 12, 0)),
        (msk(2026, 1, 31, 12, 0), "P2M", msk(2026, 3, 31, 12, 0)),  # not Feb 28 + 1M
        (msk(2028, 2, 29, 12, 0), "P1Y", msk(2029, 2, 28, 12, 0)),
        (msk(2027, 1, 31, 12, 0), "P1Y1M", msk(2028, 2, 29, 12, 0)),
        (msk(2026, 11, 30, 12, 0), "P3M", msk(2027, 2, 28, 12, 0)),
        (msk(2026, 12, 31, 23, 59), "P12M", msk(2027, 12, 31, 23, 59)),
        # Days, weeks and time.
        (msk(2026, 1, 31, 12, 0), "P1M1D", msk(2026, 3, 1, 12, 0)),
        (msk(2026, 6, 8, 9, 0), "P2W", msk(2026, 6, 22, 9, 0)),
        (msk(2026, 6, 8, 9, 0), "PT36H", msk(2026, 6, 9, 21, 0)),
        (msk(2026, 6, 8, 9, 0), "P1DT2H30M15.5S", msk(2026, 6, 9, 11, 30, 15, 500000)),
        (msk(2026, 6, 8, 9, 0), "PT0S", msk(2026, 6, 8, 9, 0)),
    ],
)
def test_add_duration_calendar(start: datetime, iso: str, expected: datetime) -> None:
    result = add_duration(start, iso)
    assert result == expected
    assert result.tzinfo is UTC


def test_add_duration_month_arithmetic_is_in_local_time() -> None:
    # 31 Jan 21:30 UTC is already 1 Feb 00:30 in Moscow: + 1 month is 1 Mar local.
    assert add_duration(utc(2026, 1, 31, 21, 30), "P1M") == msk(2026, 3, 1, 0, 30)
    # Counted in UTC the same instant is 31 Jan, clamped to 28 Feb.
    assert add_duration(utc(2026, 1, 31, 21, 30), "P1M", tz="UTC") == utc(2026, 2, 28, 21, 30)


@pytest.mark.parametrize(
    ("start", "iso", "expected"),
    [
        (msk(2026, 4, 30, 10, 0), "P1D", msk(2026, 5, 4, 10, 0)),
        (msk(2026, 4, 30, 10, 0), "P1DT2H", msk(2026, 5, 4, 12, 0)),
        (msk(2026, 4, 30, 10, 0), "P1W", msk(2026, 5, 8, 10, 0)),  # 5 working days
        (msk(2026, 4, 30, 10, 0), "P1W1D", msk(2026, 5, 12, 10, 0)),
        (msk(2026, 12, 30, 10, 0), "P3D", msk(2027, 1, 13, 10, 0)),
        (msk(2026, 6, 6, 10, 0), "PT4H", msk(2026, 6, 6, 14, 0)),  # no D/W part: plain hours
        (msk(2026, 6, 6, 10, 0), "P1D", msk(2026, 6, 9, 10, 0)),  # Saturday start, see rule
        # Months first (calendar), then working days from the resulting date.
        (msk(2026, 11, 30, 10, 0), "P1M1D", msk(2027, 1, 11, 10, 0)),
    ],
)
def test_add_duration_working_days(start: datetime, iso: str, expected: datetime) -> None:
    assert add_duration(start, iso, working_days=True) == expected


def test_add_duration_hours_are_exact_time_across_dst() -> None:
    """Days are wall-clock, hours elapsed time (RFC 5545), visible only in a DST zone."""
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)  # clocks go forward 29 Mar
    assert add_duration(start, "P1D", tz="Europe/Berlin") == datetime(2026, 3, 29, 12, 0, tzinfo=berlin)
    assert add_duration(start, "PT24H", tz="Europe/Berlin") == datetime(2026, 3, 29, 13, 0, tzinfo=berlin)


def test_add_duration_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_duration(datetime(2026, 1, 1), "P1D")
    with pytest.raises(ValueError, match="invalid duration"):
        add_duration(msk(2026, 1, 1), "P1X")
    with pytest.raises(ValueError, match="out of range"):
        add_duration(msk(2026, 1, 1), "P9000Y")
    with pytest.raises(ValueError, match="out of range"):
        add_duration(msk(2026, 1, 1), "P99999999D")


@PROPERTY
@given(start=moscow_times(datetime(2024, 1, 1), datetime(2030, 12, 31)), months=st.integers(min_value=0, max_value=40))
def test_add_months_clamps_to_month_end(start: datetime, months: int) -> None:
    result = add_duration(start, f"P{months}M").astimezone(MSK)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day == min(start.day, _month_length(result.year, result.month))
    assert result.time() == start.time()


def _month_length(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day
