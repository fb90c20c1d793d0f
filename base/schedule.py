"""Start schedules of processes: when a scheduled process instance must be started.

A schedule is a standard five-field cron expression evaluated in a time zone, with an
optional "first working day on or after" rule: the cron gives the *nominal* moment
(e.g. 09:00 on the 1st of a quarter's first month) and the process actually *fires*
on the first Russian working day on or after that nominal date, at the same local
time (see :mod:`base.workcal`).

Exactly-once starts
-------------------
The scheduler calls :func:`occurrences` for the window since its previous run, so the
function is defined purely by fire time: it returns every occurrence with
``after < fire_at <= until``.  Adjacent windows therefore neither overlap nor leave
gaps (``occurrences(a, b) + occurrences(b, c) == occurrences(a, c)``), and each
occurrence carries a ``period_key`` — the nominal local date-time, e.g.
``2027-01-01T09:00`` — which is stable whatever the window, so a unique constraint on
``(process, period_key)`` turns a retried or overlapping run into a no-op.

Because the working-day move makes the fire time later than the nominal time, an
occurrence whose nominal time is before ``after`` may still be due inside the
window (nominal 1 Jan 2027, fired 11 Jan 2027).  We therefore iterate nominal times
from a lookback before ``after`` (:data:`WORKING_DAY_LOOKBACK`, 31 days — longer than
any run of days off in the Russian calendar, the New Year holidays being ~12 days)
and filter by ``fire_at``.  Without the working-day rule fire time equals nominal
time and a one-day lookback is enough (it only serves DST de-duplication below).

Consequences worth knowing:

* With ``first_working_day`` several nominal periods may fire at the same instant
  (a daily cron fires Saturday's, Sunday's and Monday's periods on Monday).  Each
  period is its own occurrence with its own key; results are ordered by
  ``(fire_at, nominal)``.
* In a zone with DST a wall time repeated at fall-back would give two nominal times
  with the same key; only the first is kept, so a period starts once.  Europe/Moscow
  has had no DST since 2014.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from base.workcal import DEFAULT_TZ, first_working_day_on_or_after

__all__ = [
    "WORKING_DAY_LOOKBACK",
    "Occurrence",
    "Schedule",
    "next_occurrence",
    "occurrences",
]

#: How far before ``after`` nominal times are considered when the working-day move is
#: on.  Must exceed the longest possible move (the longest run of days off).
WORKING_DAY_LOOKBACK = timedelta(days=31)
#: Without the move, nominal == fire time; the day only lets DST duplicates be seen.
_PLAIN_LOOKBACK = timedelta(days=1)

_PERIOD_KEY_FORMAT = "%Y-%m-%dT%H:%M"
_CRON_FIELDS = 5


@dataclass(frozen=True)
class Schedule:
    """A process start schedule.

    ``cron`` is a five-field expression (minute hour day-of-month month day-of-week,
    croniter syntax incl. ``@monthly``-style aliases); six/seven-field forms with
    seconds or years are rejected because the period key has minute resolution.
    """

    cron: str
    tz: str = DEFAULT_TZ
    first_working_day: bool = False

    def validate(self) -> None:
        """Raise ``ValueError`` naming the problem, for deploy-time checks."""
        _validated(self)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)


@dataclass(frozen=True)
class Occurrence:
    """One scheduled start.

    ``period_key`` is the nominal local date-time (``YYYY-MM-DDTHH:MM``): unique per
    period of one schedule and independent of the query window.  ``nominal`` is what
    the cron says, ``fire_at`` when the start is due (differs only with the
    working-day move); both aware UTC.
    """

    period_key: str
    nominal: datetime
    fire_at: datetime


def _zone(tz: str) -> ZoneInfo:
    if not isinstance(tz, str) or not tz:
        raise ValueError(f"unknown time zone {tz!r}")
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tz!r}") from exc


@lru_cache(maxsize=512)
def _validated(schedule: Schedule) -> ZoneInfo:
    """Validate once per distinct schedule (it is frozen, hence hashable)."""
    if not isinstance(schedule.cron, str) or not schedule.cron.strip():
        raise ValueError(f"empty cron expression {schedule.cron!r}")
    zone = _zone(schedule.tz)
    if not isinstance(schedule.first_working_day, bool):
        raise ValueError(f"first_working_day must be a bool, got {schedule.first_working_day!r}")
    probe_start = datetime(2000, 1, 1, tzinfo=zone)
    try:
        probe = croniter(schedule.cron, probe_start, ret_type=datetime)
    except CroniterError as exc:
        raise ValueError(f"invalid cron expression {schedule.cron!r}: {exc}") from exc
    if len(probe.expanded) != _CRON_FIELDS:
        raise ValueError(
            f"invalid cron expression {schedule.cron!r}: expected 5 fields "
            "(minute hour day-of-month month day-of-week); seconds and years are not supported"
        )
    try:
        probe.get_next(datetime)
    except CroniterBadDateError as exc:
        raise ValueError(f"cron expression {schedule.cron!r} never fires (e.g. 30 February)") from exc
    return zone


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _candidates(schedule: Schedule, after: datetime) -> Iterator[Occurrence]:
    """Occurrences in nominal order, from the lookback before ``after``, de-duplicated by key.

    Not filtered by ``fire_at``: callers do that, since fire order may differ from
    nominal order.
    """
    zone = _validated(schedule)
    lookback = WORKING_DAY_LOOKBACK if schedule.first_working_day else _PLAIN_LOOKBACK
    it = croniter(schedule.cron, (after - lookback).astimezone(zone), ret_type=datetime)
    seen: set[str] = set()
    while True:
        try:
            nominal_local: datetime = it.get_next(datetime)
        except CroniterBadDateError:
            return
        key = nominal_local.strftime(_PERIOD_KEY_FORMAT)
        if key in seen:
            continue
        seen.add(key)
        nominal = nominal_local.astimezone(UTC)
        fire_at = nominal
        if schedule.first_working_day:
            fire_day = first_working_day_on_or_after(nominal_local.date())
            if fire_day != nominal_local.date():
                if fire_day - nominal_local.date() >= lookback:
                    raise RuntimeError(
                        f"working-day move from {nominal_local.date()} to {fire_day} exceeds the "
                        f"{lookback.days}-day lookback; occurrences could be missed"
                    )
                wall = nominal_local.time().replace(tzinfo=None)
                fire_at = datetime.combine(fire_day, wall, tzinfo=zone).astimezone(UTC)
        yield Occurrence(period_key=key, nominal=nominal, fire_at=fire_at)


def _order(occ: Occurrence) -> tuple[datetime, datetime]:
    return occ.fire_at, occ.nominal


def occurrences(schedule: Schedule, after: datetime, until: datetime) -> list[Occurrence]:
    """Every occurrence with ``after < fire_at <= until``, ordered by ``(fire_at, nominal)``.

    The half-open window makes consecutive calls partition time: feed each run's
    ``until`` as the next run's ``after``.  Raises ``ValueError`` for an invalid
    schedule or naive datetimes.
    """
    _require_aware(after, "after")
    _require_aware(until, "until")
    if until <= after:
        return []
    found: list[Occurrence] = []
    for occ in _candidates(schedule, after):
        if occ.nominal > until:  # fire_at >= nominal, so nothing later can qualify
            break
        if after < occ.fire_at <= until:
            found.append(occ)
    found.sort(key=_order)
    return found


def next_occurrence(schedule: Schedule, after: datetime) -> Occurrence:
    """The first occurrence with ``fire_at > after`` (same order as :func:`occurrences`).

    Raises ``ValueError`` if the schedule never fires again.
    """
    _require_aware(after, "after")
    best: Occurrence | None = None
    for occ in _candidates(schedule, after):
        if best is not None and occ.nominal > best.fire_at:
            break
        if occ.fire_at > after and (best is None or _order(occ) < _order(best)):
            best = occ
    if best is None:
        raise ValueError(f"schedule {schedule.cron!r} never fires after {after.isoformat()}")
    return best
