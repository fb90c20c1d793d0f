"""Quarters, the periods of the two quarterly processes: ``2027-Q1`` and the rule of ``unique_by="quarter"``.

Trade conditions are agreed for the coming quarter (``schedule_quarter="next"``), bonuses paid
for the quarter just ended (``"previous"``); one instance of each per quarter. The engine knows
none of this: it asks the rule registered here (``engine.hooks.unique_key``) which quarter a start
runs for when none was given, and whether a given one is well-formed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from engine.hooks import unique_key

_QUARTER_RE = re.compile(r"(?P<year>[0-9]{4})-Q(?P<q>[1-4])")


def _quarter_tuple(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def _format_quarter(year: int, q: int) -> str:
    return f"{year:04d}-Q{q}"


def quarter_of(d: date) -> str:
    """``"2027-Q1"`` for any date in January–March 2027.

    Pass a local date: a UTC ``datetime`` late on 31 December is already next year in
    Moscow, and this function uses the fields it is given.
    """
    return _format_quarter(*_quarter_tuple(d))


def next_quarter(d: date) -> str:
    """The quarter after the one containing ``d`` (trade conditions are set ahead)."""
    year, q = _quarter_tuple(d)
    return _format_quarter(year + 1, 1) if q == 4 else _format_quarter(year, q + 1)


def previous_quarter(d: date) -> str:
    """The quarter before the one containing ``d``."""
    year, q = _quarter_tuple(d)
    return _format_quarter(year - 1, 4) if q == 1 else _format_quarter(year, q - 1)


def parse_quarter(s: str) -> tuple[int, int]:
    """``"2027-Q1"`` → ``(2027, 1)``; strictly ``YYYY-Qn`` with n in 1..4, else ``ValueError``."""
    if not isinstance(s, str):
        raise ValueError(f"quarter must be a string like '2027-Q1', got {type(s).__name__}")
    match = _QUARTER_RE.fullmatch(s)
    if match is None:
        raise ValueError(f"malformed quarter {s!r}: expected 'YYYY-Qn' with n in 1..4, e.g. '2027-Q1'")
    year = int(match["year"])
    if year < 1:
        raise ValueError(f"malformed quarter {s!r}: year must be 0001 or later")
    return year, int(match["q"])


def quarter_for(which: str, moment: datetime, tz: str) -> str:
    """The quarter a process runs for, by the file's ``schedule_quarter`` property: ``next``,
    ``previous`` or ``current`` quarter of ``moment``'s local date."""
    local = moment.astimezone(ZoneInfo(tz)).date()
    return {"next": next_quarter, "previous": previous_quarter}.get(which, quarter_of)(local)


@unique_key("quarter")
class Quarter:
    """``unique_by="quarter"``: one instance per quarter; a start without one runs for the quarter
    the schedule would pick at that moment."""

    def value_at(self, properties: dict[str, Any], moment: datetime, tz: str) -> str | None:
        which = properties.get("schedule_quarter")
        return quarter_for(which, moment, tz) if which else None

    def check(self, value: str) -> str | None:
        try:
            parse_quarter(value)
        except ValueError:
            return _("Квартал указывается так: 2027-Q1")
        return None
