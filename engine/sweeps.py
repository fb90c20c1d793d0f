"""What the worker fires when its time comes: absences starting, BPMN timers, deadlines, and
scheduled starts.

:func:`fire_due` is safe to run from several workers at once: each absence that starts is claimed
by its row (``SKIP LOCKED`` on PostgreSQL) and marked handed over in the transaction that moves the
work; each timer is fired under its instance's row lock, taken with ``SKIP LOCKED`` (a worker
passes over an instance another one is stepping instead of queueing behind it) and re-checked; each
deadline notice by a conditional UPDATE, each scheduled period by a unique key (``ScheduledStart``'s
constraint: the second worker's insert fails and its transaction rolls back). One bad row is
logged and skipped; it never stops the sweep.

Periods of a schedule before it became active are never back-filled; a period missed while no
worker ran starts once when one catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from base import clock
from base import schedule as cron
from base.errors import Conflict
from engine import actions, hooks
from engine.bpmn import Runner
from engine.models import Assignment, AssignmentStatus, HistoryEvent, Schedule, ScheduledStart, Timer
from engine.step import Step, batched_writes, claim, history, model_of, try_lock_instance_of_timer
from org import absences
from org.models import Absence

log = logging.getLogger(__name__)


@dataclass
class Fired:
    timers: int = 0
    overdue: int = 0
    started: int = 0
    absences: int = 0
    errors: list[str] = field(default_factory=list)
    #: Some kind reached the pass's ``limit``: more may be due, and the worker sweeps again at once.
    more: bool = False

    def __bool__(self) -> bool:
        return bool(self.timers or self.overdue or self.started or self.absences)


def fire_due(now: datetime | None = None, *, limit: int = 1000) -> Fired:
    """Fire every absence start, timer, deadline and scheduled start due up to ``now``; each
    exactly once. Absences first: they begin at midnight, so whatever else is due by now already
    finds the work with the substitute."""
    now = now or clock.now()
    fired = Fired()
    with clock.frozen(now):
        due_absences = absences.due_to_start(now, limit)
        fired.absences = _each("absence", due_absences, _start_absence, now, fired.errors)
        fired.timers, timers_left = _fire_timers(now, limit, fired.errors)
        due_deadlines = _due_deadline_ids(now, limit)
        fired.overdue = _each("assignment", due_deadlines, _fire_deadline, now, fired.errors)
        fired.started, errors = start_due_periods(now)
        fired.errors.extend(errors)
    fired.more = timers_left or len(due_absences) >= limit or len(due_deadlines) >= limit
    return fired


def _each(kind: str, ids: list[int], fire: Callable[[int, datetime], bool], now: datetime, errors: list[str]) -> int:
    """Fire each due row of one kind in its own transaction; returns how many fired. The sweep's
    fault boundary: one bad row is logged and named in ``errors``, and the sweep goes on."""
    count = 0
    for pk in ids:
        try:
            if fire(pk, now):
                count += 1
        except Exception as error:  # one bad row must not stop the sweep
            log.exception("%s %s failed", kind, pk)
            errors.append(f"{kind} {pk}: {error}")
    return count


# --------------------------------------------------------------------------- absences


def _start_absence(absence_id: int, now: datetime) -> bool:
    """Hand an absent employee's open work over, once: the absence row is claimed (another worker
    skips it), re-checked, and marked in the same transaction as the moves."""
    with transaction.atomic(), batched_writes():
        absence = claim(Absence.objects.filter(pk=absence_id, moved_at__isnull=True).select_related("employee__user"))
        if absence is None:
            return False
        if Absence.objects.filter(pk=absence_id, moved_at__isnull=True).update(moved_at=now) != 1:
            return False
        actions.hand_over_for_absence(absence)
        return True


# --------------------------------------------------------------------------- timers


def _fire_timers(now: datetime, limit: int, errors: list[str]) -> tuple[int, bool]:
    """Fire up to ``limit`` due timers, earliest first; returns (fired, whether more may be due)."""
    due = _due_timer_ids(now, limit)
    return _each("timer", due, _fire_timer, now, errors), len(due) >= limit


def _due_timer_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _fire_timer(timer_id: int, now: datetime) -> bool:
    """Fire one timer in its own transaction, under its instance's lock; ``False`` if someone else
    has it or it is no longer pending.

    Every worker reads the same list of due timers, so the instance is locked with ``SKIP LOCKED``
    (:func:`~engine.step.try_lock_instance_of_timer`): a worker that meets an instance another
    worker is stepping goes on to the next timer at once instead of waiting for that lock and then
    finding the timer fired, and the workers end up firing different timers side by side. (Two
    timers of one instance due together fire in one step, by whoever locked it.) The timer is
    read after the lock, so it is the committed row; one skipped because a web request held its
    instance is due again at the next pass.
    """
    with transaction.atomic(), batched_writes():
        instance = try_lock_instance_of_timer(timer_id)
        if instance is None or not instance.running:
            return False
        timer = (
            Timer.objects.filter(pk=timer_id, fired_at__isnull=True, cancelled_at__isnull=True)
            .select_related("assignment")
            .first()
        )
        if timer is None:
            return False
        model = model_of(instance)
        runner = Runner.load(model, instance.state)
        step = Step(instance=instance, model=model, runner=runner, actor=None, now=now)
        step.record_timer(timer)
        step.advance()
        step.save()
        return True


# --------------------------------------------------------------------------- deadlines


def _due_deadline_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Assignment.objects.filter(status=AssignmentStatus.OPEN, overdue_notified_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _fire_deadline(assignment_id: int, now: datetime) -> bool:
    """The common deadline rule: an ``overdue`` event once (the assignee and their manager are told)."""
    with transaction.atomic(), batched_writes():
        claimed = Assignment.objects.filter(
            pk=assignment_id, status=AssignmentStatus.OPEN, overdue_notified_at__isnull=True, due_at__lte=now
        ).update(overdue_notified_at=now)
        if claimed != 1:
            return False
        assignment = Assignment.objects.select_related("assignee__user", "instance").get(pk=assignment_id)
        history(
            assignment.instance,
            HistoryEvent.OVERDUE,
            assignment=assignment,
            key=assignment.key,
            at=now,
            data={"due_at": assignment.due_at.isoformat()},
        )
        hooks.emit(hooks.Event(hooks.EventKind.OVERDUE, assignment.instance, assignment))
        return True


# --------------------------------------------------------------------------- scheduled starts


def spec_of(row: Schedule) -> cron.Schedule:
    return cron.Schedule(cron=row.cron, tz=row.tz, first_working_day=row.first_working_day)


def start_due_periods(now: datetime) -> tuple[int, list[str]]:
    """Start each due period of each enabled schedule once; returns (started, errors)."""
    started, errors = 0, []
    for row in Schedule.objects.filter(enabled=True).select_related("definition__current"):
        spec = spec_of(row)
        last = row.starts.order_by("-fire_at").values_list("fire_at", flat=True).first()
        after = max(row.active_since, last) if last else row.active_since
        try:
            due = cron.occurrences(spec, after - timedelta(microseconds=1) if last is None else after, now)
        except ValueError as error:
            errors.append(f"{row}: {error}")
            continue
        for occurrence in due:
            if occurrence.fire_at < row.active_since:
                continue
            if row.starts.filter(period_key=occurrence.period_key).exists():
                continue
            try:
                if _start_period(row, occurrence, now):
                    started += 1
            except IntegrityError:
                continue  # another worker took this period
            except Exception as error:  # the sweep's fault boundary: a bad schedule must not stop it
                log.exception("scheduled start of %s failed", row)
                errors.append(_("%(schedule)s: %(error)s") % {"schedule": row, "error": error})
    return started, errors


def _start_period(row: Schedule, occurrence: cron.Occurrence, now: datetime) -> bool:
    version = row.definition.current
    variables = actions.unique_default(version.properties or {}, occurrence.nominal, row.tz) if version else {}
    with transaction.atomic():
        record = ScheduledStart.objects.create(
            schedule=row, period_key=occurrence.period_key, fire_at=occurrence.fire_at, started_at=now
        )
        try:
            with transaction.atomic():
                instance = actions.start(row.definition.key, variables=variables, scheduled=True)
        except Conflict as conflict:
            # Somebody started this period by hand already: the period is done.
            record.error = conflict.message
            record.save(update_fields=["error"])
            return False
        record.instance = instance
        record.save(update_fields=["instance"])
        return True
