"""Who may see and complete a task (задача): the one check the pages and the API both call.

A task is seen by its responsible person and its author, by the people above either of them in the
org chart, by the deputy of either (who acts for them), and by administrators: the same circle as
``engine.access`` draws around an assignment. Anyone else gets "not found" rather than "forbidden",
so a task's existence does not leak. Completing is narrower: the responsible person, their deputy or
an administrator (``tasks.services.complete_task`` enforces it again inside its transaction).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from base.errors import NotFound
from org import directory
from org.access import employee_of, is_administrator, visible_people
from tasks.models import Task


def visible_tasks(user: Any) -> QuerySet[Task]:
    """Tasks ``user`` may open, in the model's order (open first, nearest deadline first)."""
    qs = Task.objects.select_related("responsible__user", "created_by__user", "completed_by__user", "instance")
    people = visible_people(user)
    if people is None:
        return qs
    if not people:
        return qs.none()
    return qs.filter(Q(responsible__in=people) | Q(created_by__in=people))


def get_task_for_user(user: Any, pk: int) -> Task:
    """The task, or ``NotFound`` when it does not exist or is not the user's to see."""
    task = visible_tasks(user).filter(pk=pk).first()
    if task is None:
        raise NotFound(_("Задача не найдена."))
    return task


def may_complete(user: Any, task: Task) -> bool:
    """The responsible person, their deputy, or an administrator; only while the task is open."""
    if not task.is_open:
        return False
    if is_administrator(user):
        return True
    me = employee_of(user)
    if me is None:
        return False
    return directory.may_act_for(me, task.responsible)
