"""The quarter helpers of the quarterly processes and the ``unique_by="quarter"`` rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.hooks import UNIQUE_KEYS
from processes.quarters import next_quarter, parse_quarter, previous_quarter, quarter_of


@pytest.mark.parametrize(
    ("d", "current", "nxt", "prev"),
    [
        (date(2027, 1, 1), "2027-Q1", "2027-Q2", "2026-Q4"),
        (date(2027, 3, 31), "2027-Q1", "2027-Q2", "2026-Q4"),
        (date(2027, 4, 1), "2027-Q2", "2027-Q3", "2027-Q1"),
        (date(2026, 9, 15), "2026-Q3", "2026-Q4", "2026-Q2"),
        (date(2026, 12, 31), "2026-Q4", "2027-Q1", "2026-Q3"),
    ],
)
def test_quarters(d: date, current: str, nxt: str, prev: str) -> None:
    assert quarter_of(d) == current
    assert next_quarter(d) == nxt
    assert previous_quarter(d) == prev


def test_parse_quarter() -> None:
    assert parse_quarter("2027-Q1") == (2027, 1)
    assert parse_quarter("2026-Q4") == (2026, 4)


@pytest.mark.parametrize(
    "bad",
    [
        "2027-Q5",
        "2027-Q0",
        "27-Q1",
        "2027Q1",
        "2027-q1",
        " 2027-Q1",
        "2027-Q1 ",
        "0000-Q1",
        "２０２７-Q1",
        "",
    ],
)
def test_parse_quarter_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="quarter"):
        parse_quarter(bad)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_quarter_round_trip(d: date) -> None:
    year, q = parse_quarter(quarter_of(d))
    assert (year, q) == (d.year, (d.month + 2) // 3)
    assert parse_quarter(previous_quarter(date(*_quarter_start(next_quarter(d))))) == (year, q)


def _quarter_start(s: str) -> tuple[int, int, int]:
    year, q = parse_quarter(s)
    return year, 3 * q - 2, 1


def test_the_quarter_rule_picks_the_schedules_quarter_in_moscow() -> None:
    rule = UNIQUE_KEYS["quarter"]
    new_year_eve = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # already 1 January 2027 in Moscow
    assert rule.value_at({"schedule_quarter": "next"}, new_year_eve, "Europe/Moscow") == "2027-Q2"
    assert rule.value_at({"schedule_quarter": "previous"}, new_year_eve, "Europe/Moscow") == "2026-Q4"
    assert rule.value_at({}, new_year_eve, "Europe/Moscow") is None
    assert rule.check("2027-Q1") is None
    assert rule.check("2027-Q5")
