"""The questions the process engine asks about people.

Kept in one module so that the engine depends on a handful of functions rather than on the shape of
the org models, and so deactivation (which must hand work over) has exactly one entry point.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal

from org.models import Employee

#: Sent inside the deactivation transaction with ``employee`` and ``by`` (an Employee or None).
#: The engine listens and moves the person's open assignments to their line manager, so that no
#: assignment is ever left with an inactive owner.
employee_deactivated = Signal()


def active_employees() -> QuerySet[Employee]:
    return Employee.objects.filter(is_active=True, user__is_active=True).select_related("user", "department")


def employee_by_username(username: str, *, active_only: bool = True) -> Employee | None:
    qs = active_employees() if active_only else Employee.objects.select_related("user")
    return qs.filter(user__username=username).first()


def line_manager(employee: Employee) -> Employee | None:
    """The nearest *active* manager above ``employee`` in the org chart.

    If the direct manager has left, their own manager answers for them: work must always land on a
    living person.
    """
    seen: set[int] = {employee.pk}
    node = employee.manager
    while node is not None and node.pk not in seen:
        if node.is_active:
            return node
        seen.add(node.pk)
        node = node.manager
    return None


def successor(employee: Employee) -> Employee | None:
    """Who takes over a leaving employee's open work: their line manager, or else the first active
    administrator, so that work is never left ownerless."""
    return line_manager(employee) or (
        Employee.objects.filter(is_active=True, user__is_active=True, user__is_staff=True)
        .exclude(pk=employee.pk)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def role_holders(code: str) -> QuerySet[Employee]:
    """Active holders of a role, in a stable order.

    The engine asks this at every step that assigns by role, so the query is kept lean: no DISTINCT
    (role codes are unique and a person holds a role once, so the join cannot repeat a row) and only
    the user joined (the assignee's username and e-mail), not the department.
    """
    return (
        Employee.objects.filter(is_active=True, user__is_active=True, roles__code=code)
        .select_related("user")
        .order_by("pk")
    )


def reports_of(manager: Employee) -> list[Employee]:
    """Everyone below ``manager`` in the chart, directly or through others (active or not)."""
    result: list[Employee] = []
    frontier = [manager.pk]
    seen = {manager.pk}
    while frontier:
        level = list(Employee.objects.filter(manager_id__in=frontier).exclude(pk__in=seen))
        result.extend(level)
        frontier = [e.pk for e in level]
        seen.update(frontier)
    return result


def is_above(manager: Employee, employee: Employee) -> bool:
    """True when ``manager`` is ``employee``'s line manager, directly or further up."""
    seen: set[int] = set()
    node = employee.manager
    while node is not None and node.pk not in seen:
        if node.pk == manager.pk:
            return True
        seen.add(node.pk)
        node = node.manager
    return False


def may_act_for(actor: Employee, owner: Employee) -> bool:
    """The owner themself or their deputy."""
    return actor.pk == owner.pk or (owner.deputy_id is not None and owner.deputy_id == actor.pk)


@transaction.atomic
def deactivate(employee: Employee, *, by: Employee | None = None) -> None:
    """Deactivate an employee: they can no longer log in and their open work moves on.

    A normal action, not a deletion: the person stays in every history they took part in.
    """
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if not employee.is_active:
        return
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    user_model = get_user_model()
    user_model.objects.filter(pk=employee.user_id).update(is_active=False)
    employee_deactivated.send(sender=Employee, employee=employee, by=by)


def usernames(employees: Iterable[Employee]) -> list[str]:
    return [e.user.get_username() for e in employees]


def by_usernames(names: Iterable[str]) -> dict[str, Employee]:
    """The people behind usernames, in one query, active or not: a page or an API answer that
    stored usernames (form data, history, the API's fields) shows the person's name instead, and a
    name from last year's history belongs to someone who may have left since."""
    wanted = {n for n in names if isinstance(n, str) and n}
    if not wanted:
        return {}
    found = Employee.objects.filter(user__username__in=wanted).select_related("user")
    return {e.user.get_username(): e for e in found}
