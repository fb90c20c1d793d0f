"""The department's figures, computed from the engine's own rows on every request.

There are no counters of our own: every number is a query over ``engine.Instance``,
``engine.Assignment``, ``engine.History``, ``engine.Timer`` and ``tasks.Task`` (and, for the stored
documents, ``files.StoredFile`` with its last check), so the figures cannot drift from what
happened. ``compute()`` is the one entry point; the page, the exports and
``GET /api/v1/analytics`` all show its result. The definitions are in ``docs/analytics.md``.

Scale: a fixed number of queries (about a dozen) whatever the amount of data. Durations come back
from the database as a histogram by the minute (one GROUP BY, no per-row transfer) and the
nearest-rank percentiles are read off it in Python; see ``bench/analytics``.
"""

# ruff: noqa: S608 - the raw SQL joins our own fragments and model table names; values are parameters
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from analytics.models import Baseline
from base import clock
from engine.bpmn import DeployError
from engine.definitions import model_for
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
    Instance,
    InstanceStatus,
    Outcome,
    ProcessDefinition,
    Timer,
)
from files.services import integrity
from processes.names import (
    ACTION_SUBMIT,
    CARD_STEPS,
    DECISION_REJECT,
    MANAGER_APPROVAL,
    REASON_NEEDS_CHANGES,
    REJECTION_REASON,
)
from tasks.models import Task, TaskStatus

log = logging.getLogger(__name__)

#: Default period: the last 90 days, today included.
DEFAULT_DAYS = 90
#: The percentiles shown, nearest-rank: the smallest value with at least p % of values at or below it.
PERCENTILES = (50, 90)
#: Outcomes that mean "a decision was reached": these instances are the department's approvals.
APPROVAL_OUTCOMES = (Outcome.APPROVED, Outcome.REJECTED)
#: Average days in a month, for "per month" figures over a period of any length.
DAYS_PER_MONTH = Decimal("30.4375")
#: How many orphan ids the result lists (the counts are always complete).
ORPHAN_IDS_SHOWN = 20


@dataclass(frozen=True)
class Period:
    """Dates in the site's time zone (Europe/Moscow), both ends included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min), timezone.get_default_timezone())

    @property
    def until(self) -> datetime:
        """The first instant after the period (exclusive upper bound)."""
        return timezone.make_aware(
            datetime.combine(self.end + timedelta(days=1), time.min), timezone.get_default_timezone()
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_period(now: datetime | None = None) -> tuple[date, date]:
    """The last 90 days, today (in Moscow) included."""
    today = timezone.localtime(now or clock.now(), timezone.get_default_timezone()).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def may_see_figures(user: Any) -> bool:
    """Directors, the finance director, the head of sales and administrators see the figures."""
    from org.access import is_administrator

    if user is None or not user.is_authenticated:
        return False
    if is_administrator(user):
        return True
    employee = getattr(user, "employee", None)
    if employee is None or not employee.is_active:
        return False
    return employee.roles.filter(code__in=("director", "finance_director", "sales_head")).exists()


def may_edit_baseline(user: Any) -> bool:
    from org.access import is_administrator

    return is_administrator(user)


# --------------------------------------------------------------------------- the entry point


def compute(
    period_from: date | None = None,
    period_to: date | None = None,
    process: str | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """All figures for a period (default the last 90 days) and optionally one process key.

    Returns the shape of ``GET /api/v1/analytics`` (api.md, "Figures"). Hours are floats rounded
    to 0.01, shares are fractions 0..1 (``None`` when there is nothing to divide by).
    """
    now = now or clock.now()
    default_from, default_to = default_period(now)
    period = Period(period_from or default_from, period_to or default_to)
    if period.end < period.start:
        raise ValueError("period_to is before period_from")
    since, until = period.since, period.until

    definitions = ProcessDefinition.objects.select_related("current").order_by("name", "key")
    if process:
        definitions = definitions.filter(key=process)
    definitions = list(definitions)

    instances = Instance.objects.all()
    if process:
        instances = instances.filter(process_key=process)
    started = dict(
        instances.filter(started_at__gte=since, started_at__lt=until)
        .values_list("process_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    outcomes: dict[str, dict[str, int]] = {}
    for key, outcome, n in (
        instances.filter(status=InstanceStatus.FINISHED, finished_at__gte=since, finished_at__lt=until)
        .values_list("process_key", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        outcomes.setdefault(key, {})[outcome or "unknown"] = n
    cycles = _cycle_percentiles(since, until, process)
    steps = _step_figures(since, until, process)
    orders = {definition.key: _step_order(definition) for definition in definitions}
    with_revision = {
        key
        for key in orders
        if any(is_revision_step(k) for k in orders[key]) or any(is_revision_step(k) for k in steps.get(key, {}))
    }
    reworked = _reworked(since, until, with_revision, set(orders) - with_revision)

    processes = []
    completed = completed_late = submitted = returned = 0
    for definition in definitions:
        key = definition.key
        finished = sum(outcomes.get(key, {}).values())
        cycle = cycles.get(key, {})
        step_rows = steps.get(key, {})
        order = orders[key]
        rows = []
        for step_key in sorted(step_rows, key=lambda k: (order.get(k, (len(order), ""))[0], k)):
            row = step_rows[step_key]
            completed += row["count"]
            completed_late += row["late"]
            submitted += row["submitted"]
            returned += row["returned"]
            rows.append(
                {
                    "key": step_key,
                    "title": order.get(step_key, (0, step_key))[1],
                    "median_hours": _hours(row.get(50)),
                    "p90_hours": _hours(row.get(90)),
                    "count": row["count"],
                    "late": row["late"],
                }
            )
        processes.append(
            {
                "process": key,
                "name": gettext(definition.name),
                "started": started.get(key, 0),
                "finished": finished,
                "outcomes": dict(sorted(outcomes.get(key, {}).items())),
                "cycle_hours": {"median": _hours(cycle.get(50)), "p90": _hours(cycle.get(90))},
                "steps": rows,
                "reworked": reworked.get(key, 0),
                "rework_rate": _share(reworked.get(key, 0), finished),
            }
        )

    open_figures = _open_assignments(now, process)
    cards = {
        "submitted": submitted,
        "returned_for_changes": returned,
        "errors_caught_at_entry": _refused_cards(since, until, process),
    }
    baseline = Baseline.load()
    approvals = _approvals(since, until, process)
    result = {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "process": process or None,
        "generated_at": now.isoformat(),
        "processes": processes,
        "assignments": {
            "completed": completed,
            "completed_late": completed_late,
            "overdue_share": _share(completed_late, completed),
            "open": open_figures["open"],
            "open_overdue": open_figures["open_overdue"],
        },
        "cards": cards,
        "orphans": orphans(),
        "documents": documents(),
        "approvals": approvals,
        "baseline": _baseline_out(baseline),
        "vs_baseline": None,
    }
    if baseline is not None:
        result["vs_baseline"] = compare(baseline, result, period.days)
    return result


# --------------------------------------------------------------------------- the queries


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _minutes_between(later: str, earlier: str) -> str:
    """SQL for ``later - earlier`` in whole minutes (seconds rounded first, then floored to the
    minute), on SQLite and PostgreSQL. Rounding the seconds first keeps SQLite's floating-point
    julianday from turning 30 h into 29 h 59 min."""
    if connection.vendor == "postgresql":
        return f"(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier})))::bigint / 60)"
    if connection.vendor == "sqlite":
        return f"(CAST((julianday({later}) - julianday({earlier})) * 86400.0 + 0.5 AS INTEGER) / 60)"
    raise NotImplementedError(f"figures are computed on SQLite and PostgreSQL, not {connection.vendor}")


def _nearest_rank(histogram: list[tuple[int, int]], count: int, percent: int) -> int | None:
    """The value at rank ⌈p/100 · n⌉ of the sorted values, from (value, how many) pairs."""
    if not count:
        return None
    rank = (count * percent + 99) // 100
    seen = 0
    for value, n in sorted(histogram):
        seen += n
        if seen >= rank:
            return value
    return None


def _histograms(sql: str, params: list[Any]) -> dict[str, dict[str, dict[Any, Any]]]:
    """Run a query returning (g1, g2, minutes, n, late, submitted, returned) grouped by the first
    three; answer per g1 and g2: the sums and the PERCENTILES in seconds.

    Durations come back as a histogram by the minute (a few hundred thousand rows at most, whatever
    the number of assignments) and the nearest rank is found in Python: the databases do one
    GROUP BY instead of sorting every row in a window, which on SQLite is several times faster.
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for g1, g2, minutes, n, late, submitted, returned in cursor.fetchall():
            group = groups.setdefault((g1, g2), {"count": 0, "late": 0, "submitted": 0, "returned": 0, "histogram": []})
            group["count"] += n
            group["late"] += late or 0
            group["submitted"] += submitted or 0
            group["returned"] += returned or 0
            group["histogram"].append((minutes, n))
    result: dict[str, dict[str, dict[Any, Any]]] = {}
    for (g1, g2), group in groups.items():
        histogram = group.pop("histogram")
        for p in PERCENTILES:
            minutes = _nearest_rank(histogram, group["count"], p)
            group[p] = minutes * 60 if minutes is not None else None
        result.setdefault(g1, {})[g2] = group
    return result


def _cycle_percentiles(since: datetime, until: datetime, process: str | None) -> dict[str, dict[Any, Any]]:
    """Cycle time (finished_at − started_at) of instances finished in the period, per process."""
    instance = _table(Instance)
    minutes = _minutes_between("i.finished_at", "i.started_at")
    where = "i.status = %s AND i.finished_at >= %s AND i.finished_at < %s"
    params: list[Any] = [InstanceStatus.FINISHED, _dt(since), _dt(until)]
    if process:
        where += " AND i.process_key = %s"
        params.append(process)
    sql = (
        f"SELECT i.process_key, '', {minutes} AS m, COUNT(*), 0, 0, 0 FROM {instance} i"
        f" WHERE {where} GROUP BY i.process_key, m"
    )
    return {key: groups[""] for key, groups in _histograms(sql, params).items()}


def _step_figures(since: datetime, until: datetime, process: str | None) -> dict[str, dict[str, dict[Any, Any]]]:
    """One pass over the assignments completed in the period, per process and step key: how many,
    how many late, the percentiles of completed_at − created_at, and the card counts (cards
    submitted, cards returned for changes: see docs/analytics.md).

    Read in the order of the index ``assignment_step_times`` (status, process_key, key,
    duration_minutes, completed_at, due_at, decision): no join, no sort, no JSON; on PostgreSQL
    an index-only scan.
    The duration and the decision are columns the database computes from each row, the process key
    a copy of the instance's made by ``Assignment.save()``. A row written without that copy (a bulk
    insert that bypassed ``save()``) still counts, through its instance: the second half of the
    UNION, an index seek that normally finds nothing.
    """
    assignment, instance = _table(Assignment), _table(Instance)
    key = f"a.{connection.ops.quote_name('key')}"
    # the instance's key for a row without its copy, looked up row by row (with a join, SQLite
    # plans a scan of every instance first)
    lookup = f"(SELECT i.process_key FROM {instance} i WHERE i.id = a.instance_id)"
    where = "a.status = %s AND a.completed_at >= %s AND a.completed_at < %s"
    where_params: list[Any] = [AssignmentStatus.DONE, _dt(since), _dt(until)]
    if process:
        own, own_params = "a.process_key = %s", [process]
        copied, copied_params = f" AND {lookup} = %s", [process]
    else:
        own, own_params = "a.process_key <> ''", []
        copied, copied_params = "", []
    sums = (
        "COUNT(*),"
        " SUM(CASE WHEN a.due_at IS NOT NULL AND a.completed_at > a.due_at THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {key} IN (%s, %s) AND a.decision = %s THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN ({key} = %s AND a.decision = %s) OR ({key} = %s AND a.decision = %s) THEN 1 ELSE 0 END)"
    )
    # cards submitted (the card steps' action), cards returned (a manager's reject, a finance
    # director's reason "needs changes")
    sums_params = [
        *CARD_STEPS,
        ACTION_SUBMIT,
        MANAGER_APPROVAL,
        DECISION_REJECT,
        REJECTION_REASON,
        REASON_NEEDS_CHANGES,
    ]
    sql = (
        f"SELECT a.process_key, {key}, a.duration_minutes, {sums} FROM {assignment} a"
        f" WHERE {where} AND {own} GROUP BY a.process_key, {key}, a.duration_minutes"
        f" UNION ALL SELECT {lookup}, {key}, a.duration_minutes, {sums} FROM {assignment} a"
        f" WHERE {where} AND a.process_key = ''{copied} GROUP BY 1, {key}, a.duration_minutes"
    )
    params = [*sums_params, *where_params, *own_params, *sums_params, *where_params, *copied_params]
    return _histograms(sql, params)


def is_revision_step(key: str) -> bool:
    """``revise`` or ``revise_…``: a step that exists to send work back for changes."""
    return key == "revise" or key.startswith("revise_")


def _reworked(since: datetime, until: datetime, with_revision: set[str], without_revision: set[str]) -> dict[str, int]:
    """Instances finished in the period that went through rework, per process.

    A process with a revision step: the instance has an assignment of that step (any status: a
    revision cancelled by a stop was still a return for changes). A process without one: some step
    key occurs more than once in the instance (a step done again, as «Отправить документы» after
    «Нет»). Two queries at most, each limited to its processes' instances.
    """
    assignment, instance = _table(Assignment), _table(Instance)
    key = f"a.{connection.ops.quote_name('key')}"
    where = "i.status = %s AND i.finished_at >= %s AND i.finished_at < %s"

    def per_process(keys: set[str], sql: str) -> dict[str, int]:
        """``sql`` with ``{keys}`` for the processes' placeholders, run over the period."""
        if not keys:
            return {}
        ordered = sorted(keys)
        with connection.cursor() as cursor:
            cursor.execute(
                sql.format(keys=", ".join(["%s"] * len(ordered))),
                [InstanceStatus.FINISHED, _dt(since), _dt(until), *ordered],
            )
            return dict(cursor.fetchall())

    return {
        **per_process(
            with_revision,
            f"SELECT i.process_key, COUNT(DISTINCT i.id) FROM {instance} i"
            f" JOIN {assignment} a ON a.instance_id = i.id"
            f" WHERE {where} AND i.process_key IN ({{keys}})"
            f" AND ({key} = 'revise' OR SUBSTR({key}, 1, 7) = 'revise_')"
            f" GROUP BY i.process_key",
        ),
        **per_process(
            without_revision,
            f"SELECT process_key, COUNT(*) FROM ("
            f" SELECT i.id, i.process_key FROM {instance} i JOIN {assignment} a ON a.instance_id = i.id"
            f" WHERE {where} AND i.process_key IN ({{keys}})"
            f" GROUP BY i.id, i.process_key HAVING COUNT(*) > COUNT(DISTINCT {key})"
            f") reworked GROUP BY process_key",
        ),
    }


def _approvals(since: datetime, until: datetime, process: str | None) -> dict[str, Any]:
    """Approvals (instances finished in the period with a decision: approved or rejected): how
    many and their mean cycle in days — what the baseline's "average approval days" compares to."""
    instance = _table(Instance)
    dur = _minutes_between("i.finished_at", "i.started_at")
    where = "i.status = %s AND i.finished_at >= %s AND i.finished_at < %s AND i.outcome IN (%s, %s)"
    params: list[Any] = [InstanceStatus.FINISHED, _dt(since), _dt(until), *APPROVAL_OUTCOMES]
    if process:
        where += " AND i.process_key = %s"
        params.append(process)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), AVG({dur}) FROM {instance} i WHERE {where}", params)
        count, mean = cursor.fetchone()
    return {"count": count, "mean_days": round(float(mean) / 1440, 2) if mean is not None else None}


def _refused_cards(since: datetime, until: datetime, process: str | None) -> int:
    """Card submissions refused by the checks: one ``refused`` history row per refused attempt."""
    refused = History.objects.filter(event=HistoryEvent.REFUSED, key__in=CARD_STEPS, at__gte=since, at__lt=until)
    if process:
        refused = refused.filter(instance__process_key=process)
    return refused.count()


def _open_assignments(now: datetime, process: str | None) -> dict[str, int]:
    open_rows = Assignment.objects.filter(status=AssignmentStatus.OPEN)
    if process:
        open_rows = open_rows.filter(instance__process_key=process)
    counts = open_rows.aggregate(open=Count("pk"), open_overdue=Count("pk", filter=Q(due_at__lte=now)))
    return {"open": counts["open"], "open_overdue": counts["open_overdue"]}


def documents() -> dict[str, Any]:
    """The stored files and what the last ``manage.py verify_files`` found: ``missing`` and
    ``changed`` must stay 0 (api.md's "no document lost"). Counting rows only: re-hashing every
    file on each page view would not do, so ``checked_at`` says when the files were last read."""
    found = integrity()
    checked_at = found["checked_at"]
    return {**found, "checked_at": checked_at.isoformat() if checked_at else None}


def orphans() -> dict[str, Any]:
    """Work nobody can move: both counts must be 0, and the page raises an alarm otherwise.

    Always over every process (an alarm is never filtered away): open assignments whose assignee
    is inactive, and running instances waiting on nothing — no open assignment, no open process
    task (задача of a ``kind=task`` step) and no pending timer.
    """
    lost = (
        Assignment.objects.filter(status=AssignmentStatus.OPEN)
        .filter(Q(assignee__is_active=False) | Q(assignee__user__is_active=False))
        .order_by("pk")
    )
    stuck = (
        Instance.objects.filter(status=InstanceStatus.RUNNING)
        .exclude(Exists(Assignment.objects.filter(instance=OuterRef("pk"), status=AssignmentStatus.OPEN)))
        .exclude(
            Exists(Task.objects.filter(instance=OuterRef("pk"), status=TaskStatus.OPEN).exclude(process_task_id=""))
        )
        .exclude(Exists(Timer.objects.filter(instance=OuterRef("pk"), fired_at=None, cancelled_at=None)))
        .order_by("pk")
    )
    lost_ids = list(lost.values_list("pk", flat=True))
    stuck_ids = list(stuck.values_list("pk", flat=True))
    return {
        "assignments": len(lost_ids),
        "instances": len(stuck_ids),
        "assignment_ids": lost_ids[:ORPHAN_IDS_SHOWN],
        "instance_ids": stuck_ids[:ORPHAN_IDS_SHOWN],
    }


# --------------------------------------------------------------------------- baseline


def _baseline_out(baseline: Baseline | None) -> dict[str, Any] | None:
    if baseline is None:
        return None
    return {
        "avg_approval_days": float(baseline.avg_approval_days),
        "overdue_share_pct": float(baseline.overdue_share_pct),
        "card_error_rate_pct": float(baseline.card_error_rate_pct),
        "manual_minutes_per_approval": float(baseline.manual_minutes_per_approval),
        "updated_at": baseline.updated_at.isoformat(),
    }


def compare(baseline: Baseline, figures: dict[str, Any], days: int) -> dict[str, Any]:
    """Before versus now. Each ratio is "before / now", so 2.3 reads «в 2,3 раза лучше»; it is
    ``None`` when "now" has nothing to measure, or is zero (no overdue at all: no finite ratio)."""
    approvals = figures["approvals"]
    current_days = approvals["mean_days"]
    assignments = figures["assignments"]
    overdue_now = assignments["overdue_share"]
    cards = figures["cards"]
    error_rate_now = _share(cards["errors_caught_at_entry"], cards["submitted"])
    per_month = Decimal(approvals["count"]) * DAYS_PER_MONTH / Decimal(days)
    hours_saved = per_month * baseline.manual_minutes_per_approval / Decimal(60)
    return {
        "approval_speed": _ratio(float(baseline.avg_approval_days), current_days),
        "current_approval_days": current_days,
        "overdue_share_ratio": _ratio(float(baseline.overdue_share_pct), _pct(overdue_now)),
        "current_overdue_share_pct": _pct(overdue_now),
        "card_errors_ratio": _ratio(float(baseline.card_error_rate_pct), _pct(error_rate_now)),
        "current_card_error_rate_pct": _pct(error_rate_now),
        "approvals": approvals["count"],
        "approvals_per_month": round(float(per_month), 2),
        "hours_saved_per_month": round(float(hours_saved), 1),
        "period_days": days,
    }


# --------------------------------------------------------------------------- helpers


#: A title's placeholder with the preposition before it: «… скидок на {quarter}» reads «… скидок»
#: across quarters, never «… скидок на».
_PLACEHOLDER = re.compile(r"\s*(?:\b(?:на|за|по|для|for|of)\s+)?\{[^}]*\}")


def _step_order(definition: ProcessDefinition) -> dict[str, tuple[int, str]]:
    """Step keys in the order of the process file, with their titles in the reader's language
    ({quarter} and its preposition left out)."""
    if definition.current is None:
        return {}
    try:
        model = model_for(definition.current)
    except DeployError:  # a file that no longer parses must not hide the figures
        log.warning("figures: cannot read the steps of %s", definition.key, exc_info=True)
        return {}
    return {
        key: (position, _PLACEHOLDER.sub("", gettext(task.title)).strip() or key)
        for position, (key, task) in enumerate(model.user_tasks.items())
    }


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _pct(share: float | None) -> float | None:
    return round(share * 100, 2) if share is not None else None


def _ratio(before: float, now: float | None) -> float | None:
    if now is None or now <= 0:
        return None
    return round(before / now, 1)
