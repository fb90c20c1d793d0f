# ruff: noqa: S608 - the few SQL statements join model table/column names; every value is a parameter
"""The engine's service functions: start, complete, delegate, stop, fire what is due.

Each runs in one database transaction that locks the instance row, loads the workflow state,
advances it, and writes the new state together with the assignments that appeared or went away, the
timers, the history and the notifications (whose e-mails the worker sends after the commit). A crash
at any point leaves the old state or the new one. Two people completing parallel assignments of one
instance at the same moment both succeed, one after the other, because each waits for the row lock
and then works on the state the other committed.

Permission and input are checked first (``check`` then ``do``, as in Zulip's actions); pages and the
API call these functions and nothing else.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from engine import access, clock, expressions, forms, rows, workcal
from engine.bpmn import ProcessModel, Runner
from engine.definitions import cached_model, model_for
from engine.hooks import FORM_VALIDATORS, SERVICE_HOOKS, FormContext, ServiceContext
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
    Instance,
    InstanceStatus,
    Outcome,
    ProcessDefinition,
    ProcessVersion,
    Timer,
)
from engine.rows import qn
from notify.models import Kind, Notification, OutboxEmail
from notify.services import collected, notify
from org import directory
from org.models import Employee

log = logging.getLogger(__name__)


class EngineError(Exception):
    """A refusal the caller shows to a person; ``status`` is the HTTP status the API answers."""

    status = 400

    def __init__(self, message: str = "", errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotAllowed(EngineError):
    status = 403


class NotFound(EngineError):
    status = 404


class Conflict(EngineError):
    status = 409


class InvalidInput(EngineError):
    status = 400

    def __init__(self, errors: dict[str, list[str]], warnings: dict[str, list[str]] | None = None) -> None:
        super().__init__(_("Проверьте введённые данные."), errors)
        self.warnings = warnings or {}


ASSIGNEE_FUNCTIONS = ("role", "manager_of", "employee", "performer")


# --------------------------------------------------------------------------- start


def start(key: str, *, by: Any = None, variables: dict[str, Any] | None = None, scheduled: bool = False) -> Instance:
    """Start the current version of a process. ``by`` is the user (None for the schedule)."""
    definition = _definition(key)
    if definition is None:
        raise NotFound(_("Нет такого процесса: %(key)s") % {"key": key})
    starter = access.employee_of(by) if by is not None else None
    if not scheduled and not access.may_start(by, definition):
        raise NotAllowed(_("Вы не можете запускать процесс «%(name)s».") % {"name": definition.name})
    version = definition.current
    model = model_for(version)
    variables = dict(variables or {})
    unique_by = model.properties.get("unique_by")
    unique_value = None
    if unique_by == "quarter" and not variables.get("quarter") and model.properties.get("schedule_quarter"):
        # A manual start without a quarter runs for the quarter the schedule would pick today.
        from engine.scheduling import quarter_for

        variables["quarter"] = quarter_for(model.properties["schedule_quarter"], clock.now())
    if unique_by:
        unique_value = str(variables.get(unique_by) or "")
        checker = _UNIQUE_CHECKS.get(unique_by)
        if checker is not None:
            error = checker(unique_value)
            if error:
                raise InvalidInput({unique_by: [error]})
        elif not unique_value:
            raise InvalidInput({unique_by: [_("Обязательное поле")]})
    now = clock.now()
    # Who started is the engine's fact, never the caller's: a start variable cannot claim it.
    variables.pop("starter", None)
    if starter is not None:
        variables["starter"] = starter.username
    try:
        with transaction.atomic(), _batched_writes():
            runner = Runner.start(model, variables)
            instance = Instance(
                process=version,
                process_key=definition.key,
                title=_instance_title(model, variables),
                state="{}",
                variables={},
                unique_value=unique_value or None,
                started_by=starter,
                started_at=now,
            )
            rows.insert([instance])
            _history(instance, HistoryEvent.STARTED, actor=starter, data={"variables": variables}, at=now)
            step = _Step(instance=instance, model=model, runner=runner, actor=starter, now=now)
            step.advance()
            step.save()
    except IntegrityError:
        if unique_value and Instance.objects.filter(process_key=key, unique_value=unique_value).exists():
            raise Conflict(
                _("Процесс «%(name)s» за %(value)s уже запущен.") % {"name": definition.name, "value": unique_value}
            ) from None
        raise
    return instance


def _definition(key: str) -> ProcessDefinition | None:
    """The process with its current version (``None`` if there is none), in one plain statement.

    The version's XML is deferred: :func:`model_for` reads it only when the model is not cached yet.
    """
    defer = ("xml",)
    found = rows.fetch(
        f"SELECT {rows.columns(ProcessDefinition, 'd')}, {rows.columns(ProcessVersion, 'v', defer)} "
        f"FROM {rows.table(ProcessDefinition)} d "
        f"INNER JOIN {rows.table(ProcessVersion)} v ON v.{qn('id')} = d.{qn('current_id')} "
        f"WHERE d.{qn('key')} = %s",
        [key],
    )
    if not found:
        return None
    definition = rows.build(ProcessDefinition, found[0])
    definition.current = rows.build(ProcessVersion, found[0], rows.width(ProcessDefinition), defer)
    return definition


def _check_quarter(value: str) -> str | None:
    from engine.schedule import parse_quarter

    try:
        parse_quarter(value)
    except ValueError:
        return _("Квартал указывается так: 2027-Q1")
    return None


_UNIQUE_CHECKS = {"quarter": _check_quarter}


def _instance_title(model: ProcessModel, variables: dict[str, Any]) -> str:
    template = model.properties.get("title")
    if template:
        try:
            return expressions.render(template, variables)[:300]
        except expressions.ExpressionError:
            pass
    return model.name


# --------------------------------------------------------------------------- complete, delegate, stop


def complete(assignment_id: int, *, by: Any, data: dict[str, Any], confirm_warnings: bool = True) -> Assignment:
    """Complete an open assignment with form data.

    Refusals: ``NotAllowed`` (not the assignee, their deputy or an administrator), ``Conflict``
    (no longer open: the same request twice completes it once), ``InvalidInput`` (field errors;
    nothing changes but a "refused" history note that the figures count).
    """
    actor = access.employee_of(by)
    refused: InvalidInput | None = None
    with transaction.atomic(), _batched_writes():
        assignment, instance = _lock_assignment(assignment_id, actor)
        if not access.may_complete(by, assignment):
            raise NotAllowed(_("Это задание назначено другому сотруднику."))
        if not assignment.is_open:
            raise Conflict(_("Задание уже выполнено или отменено."))
        model = _model_of(instance)
        task = model.user_tasks[assignment.key]
        cleaned, errors, warnings = _validate_form(task, data, instance, actor)
        if warnings and not confirm_warnings and not errors:
            raise InvalidInput({}, warnings)
        if errors:
            _history(
                instance,
                HistoryEvent.REFUSED,
                actor=actor,
                assignment=assignment,
                key=assignment.key,
                data={"errors": errors},
            )
            refused = InvalidInput(errors, warnings)
        else:
            now = clock.now()
            runner = Runner.load(model, instance.state)
            with clock.frozen(now):
                runner.complete(assignment.task_id, cleaned)
            assignment.status = AssignmentStatus.DONE
            assignment.completed_at = now
            assignment.completed_by = actor
            assignment.data = cleaned
            # The title (and so Assignment.save's title_search) does not change.
            rows.update(assignment, ("status", "completed_at", "completed_by", "data"))
            _history(
                instance,
                HistoryEvent.COMPLETED,
                actor=actor,
                assignment=assignment,
                key=assignment.key,
                data=cleaned,
                at=now,
            )
            step = _Step(instance=instance, model=model, runner=runner, actor=actor, now=now)
            step.advance()
            step.save()
    if refused is not None:
        raise refused
    return assignment


def _validate_form(task: Any, data: dict[str, Any], instance: Instance, actor: Employee | None):
    def employee_exists(username: str) -> bool:
        return directory.employee_by_username(str(username)) is not None

    cleaned, errors = forms.validate(
        task.form, data or {}, employee_exists=employee_exists, variables=instance.variables
    )
    warnings: dict[str, list[str]] = {}
    validator = FORM_VALIDATORS.get(task.validator) if task.validator else None
    if validator is not None:
        context = FormContext(instance=instance, variables=instance.variables, actor=actor, task_key=task.key)
        extra_cleaned, extra_errors, warnings = validator({**(data or {}), **cleaned}, context)
        cleaned = {**cleaned, **extra_cleaned}
        for field_id, messages in extra_errors.items():
            errors.setdefault(field_id, [])
            errors[field_id].extend(m for m in messages if m not in errors[field_id])
    return cleaned, errors, warnings


def delegate(assignment_id: int, *, by: Any, to: str, comment: str = "") -> Assignment:
    """Hand an open assignment to a colleague, with a comment; both are told."""
    actor = access.employee_of(by)
    with transaction.atomic():
        assignment, instance = _lock_assignment(assignment_id)
        if not access.may_complete(by, assignment):
            raise NotAllowed(_("Передать задание может только его исполнитель или администратор."))
        if not assignment.is_open:
            raise Conflict(_("Задание уже выполнено или отменено."))
        target = directory.employee_by_username(to or "")
        if target is None:
            raise InvalidInput({"to": [_("Сотрудник не найден или неактивен")]})
        if target.pk == assignment.assignee_id:
            raise InvalidInput({"to": [_("Задание уже назначено этому сотруднику")]})
        _move(assignment, instance, target, actor, HistoryEvent.DELEGATED, comment=comment)
    return assignment


def stop(instance_id: int, *, by: Any, reason: str = "") -> Instance:
    """Stop a running instance: open assignments cancelled, outcome ``stopped``."""
    actor = access.employee_of(by)
    with transaction.atomic():
        instance = _lock_instance(instance_id)
        if not access.may_stop(by, instance):
            raise NotAllowed(_("Остановить процесс может только тот, кто его запустил, или администратор."))
        if not instance.running:
            raise Conflict(_("Процесс уже завершён."))
        now = clock.now()
        model = _model_of(instance)
        runner = Runner.load(model, instance.state)
        runner.cancel()
        step = _Step(instance=instance, model=model, runner=runner, actor=actor, now=now)
        step.finish(Outcome.STOPPED, {"reason": reason})
        step.save()
    return instance


def complete_process_task(task: Any, *, actor: Employee | None) -> None:
    """A plain task (задача) that a process step waits for was completed: move the process on.

    Called by the tasks app inside its own transaction, after it marked the task done.
    """
    instance = _lock_instance(task.instance_id)
    if not instance.running:
        return
    model = _model_of(instance)
    runner = Runner.load(model, instance.state)
    ready = {t.id for t in runner.ready_user_tasks()}
    if task.process_task_id not in ready:
        return
    now = clock.now()
    with clock.frozen(now):
        runner.complete(task.process_task_id, {})
    _history(instance, HistoryEvent.COMPLETED, actor=actor, data={"task": task.pk, "title": task.title}, at=now)
    step = _Step(instance=instance, model=model, runner=runner, actor=actor, now=now)
    step.advance()
    step.save()


# --------------------------------------------------------------------------- deactivation


def reassign_open_work(employee: Employee, *, by: Employee | None = None) -> int:
    """Move an inactive employee's open assignments and tasks to their line manager.

    Called inside the deactivation transaction; returns how many assignments moved. Without a line
    manager, the work goes to an administrator's employee record, so it is never left ownerless.
    """
    target = directory.line_manager(employee) or _fallback_owner(employee)
    moved = 0
    for assignment_id in Assignment.objects.filter(assignee=employee, status=AssignmentStatus.OPEN).values_list(
        "pk", flat=True
    ):
        assignment, instance = _lock_assignment(assignment_id)
        if assignment.is_open and target is not None:
            _move(
                assignment,
                instance,
                target,
                by,
                HistoryEvent.REASSIGNED,
                comment=_("Сотрудник %(name)s деактивирован") % {"name": employee.full_name},
            )
            moved += 1
    from tasks.models import Task, TaskStatus

    if target is not None:
        Task.objects.filter(responsible=employee, status=TaskStatus.OPEN).update(responsible=target)
    return moved


def _fallback_owner(employee: Employee) -> Employee | None:
    return (
        Employee.objects.filter(is_active=True, user__is_active=True, user__is_staff=True)
        .exclude(pk=employee.pk)
        .order_by("pk")
        .first()
    )


def _move(
    assignment: Assignment,
    instance: Instance,
    target: Employee,
    actor: Employee | None,
    event: str,
    *,
    comment: str = "",
) -> None:
    previous = assignment.assignee
    now = clock.now()
    assignment.assignee = target
    assignment.save(update_fields=["assignee"])
    _history(
        instance,
        event,
        actor=actor,
        assignment=assignment,
        key=assignment.key,
        at=now,
        data={"from": previous.username, "to": target.username, "comment": comment},
    )
    url = assignment_url(assignment)
    text_new = _("Вам передано задание «%(title)s»") % {"title": assignment.title}
    text_old = _("Задание «%(title)s» передано: %(name)s") % {"title": assignment.title, "name": target.full_name}
    if comment:
        text_new += f". {comment}"
    notify(target, Kind.REASSIGNED, text_new, url=url, assignment=assignment, instance=instance)
    notify(previous, Kind.REASSIGNED, text_old, url=url, assignment=assignment, instance=instance)
    instance.revision += 1
    instance.save(update_fields=["revision"])


# --------------------------------------------------------------------------- timers, deadlines, schedules


@dataclass
class Fired:
    timers: int = 0
    overdue: int = 0
    started: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.timers or self.overdue or self.started)


def fire_due(now: datetime | None = None, *, limit: int = 1000) -> Fired:
    """Fire every timer, deadline and scheduled start due up to ``now``; each exactly once.

    Safe to run from several workers at once: each timer is claimed under its instance's row lock
    and re-checked, each deadline notice by a conditional UPDATE, each scheduled period by a unique
    key. One bad row is logged and skipped; it never stops the sweep.
    """
    now = now or clock.now()
    fired = Fired()
    with clock.frozen(now):
        for timer_id in _due_timer_ids(now, limit):
            try:
                if _fire_timer(timer_id, now):
                    fired.timers += 1
            except Exception as error:  # one bad row must not stop the sweep
                log.exception("timer %s failed", timer_id)
                fired.errors.append(f"timer {timer_id}: {error}")
        for assignment_id in _due_deadline_ids(now, limit):
            try:
                if _fire_deadline(assignment_id, now):
                    fired.overdue += 1
            except Exception as error:
                log.exception("deadline of assignment %s failed", assignment_id)
                fired.errors.append(f"assignment {assignment_id}: {error}")
        from engine.scheduling import start_due_periods

        fired.started, errors = start_due_periods(now)
        fired.errors.extend(errors)
    return fired


def _due_timer_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _fire_timer(timer_id: int, now: datetime) -> bool:
    with transaction.atomic():
        timer = _claim(Timer.objects.filter(pk=timer_id, fired_at__isnull=True, cancelled_at__isnull=True))
        if timer is None:
            return False
        instance = _lock_instance(timer.instance_id)
        timer.refresh_from_db()
        if not timer.pending or not instance.running:
            return False
        model = _model_of(instance)
        runner = Runner.load(model, instance.state)
        timer.fired_at = now
        timer.save(update_fields=["fired_at"])
        assignment = timer.assignment
        kind = (timer.properties or {}).get("notify")
        _history(
            instance,
            HistoryEvent.REMINDER if kind == "reminder" else HistoryEvent.TIMER,
            assignment=assignment,
            key=timer.key,
            at=now,
            data={"timer": timer.key},
        )
        if kind == "reminder" and assignment is not None and assignment.is_open:
            notify(
                assignment.assignee,
                Kind.REMINDER,
                _("Напоминание: задание «%(title)s» ждёт выполнения, срок %(due)s")
                % {"title": assignment.title, "due": _local(assignment.due_at)},
                url=assignment_url(assignment),
                assignment=assignment,
                instance=instance,
            )
        step = _Step(instance=instance, model=model, runner=runner, actor=None, now=now)
        step.advance()
        step.save()
        return True


def _due_deadline_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Assignment.objects.filter(status=AssignmentStatus.OPEN, overdue_notified_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _fire_deadline(assignment_id: int, now: datetime) -> bool:
    """The common deadline rule: one overdue notice to the assignee and one to their manager."""
    with transaction.atomic():
        claimed = Assignment.objects.filter(
            pk=assignment_id, status=AssignmentStatus.OPEN, overdue_notified_at__isnull=True, due_at__lte=now
        ).update(overdue_notified_at=now)
        if claimed != 1:
            return False
        assignment = Assignment.objects.select_related("assignee__user", "instance").get(pk=assignment_id)
        instance = assignment.instance
        url = assignment_url(assignment)
        text = _("Просрочено задание «%(title)s» (срок был %(due)s)") % {
            "title": assignment.title,
            "due": _local(assignment.due_at),
        }
        notify(assignment.assignee, Kind.OVERDUE, text, url=url, assignment=assignment, instance=instance)
        manager = directory.line_manager(assignment.assignee)
        if manager is not None:
            notify(
                manager,
                Kind.OVERDUE,
                _("Просрочено задание «%(title)s» сотрудника %(name)s (срок был %(due)s)")
                % {"title": assignment.title, "name": assignment.assignee.full_name, "due": _local(assignment.due_at)},
                url=url,
                assignment=assignment,
                instance=instance,
            )
        _history(
            instance,
            HistoryEvent.OVERDUE,
            assignment=assignment,
            key=assignment.key,
            at=now,
            data={"due_at": assignment.due_at.isoformat()},
        )
        return True


# --------------------------------------------------------------------------- the step


@dataclass
class _Step:
    """One advance of one locked instance: runs the engine, then writes what changed."""

    instance: Instance
    model: ProcessModel
    runner: Runner
    actor: Employee | None
    now: datetime

    def advance(self) -> None:
        with clock.frozen(self.now):  # every time Spiff computes in this step is the step's instant
            self.runner.advance(call_service=self._call_service)
        if self.runner.finished and self.instance.running:
            self.finish(self.runner.outcome or Outcome.COMPLETED)
        else:
            self.sync()

    def _call_service(self, topic: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        hook = SERVICE_HOOKS[topic]
        context = ServiceContext(instance=self.instance, variables=variables, topic=topic)
        result = hook(context)
        _history(self.instance, HistoryEvent.SERVICE, key=topic, at=self.now, data=_jsonable(result or {}))
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
        waiting_tasks: set[str] = set()
        if self.model.has_plain_tasks:
            from tasks.models import Task

            waiting_tasks = set(Task.objects.filter(instance=self.instance).values_list("process_task_id", flat=True))
        variables = self.runner.variables
        for ready_task in ready:
            if ready_task.id in known or ready_task.id in waiting_tasks:
                continue  # already open (or completed in this very step: the runner shows it until advanced)
            self._open(ready_task, variables)
        if self.model.timers:
            self._sync_timers()

    def _open(self, ready_task: Any, variables: dict[str, Any]) -> None:
        task = self.model.user_tasks[ready_task.key]
        assignee = self._resolve_assignee(task, variables)
        title = _render_title(task.title, variables) or task.key
        due_at = None
        if task.due:
            due_at = workcal.add_duration(self.now, task.due, working_days=task.due_calendar == "working")
        if task.kind == "task":
            from tasks.services import create_process_task

            create_process_task(
                instance=self.instance,
                process_task_id=ready_task.id,
                title=title,
                description=task.properties.get("description", ""),
                responsible=assignee,
                deadline=due_at,
                now=self.now,
            )
            _history(
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
            created_at=self.now,
            due_at=due_at,
        )
        assignment.derive_fields()
        rows.insert([assignment])
        _history(
            self.instance,
            HistoryEvent.ASSIGNED,
            assignment=assignment,
            key=task.key,
            at=self.now,
            data={"assignee": assignee.username},
        )
        text = _("Новое задание: «%(title)s»") % {"title": assignment.title}
        if due_at:
            text += _(", срок %(due)s") % {"due": _local(due_at)}
        notify(
            assignee, Kind.ASSIGNED, text, url=assignment_url(assignment), assignment=assignment, instance=self.instance
        )

    def _resolve_assignee(self, task: Any, variables: dict[str, Any]) -> Employee:
        resolved: dict[str, Employee] = {}
        functions = _assignee_functions(self.instance, resolved)
        try:
            username = expressions.evaluate(task.assignee, variables, functions)
        except expressions.ExpressionError as error:
            raise EngineError(
                _("Не удалось определить исполнителя шага «%(key)s»: %(error)s") % {"key": task.key, "error": error}
            ) from None
        employee = resolved.get(str(username)) if username else None
        if employee is None and username:
            employee = directory.employee_by_username(str(username))
        if employee is None:
            raise EngineError(_("Не удалось определить исполнителя шага «%(key)s»") % {"key": task.key})
        return employee

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
        from tasks.models import Task, TaskStatus

        self._cancel()
        if self.model.has_plain_tasks:  # only such steps make tasks with a process_task_id
            Task.objects.filter(instance=self.instance, status=TaskStatus.OPEN).exclude(process_task_id="").update(
                status=TaskStatus.DONE, completed_at=self.now
            )
        if self.model.timers:  # only then can the instance have timer rows
            self.instance.timers.filter(fired_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=self.now)
        self.instance.status = InstanceStatus.FINISHED
        self.instance.outcome = outcome
        self.instance.finished_at = self.now
        event = HistoryEvent.STOPPED if outcome == Outcome.STOPPED else HistoryEvent.FINISHED
        _history(self.instance, event, actor=self.actor, at=self.now, data={"outcome": outcome, **(data or {})})
        starter = _employee(self.instance.started_by_id) if self.instance.started_by_id else None
        if starter is not None:
            label = Outcome(outcome).label if outcome in Outcome.values else outcome
            notify(
                starter,
                Kind.PROCESS_FINISHED,
                _("Процесс «%(title)s» завершён: %(outcome)s") % {"title": self.instance.title, "outcome": label},
                url=instance_url(self.instance),
                instance=self.instance,
            )

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
            _history(self.instance, HistoryEvent.CANCELLED, assignment=assignment, key=assignment.key, at=self.now)

    def save(self) -> None:
        self.instance.state = self.runner.dumps()
        self.instance.variables = _jsonable(self.runner.variables)
        self.instance.revision += 1
        if self.instance.pk:  # Instance.save has no logic of its own
            rows.update(
                self.instance, ("state", "variables", "revision", "status", "outcome", "finished_at", "title")
            )


def _assignee_functions(instance: Instance, resolved: dict[str, Employee] | None = None) -> dict[str, Any]:
    """The assignee functions of the BPMN dialect. They return usernames (expressions see only plain
    values); the Employees they found are left in ``resolved`` so the caller need not look them up."""
    resolved = {} if resolved is None else resolved

    def found(employee: Employee | None) -> str | None:
        if employee is None:
            return None
        resolved[employee.username] = employee
        return employee.username

    def role(code: str) -> str | None:
        """The holder of a role with the fewest open assignments (ties: the longest-serving record)."""
        return found(_least_busy_holder(str(code)))

    def _active_or_manager(username: Any) -> str | None:
        person = directory.employee_by_username(str(username), active_only=False) if username else None
        if person is None:
            return None
        if person.is_active:
            return found(person)
        return found(directory.line_manager(person))

    def manager_of(username: Any) -> str | None:
        person = directory.employee_by_username(str(username), active_only=False) if username else None
        return found(directory.line_manager(person) if person else None)

    def employee(username: Any) -> str | None:
        return _active_or_manager(username)

    def performer(key: str) -> str | None:
        done = (
            instance.assignments.filter(key=str(key), status=AssignmentStatus.DONE)
            .select_related("completed_by__user")
            .order_by("-completed_at", "-pk")
            .first()
        )
        if done is None or done.completed_by is None:
            return None
        return _active_or_manager(done.completed_by.username)

    return {"role": role, "manager_of": manager_of, "employee": employee, "performer": performer}


def _employees(where: str, params: list[Any], order: str = "") -> list[Employee]:
    """Employees (alias ``e``, their login ``u``) matching ``where``, each with the login loaded.

    Plain SQL (``engine.rows``): the engine asks at most steps who someone is, and the ORM spent
    three times longer composing these statements than the database running them.
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    found = rows.fetch(
        f"SELECT {rows.columns(Employee, 'e')}, {rows.columns(user_model, 'u')} "
        f"FROM {rows.table(Employee)} e "
        f"INNER JOIN {rows.table(user_model)} u ON u.{qn('id')} = e.{qn('user_id')} "
        f"WHERE {where}{order}",
        params,
    )
    result = []
    for row in found:
        employee = rows.build(Employee, row)
        employee.user = rows.build(user_model, row, rows.width(Employee))
        result.append(employee)
    return result


def _employee(pk: int) -> Employee | None:
    found = _employees(f"e.{qn('id')} = %s", [pk])
    return found[0] if found else None


def _least_busy_holder(code: str) -> Employee | None:
    """Of ``directory.role_holders(code)`` (active people, active logins, holding the role), the one
    with the fewest open assignments, ties to the lowest pk."""
    from org.models import Role

    through = Employee.roles.through
    found = _employees(
        f"e.{qn('is_active')} = %s AND u.{qn('is_active')} = %s AND e.{qn('id')} IN ("
        f"SELECT er.{qn(through._meta.get_field('employee').column)} FROM {rows.table(through)} er "
        f"INNER JOIN {rows.table(Role)} r ON r.{qn('id')} = er.{qn(through._meta.get_field('role').column)} "
        f"WHERE r.{qn('code')} = %s)",
        [True, True, code, AssignmentStatus.OPEN.value],
        order=(
            f" ORDER BY (SELECT COUNT(*) FROM {rows.table(Assignment)} a "
            f"WHERE a.{qn('assignee_id')} = e.{qn('id')} AND a.{qn('status')} = %s), e.{qn('id')} LIMIT 1"
        ),
    )
    return found[0] if found else None


# --------------------------------------------------------------------------- helpers


def _lock_instance(instance_id: int) -> Instance:
    instance = _locked_instance(f"i.{qn('id')} = %s", instance_id)
    if instance is None:
        raise NotFound(_("Процесс не найден."))
    return instance


def _lock_assignment(assignment_id: int, actor: Employee | None = None) -> tuple[Assignment, Instance]:
    """Lock the assignment's instance (the unit of serialisation), then read the assignment.

    Two queries on purpose: PostgreSQL re-reads only the locked row after waiting for a lock, so an
    assignment read in the same statement could be the stale, still-open version another request
    has just completed. Read after the lock, it is the committed one. ``actor``, when it is the
    assignee (the usual case), stands in for the assignee row instead of a join.
    """
    table = rows.table(Assignment)
    subquery = f"(SELECT {qn('instance_id')} FROM {table} WHERE {qn('id')} = %s)"
    instance = _locked_instance(f"i.{qn('id')} = {subquery}", assignment_id)
    if instance is None:
        raise NotFound(_("Задание не найдено."))
    found = rows.fetch(
        f"SELECT {rows.columns(Assignment, 'a')} FROM {table} a WHERE a.{qn('id')} = %s",
        [assignment_id],
    )
    if not found:
        raise NotFound(_("Задание не найдено."))
    assignment = rows.build(Assignment, found[0])
    assignment.instance = instance
    if actor is not None and actor.pk == assignment.assignee_id:
        assignment.assignee = actor
    return assignment, instance


def _locked_instance(where: str, param: int) -> Instance | None:
    """The instance row (alias ``i`` in ``where``) locked for this transaction (``SELECT ... FOR
    UPDATE`` on PostgreSQL; SQLite takes its write lock at ``BEGIN IMMEDIATE``), with its version's
    checksum for :func:`_model_of`.

    Plain SQL (``engine.rows``): the ORM's compilation of this query (a join, a lock clause) cost
    more than the whole rest of a step's reads. The version (``instance.process``) and the starter
    are then loaded only if something asks.
    """
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else " FOR UPDATE"
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


def _model_of(instance: Instance) -> ProcessModel:
    """The instance's process model: from the cache by (version, checksum) without loading the version."""
    checksum = getattr(instance, "process_checksum", None)
    if checksum is not None:
        model = cached_model(instance.process_id, checksum)
        if model is not None:
            return model
    return model_for(instance.process)


def _claim(queryset: Any) -> Any:
    """Lock one row, skipping rows another worker holds (PostgreSQL); SQLite serialises writers."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True).first()
    return queryset.first()


def _history(
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
        data=_jsonable(data or {}),
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
def _batched_writes() -> Iterator[None]:
    """Collect the history entries and notifications of one step and insert them at its end, one
    statement per table, instead of one or two statements for each.

    Used inside the step's transaction: if the step fails, nothing was written, as before.
    """
    token = _history_batch.set([])
    try:
        with collected(_write_notifications):
            yield
        rows.insert(_history_batch.get() or [], returning=False)
    finally:
        _history_batch.reset(token)


def _write_notifications(notifications: list[Notification], emails: list[OutboxEmail]) -> None:
    rows.insert(notifications)  # first: the e-mails take their pks
    rows.insert(emails, returning=False)


def _render_title(template: str, variables: dict[str, Any]) -> str:
    try:
        return expressions.render(template, variables)
    except expressions.ExpressionError:
        return template


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _jsonable(value: Any) -> Any:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def assignment_url(assignment: Assignment) -> str:
    return f"/assignments/{assignment.pk}/"


def instance_url(instance: Instance) -> str:
    return f"/instances/{instance.pk}/"
