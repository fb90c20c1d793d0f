"""«Автоматизация»: the assignments a person sees, with filters that live in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from base import clock, listing
from engine import access
from engine.models import Assignment, ProcessDefinition
from engine.queries import DUES, STATUSES, AssignmentFilter, day_start
from org import directory
from org.access import employee_of, visible_people
from org.models import Employee
from reports import assignments as export
from reports.workbook import XLSX, attachment


@dataclass
class ListFilters:
    """The «Автоматизация» filters under their URL names; defaults: my open assignments.

    What they mean is :class:`engine.queries.AssignmentFilter`, which the API applies too.
    """

    assignee: str = "me"
    status: str = "open"
    due: str = ""
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    process: str = ""

    STATUSES = (*STATUSES, "any")

    @classmethod
    def from_query(cls, query: QueryDict) -> ListFilters:
        status = query.get("status", "open")
        due = query.get("due", "")
        return cls(
            assignee=(query.get("assignee") or "me").strip(),
            status=status if status in cls.STATUSES else "open",
            due=due if due in DUES else "",
            due_from=_date(query.get("due_from")),
            due_to=_date(query.get("due_to")),
            q=(query.get("q") or "").strip()[:200],
            process=(query.get("process") or "").strip(),
        )

    def spec(self) -> AssignmentFilter:
        """The filter these URL parameters stand for; the page lists the nearest deadline first."""
        ranged = self.due == "range"
        return AssignmentFilter(
            assignee="" if self.assignee == "all" else self.assignee,
            status="" if self.status == "any" else self.status,
            title=self.q,
            process=self.process,
            due=self.due,
            due_after=day_start(self.due_from) if ranged and self.due_from else None,
            due_before=day_start(self.due_to + timedelta(days=1)) if ranged and self.due_to else None,
            order="due",
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


#: A chip counts the assignments behind it up to this many and then reads «1000+»: a person holds a
#: few thousand open assignments but, after some years, a hundred thousand done ones, and an exact
#: count of those would cost more than the rest of the page. The chosen chips show the list's own
#: (exact) count.
CHIP_LIMIT = 1000


def _up_to(rows: QuerySet[Assignment]) -> tuple[int, bool]:
    """How many rows, counted no further than :data:`CHIP_LIMIT`: the count and whether there are more."""
    found = rows.order_by().values("pk")[: CHIP_LIMIT + 1].count()
    return min(found, CHIP_LIMIT), found > CHIP_LIMIT


def _counts(
    user: Any, spec: AssignmentFilter, now: datetime, visible: QuerySet[Assignment], chosen: dict[str, Any]
) -> tuple[dict[str, tuple[int, bool]], dict[str, tuple[int, bool]]]:
    """How many assignments each deadline and each status choice would show with the other filters
    kept, so they answer "how many would I see if I picked this": the chosen ones (``chosen``:
    the chosen due and status choice, and the list's count) are the list, the others are counted up
    to :data:`CHIP_LIMIT`, one bounded query each."""
    shown = (chosen["count"], False)
    without_due = visible.filter(spec.condition(user, now, without="due"))
    dues = {"all": Q(), **spec.due_conditions(now)}
    due_counts = {
        name: shown if name == (chosen["due"] or "all") else _up_to(without_due.filter(condition))
        for name, condition in dues.items()
    }
    without_status = visible.filter(spec.condition(user, now, without="status"))
    statuses = {"any": Q(), **{status: Q(status=status) for status in STATUSES}}
    status_counts = {
        name: shown if name == chosen["status"] else _up_to(without_status.filter(condition))
        for name, condition in statuses.items()
    }
    return due_counts, status_counts


def _chip(value: str, label: str, counted: tuple[int, bool], query: str) -> dict[str, Any]:
    """One filter choice with its count (``templates/work/_chips.html``); ``more``: «1000+»."""
    return {"value": value, "label": label, "count": counted[0], "more": counted[1], "query": query}


def _select(name: str, label: str, chosen: str, options: list[tuple[str, Any]]) -> dict[str, Any]:
    """One drop-down of the filter form (``templates/work/_select.html``)."""
    return {"id": f"filter-{name}", "name": name, "label": label, "chosen": chosen, "options": options}


def _people_options(request: HttpRequest) -> list[tuple[str, Any]]:
    """«Я», «Все, кого я вижу», then everyone whose work the viewer sees: the people of their circle
    (``visible_people``) and whoever holds an assignment the viewer sees (a colleague from another
    department on a process a report started), so every row of «Все, кого я вижу» can be narrowed to
    its assignee. None listed for a plain employee who sees only their own."""
    options: list[tuple[str, Any]] = [("me", _("Я")), ("all", _("Все, кого я вижу"))]
    people = visible_people(request.user)
    if people is None:
        found = list(directory.active_employees().order_by("full_name"))
    else:
        # One probe per employee (does this person hold one I see?) rather than the distinct holders
        # of everything I see: a probe stops at its first row, the distinct list reads them all. Each
        # probe names its employee as a constant, so PostgreSQL plans it with that person's figures
        # (a correlated probe is planned for the average person: a scan of the whole table for
        # someone who holds nothing, such as the administrator).
        seen = access.visible_assignments(request.user)
        others = Employee.objects.exclude(pk__in=people).values_list("pk", flat=True)
        holders = Q(pk__in=people)
        for pk in others:
            holders |= Q(pk=pk) & Q(Exists(seen.filter(assignee_id=pk)))
        found = list(Employee.objects.filter(holders).select_related("user").order_by("full_name"))
        me = employee_of(request.user)
        if all(person == me for person in found):
            found = []
    return options + [(person.user.username, person.full_name) for person in found]


def _process_options() -> list[tuple[str, Any]]:
    processes = ProcessDefinition.objects.order_by("name").values_list("key", "name")
    return [("", _("Все процессы")), *((key, _(name)) for key, name in processes)]


@require_GET
def assignments(request: HttpRequest) -> HttpResponse:
    """«Автоматизация»: my open assignments by default; the filters live in the URL."""
    filters = ListFilters.from_query(request.GET)
    now = clock.now()
    spec = filters.spec()
    visible = spec.visible(request.user)
    rows = spec.apply(request.user, now, visible=visible).select_related(
        "instance__process__definition", "assignee__user", "instead_of"
    )
    page = listing.page(rows, request.GET.get("page"))
    chosen = {"due": filters.due, "status": filters.status, "count": page.count}
    due_counts, status_counts = _counts(request.user, spec, now, visible, chosen)
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
        "rows": [(a, a.is_overdue(now)) for a in page.items],
        "due_chips": [
            _chip(k, v, due_counts["all" if k == "" else k], filters.query(due=k))
            for k, v in {"": _("Любой срок"), **due_labels}.items()
        ],
        "status_chips": [_chip(k, v, status_counts[k], filters.query(status=k)) for k, v in status_labels.items()],
        "selects": [
            _select("assignee", _("Ответственный"), filters.assignee, _people_options(request)),
            _select("status", _("Состояние"), filters.status, list(status_labels.items())),
            _select("process", _("Процесс"), filters.process, _process_options()),
            _select("due", _("Срок"), filters.due, [("", _("Любой срок")), *due_labels.items()]),
        ],
        "title": _("Автоматизация"),
        "query": filters.query(),
        "columns": [_("Выбор"), *export.COLUMNS],
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "work/_assignment_results.html", context)
    return render(request, "work/assignments.html", context)


@require_GET
def assignments_export(request: HttpRequest) -> HttpResponse:
    """What the page shows with these filters, all its pages, as XLSX (the columns of the page)."""
    spec = ListFilters.from_query(request.GET).spec()
    return attachment(export.export(request.user, spec), "assignments.xlsx", XLSX)
