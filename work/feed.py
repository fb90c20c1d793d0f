"""The feed («Лента»), the home page: my open work first, what I may start, and what happened lately."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from base import clock
from crm.models import Company
from engine import access, queries
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
    Outcome,
)
from org import directory
from org.access import employee_of

# ------------------------------------------------------------------------------------------ the feed


FEED_EVENTS = (HistoryEvent.STARTED, HistoryEvent.FINISHED, HistoryEvent.STOPPED, HistoryEvent.COMPLETED)


def feed_events(user: Any, limit: int = 30) -> list[dict[str, Any]]:
    """Recent events this user may see: processes started and finished, assignments done, companies added."""
    events = []
    for h in (
        History.objects.filter(access.sees_instance(user), event__in=FEED_EVENTS)
        .exclude(event=HistoryEvent.COMPLETED, assignment__isnull=True)
        .select_related("actor", "instance__process__definition", "assignment")
        .order_by("-at", "-pk")[:limit]
    ):
        if h.assignment is not None:
            h.assignment.instance = h.instance  # named in the reader's language without a query of its own
        events.append(
            {"at": h.at, "kind": h.event, "history": h, "outcome": Outcome.label_of((h.data or {}).get("outcome"))}
        )
    events.extend(_company_events(limit))
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def _company_events(limit: int) -> list[dict[str, Any]]:
    return [
        {"at": company.created_at, "kind": "company", "company": company, "url": company.get_absolute_url()}
        for company in Company.objects.order_by("-created_at")[:limit]
    ]


def my_open_assignments(user: Any, limit: int = 5) -> tuple[list[tuple[Assignment, bool]], int]:
    me = employee_of(user)
    if me is None:
        return [], 0
    qs = Assignment.objects.filter(assignee=me, status=AssignmentStatus.OPEN).select_related(
        "instance__process__definition", "instead_of"
    )
    now = clock.now()
    rows = list(qs.order_by(F("due_at").asc(nulls_last=True), "pk")[:limit])
    return [(a, a.is_overdue(now)) for a in rows], qs.count()


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The feed: my open work first, what I may start, and what happened lately."""
    employee = employee_of(request.user)
    mine, my_count = my_open_assignments(request.user)
    context = {
        "title": _("Лента"),
        "employee": employee,
        "manager": directory.line_manager(employee) if employee else None,
        "events": feed_events(request.user),
        "startable": queries.startable(request.user),
        "my_assignments": mine,
        "my_count": my_count,
    }
    return render(request, "work/home.html", context)
