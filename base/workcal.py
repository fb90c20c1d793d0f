"""The Russian production calendar (производственный календарь) and deadline arithmetic.

Deadlines in Soglasie are stated the way a Russian office states them: "в течение
3 рабочих дней", "через месяц", "P5D". This module turns such a rule plus a start
instant into an exact deadline instant. It is deliberately free of Django so the
engine, the scheduler and deploy-time validation can all use it.

Calendar source
---------------
``holidays.RU`` models both the statutory holidays (ТК РФ ст. 112), the automatic
transfer of a holiday that falls on a weekend to the next working day, and the
government's yearly decree moving days off (e.g. 3 Jan 2026 → 9 Jan 2026).  A
transfer "from" a Saturday or Sunday that is not itself a holiday turns that weekend
day into a working day; holidays exposes those as ``weekend_workdays`` (there is no
separate ``WORKDAY`` category for Russia in holidays 0.109).  The decree for a year is
normally published in the autumn of the year before, so a year that holidays does
not have a decree for yet yields the statutory calendar only.

Pre-holiday shortened days (минус один час) are not modelled: a deadline is a day,
not a number of working hours.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_TZ",
    "Duration",
    "add_duration",
    "add_working_days",
    "first_working_day_on_or_after",
    "holidays_in_year",
    "is_working_day",
    "parse_duration",
    "weekend_workdays_in_year",
]

DEFAULT_TZ = "Europe/Moscow"

#: A guard against looping forever on a broken calendar: no real run of days off in
#: Russia is anywhere near this long (the longest, the New Year holidays, is ~12 days).
_MAX_NON_WORKING_RUN = 366


# --------------------------------------------------------------------------- calendar


@lru_cache(maxsize=256)
def _year_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off (beyond ordinary weekends) and working weekend days of ``year``.

    Cached per year because building a holidays object is comparatively slow and the
    engine asks about the same few years over and over.  The neighbouring years are
    populated too: a decree may move a day off across the year boundary (the "from"
    date lives in another year), and holidays records the working weekend day in the
    year of the decree, not in the year of the date itself.
    """
    ru = holidays.RU(years=(year - 1, year, year + 1))
    days_off = frozenset(d for d in ru if d.year == year)
    workdays = frozenset(d for d in ru.weekend_workdays if d.year == year)
    return days_off, workdays


def holidays_in_year(year: int) -> frozenset[date]:
    """All dates of ``year`` that holidays.RU lists as days off (holidays, transfers).

    Includes holidays that fall on a weekend (e.g. 8 Mar 2026, a Sunday); whether a
    date is a working day is answered by :func:`is_working_day`, not by this set.
    """
    return _year_calendar(year)[0]


def weekend_workdays_in_year(year: int) -> frozenset[date]:
    """Saturdays/Sundays of ``year`` the government made working days (e.g. 20 Feb 2027)."""
    return _year_calendar(year)[1]


def is_working_day(d: date) -> bool:
    """True if ``d`` is a working day of a five-day week in Russia.

    A weekday is a working day unless it is a holiday or a day off moved onto it; a
    Saturday or Sunday is a working day only if a decree made it one.  A ``datetime``
    is accepted and its own (already local) date is used.
    """
    if isinstance(d, datetime):
        d = d.date()
    days_off, workdays = _year_calendar(d.year)
    if d.weekday() >= 5:
        return d in workdays
    return d not in days_off


def first_working_day_on_or_after(d: date) -> date:
    """``d`` itself if it is a working day, else the next working day."""
    if isinstance(d, datetime):
        d = d.date()
    for _ in range(_MAX_NON_WORKING_RUN):
        if is_working_day(d):
            return d
        d += timedelta(days=1)
    raise RuntimeError(f"no working day within {_MAX_NON_WORKING_RUN} days after {d}: calendar is broken")


def _next_working_day_after(d: date) -> date:
    return first_working_day_on_or_after(d + timedelta(days=1))


# --------------------------------------------------------------------------- time zones


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _local_wall_to_utc(day: date, like: datetime, zone: ZoneInfo) -> datetime:
    """``day`` at the wall-clock time of ``like`` in ``zone``, as aware UTC.

    A wall time that does not exist (a spring-forward gap) is resolved the way
    zoneinfo does with fold=0, i.e. it lands after the gap; Europe/Moscow has had no
    DST since 2014, so for the product zone this never happens.
    """
    local = datetime.combine(day, like.timetz().replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(UTC)


# --------------------------------------------------------------------------- working days


def add_working_days(start: datetime, days: int, tz: str = DEFAULT_TZ) -> datetime:
    """The deadline ``days`` working days after ``start``, at the same local time of day.

    Counting rule (how a Russian office registers and counts "N рабочих дней"):

    1. Work in local time of ``tz``.  If the local date of ``start`` is not a working
       day, the start is treated as if it happened on the first working day after it
       at the same local time — a document arriving on Saturday is registered on
       Monday.
    2. The term begins the next day (ГК РФ ст. 191): the deadline is the ``days``-th
       working day strictly after that (effective) start date, at the same local time.

    So Friday 14:00 + 1 → Monday 14:00, Saturday 14:00 + 1 → Tuesday 14:00, and
    ``days=0`` returns the effective start (``start`` itself on a working day).

    ``start`` must be aware; the result is aware UTC.  Negative ``days`` are rejected
    rather than guessed at: nothing in the product counts deadlines backwards.
    """
    _require_aware(start, "start")
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    zone = _zone(tz)
    local = start.astimezone(zone)
    day = first_working_day_on_or_after(local.date())
    for _ in range(days):
        day = _next_working_day_after(day)
    if day == local.date():
        return start.astimezone(UTC)
    return _local_wall_to_utc(day, local, zone)


# --------------------------------------------------------------------------- ISO 8601 durations

_DURATION_RE = re.compile(
    r"""
    P
    (?:(?P<years>\d+)Y)?
    (?:(?P<months>\d+)M)?
    (?:(?P<weeks>\d+)W)?
    (?:(?P<days>\d+)D)?
    (?:T
        (?:(?P<hours>\d+)H)?
        (?:(?P<minutes>\d+)M)?
        (?:(?P<seconds>\d+(?:[.,]\d+)?)S)?
    )?
    """,
    re.VERBOSE | re.ASCII,
)
_FRACTION_ELSEWHERE_RE = re.compile(r"\d[.,]\d*[YMWDH]", re.ASCII)
_MICROSECOND = Decimal("0.000001")


@dataclass(frozen=True)
class Duration:
    """A parsed ISO 8601 duration ``PnYnMnWnDTnHnMnS``.

    Components are kept separate rather than folded into a ``timedelta`` because a
    month, a year and (with working days) a day have no fixed length: their meaning
    depends on the date they are added to.
    """

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: Decimal = Decimal(0)

    @property
    def is_zero(self) -> bool:
        return not any(
            (self.years, self.months, self.weeks, self.days, self.hours, self.minutes, self.seconds)
        )

    @property
    def time_part(self) -> timedelta:
        """The exact part (T…H…M…S) as elapsed time."""
        micro = int(self.seconds / _MICROSECOND)
        return timedelta(hours=self.hours, minutes=self.minutes, microseconds=micro)

    def isoformat(self) -> str:
        """Canonical text form, e.g. ``P1M2DT3H`` (zero → ``PT0S``)."""
        date_part = "".join(
            f"{value}{unit}"
            for value, unit in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if value
        )
        seconds = format(self.seconds.normalize(), "f") if self.seconds else ""
        time_part = "".join(
            f"{value}{unit}"
            for value, unit in ((self.hours, "H"), (self.minutes, "M"), (seconds, "S"))
            if value
        )
        if not date_part and not time_part:
            return "PT0S"
        return "P" + date_part + ("T" + time_part if time_part else "")

    def __str__(self) -> str:
        return self.isoformat()


def parse_duration(iso: str) -> Duration:
    """Parse an ISO 8601 duration, raising ``ValueError`` that says what is wrong.

    Used at deploy time to validate timer and due values in process definitions, so
    the messages are written for the person who typed the value.  Accepted:
    ``PnYnMnWnDTnHnMnS`` with any subset of components in that order (weeks may be
    combined with other components, as ISO 8601-2 allows), non-negative integers,
    and a decimal fraction (``.`` or ``,``) on seconds only, to microsecond precision.
    Not accepted: negative durations, fractions on other components, lower-case
    designators, the alternative ``PYYYY-MM-DD`` format and repeating intervals
    (``R/…``), which are a timer's concern, not a duration's.
    """
    if not isinstance(iso, str):
        raise ValueError(f"ISO 8601 duration must be a string, got {type(iso).__name__}")
    hint = "expected an ISO 8601 duration like P1Y2M3W4DT5H6M7S, P3D or PT2H"
    if not iso:
        raise ValueError(f"empty duration: {hint}")
    if iso != iso.strip():
        raise ValueError(f"invalid duration {iso!r}: leading or trailing whitespace")
    if iso.startswith("-") or iso.startswith("+"):
        raise ValueError(f"invalid duration {iso!r}: signed durations are not supported")
    if iso != iso.upper():
        raise ValueError(f"invalid duration {iso!r}: designators must be upper case ({hint})")
    if iso[0] != "P":
        raise ValueError(f"invalid duration {iso!r}: must start with 'P' ({hint})")
    match = _DURATION_RE.fullmatch(iso)
    if match is None:
        if _FRACTION_ELSEWHERE_RE.search(iso):
            raise ValueError(f"invalid duration {iso!r}: only seconds may have a fractional part")
        if "T" not in iso and ("H" in iso or "S" in iso):
            raise ValueError(
                f"invalid duration {iso!r}: hours, minutes and seconds go after 'T' (e.g. PT2H, PT30M)"
            )
        raise ValueError(f"invalid duration {iso!r}: {hint}")
    groups = match.groupdict()
    if all(value is None for value in groups.values()):
        raise ValueError(f"invalid duration {iso!r}: no components ({hint})")
    if iso.endswith("T"):
        raise ValueError(f"invalid duration {iso!r}: 'T' must be followed by hours, minutes or seconds")
    try:
        seconds = Decimal(groups["seconds"].replace(",", ".")) if groups["seconds"] else Decimal(0)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees digits
        raise ValueError(f"invalid duration {iso!r}: bad seconds value") from exc
    if seconds != seconds.quantize(_MICROSECOND):
        raise ValueError(f"invalid duration {iso!r}: seconds are limited to microsecond precision")

    def as_int(name: str) -> int:
        return int(groups[name]) if groups[name] else 0

    return Duration(
        years=as_int("years"),
        months=as_int("months"),
        weeks=as_int("weeks"),
        days=as_int("days"),
        hours=as_int("hours"),
        minutes=as_int("minutes"),
        seconds=seconds,
    )


def _add_months(d: date, months: int) -> date:
    """Calendar month arithmetic with end-of-month clamping (31 Jan + 1M = 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"date out of range adding {months} months to {d}")
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def add_duration(
    start: datetime,
    iso: str,
    *,
    working_days: bool = False,
    tz: str = DEFAULT_TZ,
) -> datetime:
    """``start`` plus the ISO 8601 duration ``iso``; aware in, aware UTC out.

    The nominal parts are applied to the local wall clock in ``tz`` because that is
    what a person means by "a month later" or "in 3 days" — the same local time on
    another date:

    1. years and months, together, with end-of-month clamping
       (31 Jan + P1M → 28/29 Feb; 29 Feb 2028 + P1Y → 28 Feb 2029);
    2. weeks and days: calendar days, or with ``working_days=True`` working days
       counted by :func:`add_working_days` (a week is 5 working days).  When the
       W/D part is zero no working-day adjustment is made (``PT4H`` stays 4 hours);
    3. hours, minutes and seconds last, as exact elapsed time (RFC 5545 semantics),
       so ``PT24H`` across a DST change is 24 real hours while ``P1D`` is the next day
       at the same wall time.  Moscow has no DST, so there the two coincide.
    """
    _require_aware(start, "start")
    duration = parse_duration(iso)
    zone = _zone(tz)
    local = start.astimezone(zone)
    try:
        day = local.date()
        calendar_changed = False
        if duration.years or duration.months:
            day = _add_months(day, duration.years * 12 + duration.months)
            calendar_changed = True
        if working_days:
            count = duration.weeks * 5 + duration.days
            if count:
                shifted = _local_wall_to_utc(day, local, zone) if calendar_changed else start
                result = add_working_days(shifted, count, tz=tz)
            else:
                result = _local_wall_to_utc(day, local, zone) if calendar_changed else start
        else:
            plain_days = duration.weeks * 7 + duration.days
            if plain_days:
                day = day + timedelta(days=plain_days)
                calendar_changed = True
            result = _local_wall_to_utc(day, local, zone) if calendar_changed else start
        # Convert first: aware arithmetic within one ZoneInfo is wall-clock arithmetic.
        return result.astimezone(UTC) + duration.time_part
    except OverflowError as exc:
        raise ValueError(f"duration {iso!r} added to {start.isoformat()} is out of range") from exc
