# ruff: noqa: S608 - the few SQL statements join model table/column names; every value is a parameter
"""Who gets an assignment: the assignee rules of the BPMN dialect and the people they find.

A user task's ``camunda:assignee`` is an expression over the process variables and the functions
of :data:`engine.bpmn.ASSIGNEE_FUNCTIONS` (``role``, ``manager_of``, ``employee``, ``performer``),
evaluated by the safe evaluator; it names a username. A rule that finds nobody active refuses the
step with a sentence naming it, so no assignment is ever left without a living owner.

**Four eyes.** On an approval step (``approval="true"``) nobody approves their own work: not the
instance's starter, not whoever did one of its steps that is not an approval (:func:`four_eyes`).
The rule's functions pass over such people, so the file's own fallbacks (``employee(x) or
role('sales_head')``) choose the next in line; if the rule still finds nobody, the line manager of
the person passed over takes the step. Whoever was passed over is named in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from base.errors import SoglasieError
from engine import expressions, rows
from engine.models import Assignment, AssignmentStatus, Instance
from engine.rows import qn
from org import absences, directory
from org.models import Employee, Role

#: Why someone may not take an approval step.
STARTER = "starter"
AUTHOR = "author"


@dataclass(frozen=True)
class FourEyes:
    """Whose work an approval step approves, by employee id: they may not take it."""

    reasons: dict[int, str]

    def excludes(self, employee: Employee | None) -> bool:
        return employee is not None and employee.pk in self.reasons

    def refusal(self, employee: Employee) -> str:
        """Why ``employee`` may not approve, in a sentence."""
        if self.reasons.get(employee.pk) == STARTER:
            return _("%(name)s запустил(а) этот процесс: согласовать его должен кто-то другой.") % {
                "name": employee.full_name
            }
        return _("%(name)s выполнял(а) шаг этого процесса: согласовать свою работу нельзя.") % {
            "name": employee.full_name
        }


def four_eyes(task: Any, instance: Instance, model: Any) -> FourEyes | None:
    """Who may not take ``task`` of ``instance``: the performers of the steps it approves (its
    ``approves``, or else every step that is not an approval) and, unless the file allows it, the
    starter. None when the step is no approval or the file allows self-approval. One query."""
    if not task.approval or task.self_approval == "allowed":
        return None
    reasons: dict[int, str] = {}
    done = Assignment.objects.filter(instance_id=instance.pk, status=AssignmentStatus.DONE)
    for key, performer in done.values_list("key", "completed_by_id"):
        step = model.user_tasks.get(key)
        approved = key in task.approves if task.approves else step is not None and not step.approval
        if performer is not None and approved:
            reasons[performer] = AUTHOR
    if task.self_approval == "forbidden" and instance.started_by_id is not None:
        reasons[instance.started_by_id] = STARTER
    return FourEyes(reasons)


@dataclass
class Pick:
    """Whom a rule picked, whom four eyes made it pass over on the way, and whom the pick stands in
    for when the person the rule named is away (``instead_of``)."""

    employee: Employee
    skipped: list[Employee] = field(default_factory=list)
    instead_of: Employee | None = None


def resolve(
    task: Any,
    instance: Instance,
    variables: dict[str, Any],
    eyes: FourEyes | None = None,
    *,
    now: datetime | None = None,
) -> Pick:
    """The employee a user task's rule picks at ``now``; refuses with the step's key when it finds
    nobody. Someone absent that day is replaced by whoever takes their work (:func:`substitute`)."""
    resolved: dict[str, Employee] = {}
    skipped: list[Employee] = []
    try:
        username = expressions.evaluate(task.assignee, variables, functions(instance, resolved, eyes, skipped))
    except expressions.ExpressionError as error:
        raise SoglasieError(
            _("Не удалось определить исполнителя шага «%(key)s»: %(error)s") % {"key": task.key, "error": error}
        ) from None
    employee = resolved.get(str(username)) if username else None
    if employee is None and username:
        employee = directory.employee_by_username(str(username))
        if eyes is not None and eyes.excludes(employee):
            skipped.append(employee)
            employee = None
    if employee is None and skipped:
        employee = next((above for person in skipped if (above := approver_above(person, eyes)) is not None), None)
        if employee is None:
            raise SoglasieError(
                _("Некому согласовать шаг «%(key)s»: %(reason)s")
                % {"key": task.key, "reason": eyes.refusal(skipped[0]) if eyes else ""}
            )
    if employee is None:
        raise SoglasieError(_("Не удалось определить исполнителя шага «%(key)s»") % {"key": task.key})
    return substitute(Pick(employee, skipped), eyes, now)


def substitute(pick: Pick, eyes: FourEyes | None, now: datetime | None = None) -> Pick:
    """The rule for every assignment: work the rules give to an absent employee goes to the end of
    their substitution chain (``org.absences.taker``), marked as held instead of them. An approval
    never lands on someone whose work it checks: then the nearest manager above who may take it."""
    taker = absences.taker(pick.employee, absences.local_day(now))
    if taker.pk == pick.employee.pk:
        return pick
    if eyes is not None and eyes.excludes(taker):
        taker = approver_above(taker, eyes) or taker
    return Pick(taker, pick.skipped, instead_of=pick.employee)


def approver_above(person: Employee, eyes: FourEyes | None) -> Employee | None:
    """The nearest active line manager above ``person`` who may take the approval."""
    seen: set[int] = set()
    candidate = directory.line_manager(person)
    while candidate is not None and candidate.pk not in seen:
        if eyes is None or not eyes.excludes(candidate):
            return candidate
        seen.add(candidate.pk)
        candidate = directory.line_manager(candidate)
    return None


def functions(
    instance: Instance,
    resolved: dict[str, Employee] | None = None,
    eyes: FourEyes | None = None,
    skipped: list[Employee] | None = None,
) -> dict[str, Any]:
    """The assignee functions of the BPMN dialect. They return usernames (expressions see only plain
    values); the Employees they found are left in ``resolved`` so the caller need not look them up.
    With ``eyes``, a person whose work the step approves is passed over (and left in ``skipped``)."""
    resolved = {} if resolved is None else resolved
    skipped = [] if skipped is None else skipped

    def found(employee: Employee | None) -> str | None:
        if employee is None:
            return None
        if eyes is not None and eyes.excludes(employee):
            if employee not in skipped:
                skipped.append(employee)
            return None
        resolved[employee.username] = employee
        return employee.username

    def role(code: str) -> str | None:
        """The holder of a role with the fewest open assignments (ties: the longest-serving record),
        passing over those four eyes exclude."""
        holder = least_busy_holder(str(code))
        if eyes is not None and eyes.excludes(holder):
            found(holder)
            holder = least_busy_holder(str(code), exclude=set(eyes.reasons))
        return found(holder)

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

    def one_of(*usernames: Any) -> str | None:
        """Camunda's ``candidateUsers``: of the active listed people, the one with the fewest open
        assignments (the rule ``role()`` follows), passing over those four eyes exclude."""
        names = [str(name) for name in usernames]
        person = least_busy_of(names)
        if eyes is not None and eyes.excludes(person):
            found(person)
            person = least_busy_of(names, exclude=set(eyes.reasons))
        return found(person)

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

    return {"role": role, "manager_of": manager_of, "employee": employee, "performer": performer, "one_of": one_of}


def employees(where: str, params: list[Any], order: str = "") -> list[Employee]:
    """Employees (alias ``e``, their login ``u``) matching ``where``, each with the login loaded.

    Plain SQL (``engine.rows``): the engine asks at most steps who someone is, and the ORM spent
    three times longer composing these statements than the database running them.
    """
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


def employee_by_pk(pk: int) -> Employee | None:
    """One employee with their login, in one plain statement (a step's notices ask for the starter)."""
    found = employees(f"e.{qn('id')} = %s", [pk])
    return found[0] if found else None


def least_busy_holder(code: str, exclude: set[int] | None = None) -> Employee | None:
    """Of ``directory.role_holders(code)`` (active people, active logins, holding the role), the one
    with the fewest open assignments, ties to the lowest pk; none of ``exclude`` (employee ids)."""
    through = Employee.roles.through
    return _least_busy(
        f"e.{qn('id')} IN ("
        f"SELECT er.{qn(through._meta.get_field('employee').column)} FROM {rows.table(through)} er "
        f"INNER JOIN {rows.table(Role)} r ON r.{qn('id')} = er.{qn(through._meta.get_field('role').column)} "
        f"WHERE r.{qn('code')} = %s)",
        [code],
        exclude,
    )


def least_busy_of(usernames: list[str], exclude: set[int] | None = None) -> Employee | None:
    """Of the active employees with these usernames, the one with the fewest open assignments, ties
    to the lowest pk; none of ``exclude``: the same rule as a role's holders, for a list of people."""
    if not usernames:
        return None
    return _least_busy(f"u.{qn('username')} IN ({', '.join(['%s'] * len(usernames))})", list(usernames), exclude)


def _least_busy(condition: str, params: list[Any], exclude: set[int] | None) -> Employee | None:
    outside = f" AND e.{qn('id')} NOT IN ({', '.join(['%s'] * len(exclude))})" if exclude else ""
    found = employees(
        f"e.{qn('is_active')} = %s AND u.{qn('is_active')} = %s AND {condition}{outside}",
        [True, True, *params, *sorted(exclude or ()), AssignmentStatus.OPEN.value],
        order=(
            f" ORDER BY (SELECT COUNT(*) FROM {rows.table(Assignment)} a "
            f"WHERE a.{qn('assignee_id')} = e.{qn('id')} AND a.{qn('status')} = %s), e.{qn('id')} LIMIT 1"
        ),
    )
    return found[0] if found else None
