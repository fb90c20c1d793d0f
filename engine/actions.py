# ruff: noqa: S608 - the one SQL statement joins model table/column names; every value is a parameter
"""What people do with processes: start one, complete an assignment, delegate it, stop an instance.

Pages and the API call these functions and nothing else. Each checks permission and input first,
then changes data in one transaction under the instance's row lock (``engine.step``), and refuses
with the one error tree of ``base.errors``: ``NotFound`` (also for what the caller may not see),
``Forbidden``, ``Conflict`` (no longer possible: the same request twice acts once), ``Invalid``
(field errors; nothing changes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from base import clock, texts
from base.errors import Conflict, Forbidden, Invalid, NotFound
from engine import access, assignees, documents, expressions, forms, hooks, rows
from engine.bpmn import ProcessModel, Runner
from engine.definitions import model_for
from engine.models import (
    Assignment,
    AssignmentStatus,
    HistoryEvent,
    Instance,
    Outcome,
    ProcessDefinition,
    ProcessVersion,
)
from engine.rows import qn
from engine.step import Step, batched_writes, history, lock_assignment, lock_instance, model_of
from org import absences, directory
from org.access import employee_of
from org.models import Absence, Employee

# --------------------------------------------------------------------------- start


def start(key: str, *, by: Any = None, variables: dict[str, Any] | None = None, scheduled: bool = False) -> Instance:
    """Start the current version of a process. ``by`` is the user (None for the schedule)."""
    definition = _definition(key)
    if definition is None:
        raise NotFound(_("Нет такого процесса: %(key)s") % {"key": key})
    starter = employee_of(by) if by is not None else None
    if not scheduled and not access.may_start(by, definition):
        raise Forbidden(_("Вы не можете запускать процесс «%(name)s».") % {"name": definition.name})
    version = definition.current
    model = model_for(version)
    now = clock.now()
    variables = dict(variables or {})
    # Who started is the engine's fact, never the caller's: a start variable cannot claim it.
    variables.pop("starter", None)
    variables = _declared_start(model, variables)
    for name, value in unique_default(model.properties, now).items():
        variables[name] = variables.get(name) or value  # a manual start without one runs for today's
    unique_value = _unique_value(model, variables)
    if starter is not None:
        variables["starter"] = starter.username
    try:
        with transaction.atomic(), batched_writes():
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
            history(instance, HistoryEvent.STARTED, actor=starter, data={"variables": variables}, at=now)
            step = Step(instance=instance, model=model, runner=runner, actor=starter, now=now)
            step.advance()
            step.save()
    except IntegrityError:
        if unique_value and Instance.objects.filter(process_key=key, unique_value=unique_value).exists():
            raise Conflict(
                _("Процесс «%(name)s» за %(value)s уже запущен.") % {"name": definition.name, "value": unique_value}
            ) from None
        raise
    return instance


def unique_default(properties: dict[str, Any], moment: datetime, tz: str | None = None) -> dict[str, str]:
    """The start variable a start at ``moment`` takes by the process's ``unique_by`` rule when it is
    not given (the quarter a quarterly period runs for); empty when the rule has no default."""
    name = properties.get("unique_by")
    rule = hooks.UNIQUE_KEYS.get(name) if name else None
    value = rule.value_at(properties, moment, tz or settings.TIME_ZONE) if rule is not None else None
    return {name: value} if value else {}


def _declared_start(model: ProcessModel, variables: dict[str, Any]) -> dict[str, Any]:
    """Only the variables the process declares for a start, cleaned by their fields
    (``ProcessModel.start_variables``, ``forms.clean_start``); any other is refused by name."""
    cleaned, errors = forms.clean_start(
        model.start_variables(),
        variables,
        employee_exists=lambda username: directory.employee_by_username(str(username)) is not None,
    )
    if errors:
        raise Invalid(errors)
    return cleaned


def _unique_value(model: ProcessModel, variables: dict[str, Any]) -> str | None:
    name = model.properties.get("unique_by")
    if not name:
        return None
    value = str(variables.get(name) or "")
    rule = hooks.UNIQUE_KEYS.get(name)
    error = rule.check(value) if rule is not None else (None if value else _("Обязательное поле"))
    if error:
        raise Invalid({name: [error]})
    return value


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


def _instance_title(model: ProcessModel, variables: dict[str, Any]) -> str:
    template = model.properties.get("title")
    if template:
        try:
            return expressions.render(template, variables)[:300]
        except expressions.ExpressionError:
            pass
    return model.name


# --------------------------------------------------------------------------- complete


def complete(assignment_id: int, *, by: Any, data: dict[str, Any], confirm_warnings: bool = True) -> Assignment:
    """Complete an open assignment with form data.

    Refusals: ``Forbidden`` (not the assignee, their deputy or an administrator), ``Conflict``
    (no longer open: the same request twice completes it once), ``Invalid`` (field errors;
    nothing changes but a "refused" history note that the figures count).
    """
    actor = employee_of(by)
    refused: Invalid | None = None
    with transaction.atomic(), batched_writes():
        assignment, instance = lock_assignment(assignment_id, actor)
        if not access.may_complete(by, assignment):
            raise Forbidden(_("Это задание назначено другому сотруднику."))
        _require_open(assignment)
        model = model_of(instance)
        task = model.user_tasks[assignment.key]
        eyes = assignees.four_eyes(task, instance, model)
        if eyes is not None and eyes.excludes(actor):
            raise Forbidden(eyes.refusal(actor))
        cleaned, errors, warnings = _validate_form(task, data, instance, actor)
        if warnings and not confirm_warnings and not errors:
            raise Invalid({}, warnings)
        if errors:
            history(
                instance,
                HistoryEvent.REFUSED,
                actor=actor,
                assignment=assignment,
                key=assignment.key,
                data={"errors": errors},
            )
            refused = Invalid(errors, warnings)
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
            seen = _attach_documents(model, task, cleaned, instance, actor)
            history(
                instance,
                HistoryEvent.COMPLETED,
                actor=actor,
                assignment=assignment,
                key=assignment.key,
                data={**cleaned, documents.SEEN: seen} if seen else cleaned,
                at=now,
            )
            step = Step(instance=instance, model=model, runner=runner, actor=actor, now=now)
            step.advance()
            step.save()
    if refused is not None:
        raise refused
    return assignment


def _attach_documents(
    model: ProcessModel, task: Any, cleaned: dict[str, Any], instance: Instance, actor: Employee | None
) -> list[dict[str, Any]]:
    """The form's files become versions of the instance's documents; returns the current version of
    each document, which this completion saw (and, at an approval step, approved). A process whose
    forms take no file costs no query here."""
    if not any(forms.has_files(t.form) for t in model.user_tasks.values()):
        return []
    if actor is not None and forms.has_files(task.form):
        documents.attach_submitted(task.form, cleaned, instance, actor)
    return documents.snapshot(instance)


def _require_open(assignment: Assignment) -> None:
    if not assignment.is_open:
        raise Conflict(_("Задание уже выполнено или отменено."))


def _validate_form(
    task: Any, data: dict[str, Any], instance: Instance, actor: Employee | None
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    def employee_exists(username: str) -> bool:
        return directory.employee_by_username(str(username)) is not None

    cleaned, errors = forms.validate(
        task.form,
        data or {},
        employee_exists=employee_exists,
        variables=instance.variables,
        file_refusal=documents.refusal_for(instance, actor, task.form),
    )
    warnings: dict[str, list[str]] = {}
    validator = hooks.FORM_VALIDATORS.get(task.validator) if task.validator else None
    if validator is not None:
        context = hooks.FormContext(instance=instance, variables=instance.variables, actor=actor, task_key=task.key)
        extra_cleaned, extra_errors, warnings = validator({**(data or {}), **cleaned}, context)
        cleaned = {**cleaned, **extra_cleaned}
        for field_id, messages in extra_errors.items():
            errors.setdefault(field_id, [])
            errors[field_id].extend(m for m in messages if m not in errors[field_id])
    return cleaned, errors, warnings


def resume_after_task(instance_id: int, process_task_id: str, *, actor: Employee | None, data: dict[str, Any]) -> None:
    """A plain task (задача) that a process step waits for was completed: move the process on.

    Called by the tasks app inside its own transaction, after it marked the task done; ``data``
    (the task's id and title) goes into the history entry.
    """
    with batched_writes():
        instance = lock_instance(instance_id)
        if not instance.running:
            return
        model = model_of(instance)
        runner = Runner.load(model, instance.state)
        if process_task_id not in {t.id for t in runner.ready_user_tasks()}:
            return
        now = clock.now()
        with clock.frozen(now):
            runner.complete(process_task_id, {})
        history(instance, HistoryEvent.COMPLETED, actor=actor, data=data, at=now)
        step = Step(instance=instance, model=model, runner=runner, actor=actor, now=now)
        step.advance()
        step.save()


# --------------------------------------------------------------------------- delegate, reassign, stop


def delegate(assignment_id: int, *, by: Any, to: str, comment: str = "") -> Assignment:
    """Hand an open assignment to a colleague, with a comment; both are told."""
    _check_text("comment", comment)
    actor = employee_of(by)
    with transaction.atomic(), batched_writes():
        assignment, instance = lock_assignment(assignment_id)
        if not access.may_complete(by, assignment):
            raise Forbidden(_("Передать задание может только его исполнитель или администратор."))
        _require_open(assignment)
        target = directory.employee_by_username(to or "")
        if target is None:
            raise Invalid({"to": [_("Сотрудник не найден или неактивен")]})
        if target.pk == assignment.assignee_id:
            raise Invalid({"to": [_("Задание уже назначено этому сотруднику")]})
        model = model_of(instance)
        eyes = assignees.four_eyes(model.user_tasks[assignment.key], instance, model)
        if eyes is not None and eyes.excludes(target):
            raise Invalid({"to": [eyes.refusal(target)]})
        move(assignment, instance, target, actor, HistoryEvent.DELEGATED, comment=comment)
    return assignment


def reassign_open_work(employee: Employee, *, by: Employee | None = None) -> int:
    """Move an inactive employee's open assignments to their successor (``directory.successor``).

    Called inside the deactivation transaction; returns how many assignments moved.
    """
    successor = directory.successor(employee)
    if successor is None:
        return 0
    comment = _("Сотрудник %(name)s деактивирован") % {"name": employee.full_name}
    return _hand_over(employee, successor, by=by, comment=comment)


def hand_over_for_absence(absence: Absence) -> int:
    """An absence has started: the employee's open assignments go to whoever takes their work
    (``org.absences.taker``), each held instead of them, with a history entry and a ``reassigned``
    notice to both. Called by the start sweep inside the transaction that marks the absence
    handed over (``engine.sweeps``); returns how many moved."""
    employee = absence.employee
    target = absences.taker(employee, absences.local_day())
    if target.pk == employee.pk:
        return 0
    comment = _("%(name)s отсутствует (%(reason)s) с %(starts)s по %(ends)s") % {
        "name": employee.full_name,
        "reason": absence.get_reason_display(),
        "starts": absence.starts.strftime("%d.%m.%Y"),
        "ends": absence.ends.strftime("%d.%m.%Y"),
    }
    return _hand_over(employee, target, by=None, comment=comment, instead_of=employee)


def _hand_over(
    employee: Employee, target: Employee, *, by: Employee | None, comment: str, instead_of: Employee | None = None
) -> int:
    """Move each open assignment of ``employee`` to ``target`` under its instance's lock (an
    approval never to whose work it checks: then the nearest manager above who may take it)."""
    moved = 0
    for assignment_id in Assignment.objects.filter(assignee=employee, status=AssignmentStatus.OPEN).values_list(
        "pk", flat=True
    ):
        assignment, instance = lock_assignment(assignment_id)
        if not assignment.is_open:
            continue
        chosen = target
        model = model_of(instance)
        eyes = assignees.four_eyes(model.user_tasks[assignment.key], instance, model)
        if eyes is not None and eyes.excludes(chosen):
            chosen = assignees.approver_above(chosen, eyes) or chosen
        move(assignment, instance, chosen, by, HistoryEvent.REASSIGNED, comment=comment, instead_of=instead_of)
        moved += 1
    return moved


def move(
    assignment: Assignment,
    instance: Instance,
    target: Employee,
    actor: Employee | None,
    event: str,
    *,
    comment: str = "",
    instead_of: Employee | None = None,
) -> None:
    """Give an open assignment to ``target`` (inside the caller's locked transaction); both are told.

    ``instead_of`` marks it held for an absent employee (unless it is held for someone already);
    handed back to whom it was held for, the mark goes (a substitute delegating it back is how the
    absent employee gets it back).
    """
    previous = assignment.assignee
    assignment.assignee = target
    if instead_of is not None and assignment.instead_of_id is None:
        # Held for whom it was first held for: a substitute who goes away too passes it on, still
        # instead of the person it belongs to (who keeps seeing it).
        assignment.instead_of = instead_of
    if assignment.instead_of_id == target.pk:  # back with whom it was held for
        assignment.instead_of = None
    assignment.save(update_fields=["assignee", "instead_of"])
    data = {"from": previous.username, "to": target.username, "comment": comment}
    if assignment.instead_of_id is not None:
        data["instead_of"] = assignment.instead_of.username
    history(instance, event, actor=actor, assignment=assignment, key=assignment.key, at=clock.now(), data=data)
    hooks.emit(
        hooks.Event(
            hooks.EventKind.MOVED,
            instance,
            assignment,
            actor=actor,
            data={"previous": previous, "target": target, "comment": comment, "reason": event},
        )
    )
    instance.revision += 1
    instance.save(update_fields=["revision"])


def stop(instance_id: int, *, by: Any, reason: str = "") -> Instance:
    """Stop a running instance: open assignments cancelled, outcome ``stopped``."""
    _check_text("reason", reason)
    actor = employee_of(by)
    with transaction.atomic(), batched_writes():
        instance = lock_instance(instance_id)
        if not access.may_stop(by, instance):
            raise Forbidden(_("Остановить процесс может только тот, кто его запустил, или администратор."))
        if not instance.running:
            raise Conflict(_("Процесс уже завершён."))
        model = model_of(instance)
        runner = Runner.load(model, instance.state)
        runner.cancel()
        step = Step(instance=instance, model=model, runner=runner, actor=actor, now=clock.now())
        step.finish(Outcome.STOPPED, {"reason": reason})
        step.save()
    return instance


def _check_text(name: str, value: str) -> None:
    """A comment or a reason of at most ``base.texts.MAX_TEXT`` characters, storable: refused, not cut."""
    problems = texts.text_problems(value or "", texts.MAX_TEXT)
    if problems:
        raise Invalid({name: problems})
