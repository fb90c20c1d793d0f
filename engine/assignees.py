# ruff: noqa: S608 - the few SQL statements join model table/column names; every value is a parameter
"""Who gets an assignment: the assignee rules of the BPMN dialect and the people they find.

A user task's ``camunda:assignee`` is an expression over the process variables and the functions
of :data:`engine.bpmn.ASSIGNEE_FUNCTIONS` (``role``, ``manager_of``, ``employee``, ``performer``),
evaluated by the safe evaluator; it names a username. A rule that finds nobody active refuses the
step with a sentence naming it, so no assignment is ever left without a living owner.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from base.errors import SoglasieError
from engine import expressions, rows
from engine.models import Assignment, AssignmentStatus, Instance
from engine.rows import qn
from org import directory
from org.models import Employee, Role


def resolve(task: Any, instance: Instance, variables: dict[str, Any]) -> Employee:
    """The employee a user task's rule picks now; refuses with the step's key when it finds nobody."""
    resolved: dict[str, Employee] = {}
    try:
        username = expressions.evaluate(task.assignee, variables, functions(instance, resolved))
    except expressions.ExpressionError as error:
        raise SoglasieError(
            _("Не удалось определить исполнителя шага «%(key)s»: %(error)s") % {"key": task.key, "error": error}
        ) from None
    employee = resolved.get(str(username)) if username else None
    if employee is None and username:
        employee = directory.employee_by_username(str(username))
    if employee is None:
        raise SoglasieError(_("Не удалось определить исполнителя шага «%(key)s»") % {"key": task.key})
    return employee


def functions(instance: Instance, resolved: dict[str, Employee] | None = None) -> dict[str, Any]:
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
        return found(least_busy_holder(str(code)))

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


def least_busy_holder(code: str) -> Employee | None:
    """Of ``directory.role_holders(code)`` (active people, active logins, holding the role), the one
    with the fewest open assignments, ties to the lowest pk."""
    through = Employee.roles.through
    found = employees(
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
