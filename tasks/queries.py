"""The list of tasks: one filter specification for the Tasks page and ``GET /api/v1/tasks``.

The page's tabs are this filter's values: «Мне» is ``responsible="me"``, «Поручил я»
``created_by="me"``, «Все, что я вижу» neither. The order is the model's: open ones first, the
nearest deadline first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from base.listing import username_of
from tasks.access import visible_tasks
from tasks.models import Task


@dataclass(frozen=True)
class TaskFilter:
    responsible: str = ""  # a username, or "me"
    created_by: str = ""  # a username, or "me"
    status: str = ""  # open / done
    instance: int | None = None

    def apply(self, user: Any) -> QuerySet[Task]:
        rows = visible_tasks(user)
        if self.responsible:
            rows = rows.filter(responsible__user__username=username_of(self.responsible, user))
        if self.created_by:
            rows = rows.filter(created_by__user__username=username_of(self.created_by, user))
        if self.status:
            rows = rows.filter(status=self.status)
        if self.instance is not None:
            rows = rows.filter(instance_id=self.instance)
        return rows.order_by(*Task._meta.ordering)
