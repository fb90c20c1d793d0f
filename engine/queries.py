"""The lists of assignments and instances: one filter specification each, for the page and the API.

«Автоматизация» (``work.assignment_list``) and ``GET /api/v1/assignments`` build an
:class:`AssignmentFilter` from their own parameter names and apply it to what the user may see
(``engine.access``); so do the API's instance list and :class:`InstanceFilter`. What a filter
means, in which order the rows come, and how days and weeks are counted (the local calendar) are
written here once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from base.listing import username_of
from engine import access
from engine.forms import FormDefinition, initial_values
from engine.models import Assignment, AssignmentStatus, Instance, ProcessDefinition

#: The deadline choices of the list: each a condition over ``due_at``.
DUES = ("overdue", "today", "week", "range", "none")
STATUSES = tuple(AssignmentStatus.values)


@dataclass(frozen=True)
class AssignmentFilter:
    """Which assignments, in which order. Empty means "any"."""

    assignee: str = ""  # a username, or "me"
    status: str = ""  # open / done / cancelled
    title: str = ""  # a part of the title, in any case and alphabet
    process: str = ""  # a process key
    instance: int | None = None
    due: str = ""  # one of DUES
    due_after: datetime | None = None  # due at or after
    due_before: datetime | None = None  # due before
    order: str = ""  # "due": the nearest deadline first (none last); otherwise the newest first

    def with_(self, **changes: Any) -> AssignmentFilter:
        return replace(self, **changes)

    def due_conditions(self, now: datetime) -> dict[str, Q]:
        """One condition per deadline choice; days and weeks are the local (Moscow) calendar."""
        today = timezone.localdate(now)
        monday = today - timedelta(days=today.weekday())
        bounds = self._bounds()
        return {
            "overdue": Q(status=AssignmentStatus.OPEN, due_at__lte=now),
            "today": Q(due_at__gte=day_start(today), due_at__lt=day_start(today + timedelta(days=1))),
            "week": Q(due_at__gte=day_start(monday), due_at__lt=day_start(monday + timedelta(days=7))),
            "range": bounds if (self.due_after or self.due_before) else Q(due_at__isnull=False),
            "none": Q(due_at__isnull=True),
        }

    def _bounds(self) -> Q:
        condition = Q()
        if self.due_after:
            condition &= Q(due_at__gte=self.due_after)
        if self.due_before:
            condition &= Q(due_at__lt=self.due_before)
        return condition

    def condition(self, user: Any, now: datetime, *, without: str = "") -> Q:
        """The whole filter as one condition; ``without`` leaves one part out ("status" or "due"),
        for the counts a page shows next to each choice of that part."""
        condition = Assignment.matching(self.title, self.process)
        if self.assignee:
            condition &= Q(assignee__user__username=username_of(self.assignee, user))
        if self.instance is not None:
            condition &= Q(instance_id=self.instance)
        if self.status and without != "status":
            condition &= Q(status=self.status)
        if without != "due":
            if self.due:
                condition &= self.due_conditions(now)[self.due]
            if self.due != "range":  # the range choice is the bounds (or "has a deadline")
                condition &= self._bounds()
        return condition

    def visible(self, user: Any) -> QuerySet[Assignment]:
        """What ``user`` may see, before the filter: with an assignee (the user or someone of their
        circle), that person's assignments without the visibility condition
        (``access.visible_assignments``)."""
        return access.visible_assignments(user, held_by=self.assignee)

    def apply(self, user: Any, now: datetime, *, visible: QuerySet[Assignment] | None = None) -> QuerySet[Assignment]:
        """The assignments ``user`` may see that pass the filter, in the filter's order; ``visible``
        is :meth:`visible` when the caller has it already (a page that also counts)."""
        rows = (self.visible(user) if visible is None else visible).filter(self.condition(user, now))
        if self.order == "due":
            return rows.order_by(F("due_at").asc(nulls_last=True), "pk")
        return rows.order_by("-created_at", "-pk")


@dataclass(frozen=True)
class InstanceFilter:
    """Which instances: by process, state and starter (a username or "me"); the newest first."""

    process: str = ""
    status: str = ""
    started_by: str = ""

    def apply(self, user: Any) -> QuerySet[Instance]:
        rows = access.visible_instances(user)
        if self.process:
            rows = rows.filter(process_key=self.process)
        if self.status:
            rows = rows.filter(status=self.status)
        if self.started_by:
            rows = rows.filter(started_by__user__username=username_of(self.started_by, user))
        return rows.order_by("-started_at", "-pk")


def deployed_processes() -> QuerySet[ProcessDefinition]:
    """The processes that have a current version, by name, with it: the processes page, the feed's
    start buttons and ``GET /api/v1/processes`` list these (and ask ``access.may_start`` of each)."""
    return ProcessDefinition.objects.select_related("current").exclude(current=None).order_by("name")


def startable(user: Any) -> list[ProcessDefinition]:
    """The processes ``user`` may start by hand."""
    return [definition for definition in deployed_processes() if access.may_start(user, definition)]


def form_values(assignment: Assignment, form: FormDefinition) -> dict[str, Any]:
    """What an assignment's form shows: pre-filled from the process while it is open (each field's
    default), the submitted values once it is done. The page and the API show the same."""
    if assignment.is_open:
        return initial_values(form, assignment.instance.variables)
    return assignment.data


def day_start(day: date) -> datetime:
    """Midnight of a local day, as an aware instant."""
    return timezone.make_aware(datetime.combine(day, time.min))
