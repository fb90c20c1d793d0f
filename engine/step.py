# ruff: noqa: S608 - the few SQL statements join model table/column names; every value is a parameter
"""One step of one instance, and the transaction contract every action and sweep keeps.

A step runs inside one database transaction that first locks the instance row (:func:`lock_instance`,
:func:`lock_assignment`), loads the workflow state, advances it, and writes the new state together
with the assignments that appeared or went away, the timers, the history and the events for the
listeners (notifications, whose e-mails the worker sends after the commit). A crash at any point
leaves the old state or the new one. Two people completing parallel assignments of one instance at
the same moment both succeed, one after the other: each waits for the row lock and then works on the
state the other committed.

The rows of a step are read and written with plain SQL (``engine.rows``): the ORM's query
compilation cost more than the database's work on the hot path.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils.translation import gettext as _

from base import clock, workcal
from base.errors import NotFound
from engine import assignees, expressions, hooks, rows
from engine.bpmn import ProcessModel, Runner
from engine.definitions import cached_model, model_for
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
    Instance,
    Outcome,
    ProcessVersion,
    Timer,
)
from engine.rows import qn
from org.models import Employee


@dataclass
class Step:
    """One advance of one locked instance: runs the engine, then writes what changed."""

    instance: Instance
    model: ProcessModel
    runner: Runner
    actor: Employee | None
    now: datetime
    fired: list[Timer] = field(default_factory=list)

    def record_timer(self, timer: Timer) -> None:
        """``timer`` fired in this step: its row says so and the history has it; a reminder is sent
        after the advance, if its assignment still waits then (:meth:`_remind`)."""
        timer.fired_at = self.now
        timer.save(update_fields=["fired_at"])
        history(
            self.instance,
            HistoryEvent.REMINDER if timer.is_reminder else HistoryEvent.TIMER,
            assignment=timer.assignment,
            key=timer.key,
            at=self.now,
            data={"timer": timer.key},
        )
        self.fired.append(timer)

    def advance(self) -> None:
        with clock.frozen(self.now):  # every time Spiff computes in this step is the step's instant
            also_fired = self.runner.advance(call_service=self._call_service)
        if also_fired and self.model.timers:
            # Every timer due by now fires in this step, not only the one a sweep claimed: after the
            # worker was down, a reminder and an interrupting timer of one assignment may both be due.
            for timer in self.instance.timers.filter(
                task_id__in=[t.id for t in also_fired], fired_at__isnull=True, cancelled_at__isnull=True
            ).select_related("assignment"):
                self.record_timer(timer)
        if self.fired:
            self._remind()
        if self.runner.finished and self.instance.running:
            self.finish(self.runner.outcome or Outcome.COMPLETED)
        else:
            self.sync()

    def _remind(self) -> None:
        """A reminder that fired tells the assignee, unless its assignment went away in this step."""
        ready = {t.id for t in self.runner.ready_user_tasks()} if not self.runner.finished else set()
        for timer in self.fired:
            assignment = timer.assignment
            if timer.is_reminder and assignment is not None and assignment.is_open and assignment.task_id in ready:
                hooks.emit(hooks.Event(hooks.EventKind.REMINDER, self.instance, assignment))

    def _call_service(self, topic: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        hook = hooks.SERVICE_HOOKS[topic]
        result = hook(hooks.ServiceContext(instance=self.instance, variables=variables, topic=topic))
        history(self.instance, HistoryEvent.SERVICE, key=topic, at=self.now, data=jsonable(result or {}))
        return result

    def sync(self) -> None:
        """Make the rows match the workflow: new assignments and timers, vanished ones cancelled."""
        ready = self.runner.ready_user_tasks()
        ready_ids = {t.id for t in ready}
        known: dict[str, str] = dict(
            rows.fetch(
                f"SELECT {qn('task_id')}, {qn('status')} FROM {rows.table(Assignment)} "
                f"WHERE {qn('instance_id')} = %s",
                [self.instance.pk],
            )
        )
        stale = [t for t, status in known.items() if status == AssignmentStatus.OPEN and t not in ready_ids]
        if stale:
            self._cancel(task_ids=stale)
        plain = hooks.plain_tasks() if self.model.has_plain_tasks else None
        waiting_tasks = plain.waiting(self.instance) if plain is not None else set()
        variables = self.runner.variables
        for ready_task in ready:
            if ready_task.id in known or ready_task.id in waiting_tasks:
                continue  # already open (or completed in this very step: the runner shows it until advanced)
            self._open(ready_task, variables)
        if self.model.timers:
            self._sync_timers()

    def _open(self, ready_task: Any, variables: dict[str, Any]) -> None:
        task = self.model.user_tasks[ready_task.key]
        eyes = assignees.four_eyes(task, self.instance, self.model)
        pick = assignees.resolve(task, self.instance, variables, eyes, now=self.now)
        assignee = pick.employee
        title = _render_title(task.title, variables) or task.key
        due_at = None
        if task.due:
            due_at = workcal.add_duration(self.now, task.due, working_days=task.due_calendar == "working")
        plain = hooks.plain_tasks() if task.kind == "task" else None
        if plain is not None:
            plain.open(
                hooks.PlainTask(
                    instance=self.instance,
                    process_task_id=ready_task.id,
                    title=title,
                    description=task.properties.get("description", ""),
                    responsible=assignee,
                    deadline=due_at,
                    now=self.now,
                )
            )
            history(
                self.instance,
                HistoryEvent.ASSIGNED,
                key=task.key,
                at=self.now,
                data={"assignee": assignee.username, "task": True, "title": title},
            )
            return
        assignment = Assignment(
            instance=self.instance,
            task_id=ready_task.id,
            key=task.key,
            title=title[:500],
            assignee=assignee,
            instead_of=pick.instead_of,
            created_at=self.now,
            due_at=due_at,
        )
        assignment.derive_fields()
        rows.insert([assignment])
        data: dict[str, Any] = {"assignee": assignee.username}
        if pick.instead_of is not None:  # the rule named someone who is away
            data["instead_of"] = pick.instead_of.username
        if pick.skipped:  # four eyes: whoever the rule passed over, and why
            data["skipped"] = [{"username": person.username, "name": person.full_name} for person in pick.skipped]
        history(self.instance, HistoryEvent.ASSIGNED, assignment=assignment, key=task.key, at=self.now, data=data)
        hooks.emit(hooks.Event(hooks.EventKind.ASSIGNED, self.instance, assignment))

    def _sync_timers(self) -> None:
        waiting = {t.id: t for t in self.runner.waiting_timers()}
        pending = {t.task_id: t for t in self.instance.timers.filter(fired_at__isnull=True, cancelled_at__isnull=True)}
        for task_id, row in pending.items():
            if task_id not in waiting:
                row.cancelled_at = self.now
                row.save(update_fields=["cancelled_at"])
        for task_id, timer in waiting.items():
            if task_id in pending or self.instance.timers.filter(task_id=task_id).exists():
                continue
            assignment = None
            if timer.attached_to:
                assignment = self.instance.assignments.filter(task_id=timer.attached_to).first()
            Timer.objects.create(
                instance=self.instance,
                task_id=task_id,
                key=timer.key,
                assignment=assignment,
                due_at=timer.fire_at,
                properties=timer.properties or {},
            )

    def finish(self, outcome: str, data: dict[str, Any] | None = None) -> None:
        self._cancel()
        plain = hooks.plain_tasks() if self.model.has_plain_tasks else None
        if plain is not None:  # only such steps make tasks the instance waits for
            plain.close(self.instance, self.now)
        if self.model.timers:  # only then can the instance have timer rows
            self.instance.timers.filter(fired_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=self.now)
        self.instance.end(outcome, self.now)
        event = HistoryEvent.STOPPED if outcome == Outcome.STOPPED else HistoryEvent.FINISHED
        history(self.instance, event, actor=self.actor, at=self.now, data={"outcome": outcome, **(data or {})})
        hooks.emit(hooks.Event(hooks.EventKind.FINISHED, self.instance, actor=self.actor, data={"outcome": outcome}))

    def _cancel(self, task_ids: list[str] | None = None) -> None:
        """Cancel the instance's open assignments (only those of ``task_ids`` when given)."""
        table = rows.table(Assignment)
        sql = (
            f"SELECT {rows.columns(Assignment, 'a')} FROM {table} a "
            f"WHERE a.{qn('instance_id')} = %s AND a.{qn('status')} = %s"
        )
        params: list[Any] = [self.instance.pk, AssignmentStatus.OPEN.value]
        if task_ids is not None:
            sql += f" AND a.{qn('task_id')} IN ({', '.join(['%s'] * len(task_ids))})"
            params.extend(task_ids)
        for row in rows.fetch(sql, params):
            assignment = rows.build(Assignment, row)
            assignment.status = AssignmentStatus.CANCELLED
            assignment.completed_at = self.now
            rows.update(assignment, ("status", "completed_at"))
            history(self.instance, HistoryEvent.CANCELLED, assignment=assignment, key=assignment.key, at=self.now)

    def save(self) -> None:
        self.instance.state = self.runner.dumps()
        self.instance.variables = jsonable(self.runner.variables)
        self.instance.revision += 1
        if self.instance.pk:  # Instance.save has no logic of its own
            rows.update(
                self.instance, ("state", "variables", "revision", "status", "outcome", "finished_at", "title")
            )


# --------------------------------------------------------------------------- locking


def lock_instance(instance_id: int) -> Instance:
    instance = _locked_instance(f"i.{qn('id')} = %s", instance_id)
    if instance is None:
        raise NotFound(_("Процесс не найден."))
    return instance


def try_lock_instance_of_timer(timer_id: int) -> Instance | None:
    """The instance of the timer, locked for this transaction, or ``None`` when another transaction
    holds it (``SKIP LOCKED`` on PostgreSQL: a worker passes over it instead of queueing behind
    another worker or a web request; SQLite has one writer at a time, so it never is)."""
    subquery = f"(SELECT {qn('instance_id')} FROM {rows.table(Timer)} WHERE {qn('id')} = %s)"
    return _locked_instance(f"i.{qn('id')} = {subquery}", timer_id, skip_locked=True)


def lock_assignment(assignment_id: int, actor: Employee | None = None) -> tuple[Assignment, Instance]:
    """Lock the assignment's instance (the unit of serialisation), then read the assignment.

    Two queries on purpose: PostgreSQL re-reads only the locked row after waiting for a lock, so an
    assignment read in the same statement could be the stale, still-open version another request
    has just completed. Read after the lock, it is the committed one. ``actor``, when it is the
    assignee (the usual case), stands in for the assignee row instead of a join.
    """
    table = rows.table(Assignment)
    subquery = f"(SELECT {qn('instance_id')} FROM {table} WHERE {qn('id')} = %s)"
    instance = _locked_instance(f"i.{qn('id')} = {subquery}", assignment_id)
    found = (
        rows.fetch(f"SELECT {rows.columns(Assignment, 'a')} FROM {table} a WHERE a.{qn('id')} = %s", [assignment_id])
        if instance is not None
        else None
    )
    if not found:
        raise NotFound(_("Задание не найдено."))
    assignment = rows.build(Assignment, found[0])
    assignment.instance = instance
    if actor is not None and actor.pk == assignment.assignee_id:
        assignment.assignee = actor
    return assignment, instance


def _locked_instance(where: str, param: int, *, skip_locked: bool = False) -> Instance | None:
    """The instance row (alias ``i`` in ``where``) locked for this transaction (``SELECT ... FOR
    UPDATE`` on PostgreSQL; SQLite takes its write lock at ``BEGIN IMMEDIATE``), with its version's
    checksum for :func:`model_of`; with ``skip_locked``, ``None`` if another transaction holds it.

    The version (``instance.process``) and the starter are then loaded only if something asks.
    """
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else " FOR UPDATE"
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            lock += " SKIP LOCKED"
    found = rows.fetch(
        f"SELECT {rows.columns(Instance, 'i')}, v.{qn('checksum')} FROM {rows.table(Instance)} i "
        f"INNER JOIN {rows.table(ProcessVersion)} v ON v.{qn('id')} = i.{qn('process_id')} "
        f"WHERE {where}{lock}",
        [param],
    )
    if not found:
        return None
    instance = rows.build(Instance, found[0])
    instance.process_checksum = found[0][rows.width(Instance)]
    return instance


def model_of(instance: Instance) -> ProcessModel:
    """The instance's process model: from the cache by (version, checksum) without loading the version."""
    checksum = getattr(instance, "process_checksum", None)
    if checksum is not None:
        model = cached_model(instance.process_id, checksum)
        if model is not None:
            return model
    return model_for(instance.process)


def claim(queryset: Any) -> Any:
    """Lock one row, skipping rows another worker holds (PostgreSQL); SQLite serialises writers."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True).first()
    return queryset.first()


# --------------------------------------------------------------------------- history


def history(
    instance: Instance,
    event: str,
    *,
    actor: Employee | None = None,
    assignment: Assignment | None = None,
    key: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> History:
    entry = History(
        instance=instance,
        event=event,
        actor=actor,
        assignment=assignment,
        key=key,
        data=jsonable(data or {}),
        at=at or clock.now(),
    )
    batch = _history_batch.get()
    if batch is None:
        entry.save()
    else:
        batch.append(entry)
    return entry


_history_batch: contextvars.ContextVar[list[History] | None] = contextvars.ContextVar("history_batch", default=None)


@contextlib.contextmanager
def batched_writes() -> Iterator[None]:
    """Collect the history entries and events of one step: the entries are inserted at its end with
    one statement, then the listeners get the events (their rows may refer to the step's rows).

    Used inside the step's transaction: if the step fails, nothing was written, as before.
    """
    token = _history_batch.set([])
    try:
        with hooks.collecting_events() as dispatch:
            yield
            rows.insert(_history_batch.get() or [], returning=False)
            dispatch()
    finally:
        _history_batch.reset(token)


def _render_title(template: str, variables: dict[str, Any]) -> str:
    try:
        return expressions.render(template, variables)
    except expressions.ExpressionError:
        return template


def jsonable(value: Any) -> Any:
    """What the JSON columns store: dates as ISO strings, nothing a JSON reader could not read back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
