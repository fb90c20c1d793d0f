"""«Автоматизация»: the assignments a person sees, with filters that live in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from base import clock
from engine import access
from engine.models import (
    Assignment,
    AssignmentStatus,
    ProcessDefinition,
)
from org import directory
from org.access import employee_of, visible_people
from org.models import Employee

PAGE_SIZE = 50

# ------------------------------------------------------------------------------------------ the list


@dataclass
class ListFilters:
    """The «Автоматизация» filters as they appear in the URL; defaults: my open assignments."""

    assignee: str = "me"
    status: str = "open"
    due: str = ""
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    process: str = ""

    STATUSES = ("open", "done", "cancelled", "any")
    DUES = ("overdue", "today", "week", "range", "none")

    @classmethod
    def from_query(cls, query: QueryDict) -> ListFilters:
        status = query.get("status", "open")
        due = query.get("due", "")
        return cls(
            assignee=(query.get("assignee") or "me").strip(),
            status=status if status in cls.STATUSES else "open",
            due=due if due in cls.DUES else "",
            due_from=_date(query.get("due_from")),
            due_to=_date(query.get("due_to")),
            q=(query.get("q") or "").strip()[:200],
            process=(query.get("process") or "").strip(),
        )

    def query(self, **changes: Any) -> str:
        """The URL query of these filters with some changed (``None`` drops a parameter)."""
        values = {
            "assignee": self.assignee,
            "status": self.status,
            "due": self.due,
            "due_from": self.due_from.isoformat() if self.due_from else "",
            "due_to": self.due_to.isoformat() if self.due_to else "",
            "q": self.q,
            "process": self.process,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _due_conditions(now: datetime, filters: ListFilters) -> dict[str, Q]:
    """One condition per deadline choice; days and weeks are the local (Moscow) calendar."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    range_q = Q()
    if filters.due_from:
        range_q &= Q(due_at__gte=_day_start(filters.due_from))
    if filters.due_to:
        range_q &= Q(due_at__lt=_day_start(filters.due_to + timedelta(days=1)))
    return {
        "overdue": Q(status=AssignmentStatus.OPEN, due_at__lte=now),
        "today": Q(due_at__gte=_day_start(today), due_at__lt=_day_start(today + timedelta(days=1))),
        "week": Q(due_at__gte=_day_start(monday), due_at__lt=_day_start(monday + timedelta(days=7))),
        "range": range_q if (filters.due_from or filters.due_to) else Q(due_at__isnull=False),
        "none": Q(due_at__isnull=True),
    }


def _responsible_q(request: HttpRequest, filters: ListFilters) -> Q:
    if filters.assignee == "all":
        return Q()
    username = request.user.get_username() if filters.assignee == "me" else filters.assignee
    return Q(assignee__user__username=username)


def filtered_assignments(request: HttpRequest, filters: ListFilters, now: datetime) -> dict[str, Any]:
    """The page of assignments and the counts per filter, in a fixed number of queries.

    The base is ``access.visible_assignments`` (a manager sees their reports' work, an administrator
    everyone's); the counts of each filter's choices are computed with the other filters applied,
    one aggregate query per filter, so they answer "how many would I see if I picked this".
    """
    base = access.visible_assignments(request.user)
    dues = _due_conditions(now, filters)
    common = _responsible_q(request, filters) & Assignment.matching(filters.q, filters.process)
    status_q = Q() if filters.status == "any" else Q(status=filters.status)
    due_q = dues[filters.due] if filters.due else Q()

    due_counts = base.filter(common & status_q).aggregate(
        all=Count("pk"), **{name: Count("pk", filter=cond) for name, cond in dues.items()}
    )
    status_counts = base.filter(common & due_q).aggregate(
        any=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in ListFilters.STATUSES if s != "any"}
    )
    rows = (
        base.filter(common & status_q & due_q)
        .select_related("instance__process__definition", "assignee__user")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )
    return {"rows": rows, "due_counts": due_counts, "status_counts": status_counts}


def _responsible_choices(request: HttpRequest) -> list[Employee]:
    people = visible_people(request.user)
    if people is None:
        return list(directory.active_employees().order_by("full_name"))
    me = employee_of(request.user)
    others = people - ({me.pk} if me else set())
    if not others:
        return []
    return list(Employee.objects.filter(pk__in=people).select_related("user").order_by("full_name"))


@require_GET
def assignments(request: HttpRequest) -> HttpResponse:
    """«Автоматизация»: my open assignments by default; the filters live in the URL."""
    filters = ListFilters.from_query(request.GET)
    now = clock.now()
    found = filtered_assignments(request, filters, now)
    paginator = Paginator(found["rows"], PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    due_labels = {
        "overdue": _("Просроченные"),
        "today": _("Сегодня"),
        "week": _("На этой неделе"),
        "range": _("В интервале дат"),
        "none": _("Без срока"),
    }
    status_labels = {"open": _("Открытые"), "done": _("Выполненные"), "cancelled": _("Отменённые"), "any": _("Все")}
    context = {
        "filters": filters,
        "page": page,
        "now": now,
        "rows": [(a, a.is_overdue(now)) for a in page.object_list],
        "due_chips": [
            {"value": "", "label": _("Любой срок"), "count": found["due_counts"]["all"], "query": filters.query(due="")}
        ]
        + [
            {"value": k, "label": v, "count": found["due_counts"][k], "query": filters.query(due=k)}
            for k, v in due_labels.items()
        ],
        "status_chips": [
            {"value": k, "label": v, "count": found["status_counts"][k], "query": filters.query(status=k)}
            for k, v in status_labels.items()
        ],
        "due_labels": due_labels,
        "status_labels": status_labels,
        "processes": ProcessDefinition.objects.order_by("name").only("key", "name"),
        "people": _responsible_choices(request),
        "query": filters.query(),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "work/_assignment_results.html", context)
    return render(request, "work/assignments.html", context)
