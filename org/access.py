"""Who someone is and whose work they may see: the questions every permission check starts from.

``is_administrator`` is the one definition for pages, API and services. ``visible_people`` draws
the circle of people whose work a user sees (themselves, everyone below them in the org chart, and
those they are the deputy of); the engine, tasks and notifications build their own checks on it.
"""

from __future__ import annotations

from typing import Any

from org import directory
from org.models import Employee


def is_administrator(user: Any) -> bool:
    """An active staff member. The demo's ``admin`` is one; ordinary employees are not."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def employee_of(user: Any) -> Employee | None:
    """The employee record of a signed-in user (None for anonymous users and for logins without one)."""
    return getattr(user, "employee", None) if user is not None and user.is_authenticated else None


def visible_people(user: Any) -> set[int] | None:
    """Employee ids whose work ``user`` may see; None means everyone (administrators)."""
    if is_administrator(user):
        return None
    me = employee_of(user)
    if me is None:
        return set()
    ids = {me.pk}
    ids.update(e.pk for e in directory.reports_of(me))
    ids.update(Employee.objects.filter(deputy=me).values_list("pk", flat=True))
    return ids
