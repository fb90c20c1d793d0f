"""The people's pages of the engine: the «Автоматизация» list, an assignment, an instance, the processes.

Views stay thin: who may see what is ``engine.access`` (the one permission check), every change is
an ``engine.services`` call, and a refusal from the service is shown as it is. With htmx the list
view renders only the part that changed (``#results``); without JavaScript every page still works
as plain HTML forms and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine import access, diagram, forms, services, webforms
from engine.definitions import model_for
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
    Instance,
    ProcessDefinition,
    Schedule,
)
from org import directory
from org.models import Employee

PAGE_SIZE = 50
DECISION_NAMES = frozenset({"decision", "sent", "reason", "action"})


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
    people = access.visible_people(request.user)
    if people is None:
        return list(directory.active_employees().order_by("full_name"))
    me = access.employee_of(request.user)
    others = people - ({me.pk} if me else set())
    if not others:
        return []
    return list(Employee.objects.filter(pk__in=people).select_related("user").order_by("full_name"))


@require_GET
def assignments(request: HttpRequest) -> HttpResponse:
    """«Автоматизация»: my open assignments by default; the filters live in the URL."""
    filters = ListFilters.from_query(request.GET)
    now = timezone.now()
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
        return render(request, "engine/_assignment_results.html", context)
    return render(request, "engine/assignments.html", context)


# ------------------------------------------------------------------------------------------ presenting data


def _labels(model: Any) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str]]:
    """Field labels, option labels and field types of every form of a process, by field id."""
    labels: dict[str, str] = {"quarter": gettext_noop("Квартал"), "starter": gettext_noop("Инициатор")}
    options: dict[tuple[str, str], str] = {}
    types: dict[str, str] = {}
    for task in model.user_tasks.values():
        for f in task.form.fields:
            labels.setdefault(f.id, f.label or f.id)
            types.setdefault(f.id, f.type)
            for o in f.options:
                options.setdefault((f.id, o.id), o.label)
            for sub in f.fields:
                labels.setdefault(f"{f.id}.{sub.id}", sub.label or sub.id)
    return labels, options, types


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def present_value(field_id: str, value: Any, labels: dict, options: dict) -> list[dict[str, Any]]:
    """A stored value as a list of items ``{"text", "url"}``: links are links, options their labels."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, bool):
        return [{"text": _("да") if value else _("нет"), "url": None}]
    if isinstance(value, list):
        items: list[dict[str, Any]] = []
        for item in value:
            if isinstance(item, dict):
                url = next((v for v in item.values() if _is_url(v)), None)
                text = "; ".join(
                    f"{_(labels.get(f'{field_id}.{k}', k))}: {v}"
                    for k, v in item.items()
                    if v not in (None, "") and v != url
                )
                items.append({"text": text or url, "url": url})
            else:
                items.extend(present_value(field_id, item, labels, options))
        return items
    if isinstance(value, dict):
        return [{"text": "; ".join(f"{k}: {v}" for k, v in value.items()), "url": None}]
    if _is_url(value):
        return [{"text": value, "url": value}]
    label = options.get((field_id, str(value)))
    return [{"text": _(label) if label else str(value), "url": None}]


def present_data(data: dict[str, Any], labels: dict, options: dict) -> list[dict[str, Any]]:
    """Form data or variables as labelled rows, skipping empty values and internal names."""
    rows = []
    for key, value in (data or {}).items():
        if key.startswith("_"):
            continue
        items = present_value(key, value, labels, options)
        if items:
            rows.append({"id": key, "label": _(labels.get(key, key)), "items": items})
    return rows


def _documents(labels: dict[str, str], *sources: dict[str, Any]) -> list[dict[str, str]]:
    """Every link found in the given data, once, labelled by the field it came from."""
    seen: set[str] = set()
    found: list[dict[str, str]] = []

    def walk(value: Any, label: str) -> None:
        if _is_url(value) and value not in seen:
            seen.add(value)
            found.append({"url": value, "label": label})
        elif isinstance(value, list):
            for item in value:
                walk(item, label)
        elif isinstance(value, dict):
            title = next((v for v in value.values() if isinstance(v, str) and v and not _is_url(v)), label)
            for v in value.values():
                walk(v, title)

    for source in sources:
        for key, value in (source or {}).items():
            walk(value, labels.get(key, key))
    return found


# ------------------------------------------------------------------------------------------ the form


def widget_of(field: dict[str, Any]) -> str:
    """Which control renders a field (the HTML naming convention is in ``engine.webforms``)."""
    kind = field["type"]
    if kind == "enum":
        if field["id"] in DECISION_NAMES and len(field["options"]) <= 3:
            return "buttons"
        return "radio" if len(field["options"]) <= 4 else "select"
    return kind


def prepare_fields(
    fields: list[dict[str, Any]], errors: dict[str, list[str]], *, extra_rows: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Add what the templates need to ``forms.to_api`` output: widget, errors, rows, chosen people."""
    extra_rows = extra_rows or {}
    usernames: set[str] = set()
    for f in fields:
        if f["type"] == "employee" and isinstance(f["value"], str):
            usernames.add(f["value"])
        elif f["type"] == "employees" and isinstance(f["value"], list):
            usernames.update(v for v in f["value"] if isinstance(v, str))
    names = (
        {e.user.username: e for e in Employee.objects.filter(user__username__in=usernames).select_related("user")}
        if usernames
        else {}
    )
    for f in fields:
        f["widget"] = widget_of(f)
        f["errors"] = errors.get(f["id"], [])
        f["html_id"] = f"f-{f['id']}"
        if f["type"] == "employee":
            person = names.get(f["value"]) if isinstance(f["value"], str) else None
            f["person"] = person
        elif f["type"] == "employees":
            values = f["value"] if isinstance(f["value"], list) else []
            f["chosen"] = [names[v] for v in values if v in names] + [
                {"username": v, "full_name": v} for v in values if v not in names
            ]
        elif f["type"] == "url_list":
            values = [v for v in (f["value"] or []) if isinstance(v, str)]
            f["items"] = values + [""] * (1 + extra_rows.get(f["id"], 0))
        elif f["type"] == "list":
            rows = webforms.list_rows(f, extra=1 + extra_rows.get(f["id"], 0))
            f["rows"] = [
                [
                    {
                        **sub,
                        "widget": widget_of(sub),
                        "name": f"{f['id']}.{index}.{sub['id']}",
                        "html_id": f"f-{f['id']}-{index}-{sub['id']}",
                        "value": row.get(sub["id"]),
                        "errors": errors.get(f"{f['id']}.{index}.{sub['id']}", []),
                    }
                    for sub in f.get("fields", [])
                ]
                for index, row in enumerate(rows)
            ]
            f["row_errors"] = [m for index in range(len(rows)) for m in errors.get(f"{f['id']}.{index}", [])]
    return fields


def _task_of(assignment: Assignment) -> Any:
    return model_for(assignment.instance.process).user_tasks.get(assignment.key)


def _earlier_steps(assignment: Assignment, labels: dict, options: dict) -> list[dict[str, Any]]:
    done = (
        assignment.instance.assignments.filter(status=AssignmentStatus.DONE)
        .exclude(pk=assignment.pk)
        .select_related("completed_by")
        .order_by("completed_at", "pk")
    )
    return [{"assignment": a, "rows": present_data(a.data, labels, options)} for a in done]


def _assignment_page(
    request: HttpRequest,
    assignment: Assignment,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    warnings: dict[str, list[str]] | None = None,
    notice: str = "",
    delegate_errors: dict[str, list[str]] | None = None,
    extra_rows: dict[str, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    instance = assignment.instance
    model = model_for(instance.process)
    task = model.user_tasks.get(assignment.key)
    labels, options, _types = _labels(model)
    form_def = task.form if task else forms.FormDefinition()
    can_act = assignment.is_open and access.may_complete(request.user, assignment)
    if values is None:
        values = forms.initial_values(form_def, instance.variables) if assignment.is_open else assignment.data
    fields = prepare_fields(forms.to_api(form_def, values), errors or {}, extra_rows=extra_rows)
    for f in fields:
        f["warnings"] = (warnings or {}).get(f["id"], [])
    earlier = _earlier_steps(assignment, labels, options)
    notes = History.objects.filter(
        assignment=assignment, event__in=[HistoryEvent.DELEGATED, HistoryEvent.REASSIGNED]
    ).select_related("actor")
    context = {
        "assignment": assignment,
        "instance": instance,
        "definition": instance.process.definition,
        "task": task,
        "fields": fields,
        "errors": errors or {},
        "warnings": warnings or {},
        "context": {"steps": earlier, "variables": instance.variables, "instance_title": instance.title},
        "earlier": earlier,
        "notes": notes,
        "documents": _documents(labels, *[a.data for a in [s["assignment"] for s in earlier]], instance.variables),
        "submitted": present_data(assignment.data, labels, options) if not assignment.is_open else [],
        "can_act": can_act,
        "form_template": (task.properties.get("form_template") if task else None) or None,
        "has_buttons": any(f["widget"] == "buttons" for f in fields),
        "notice": notice,
        "delegate_errors": delegate_errors or {},
        "delegate_values": request.POST if delegate_errors else {},
        "overdue": assignment.is_overdue(),
        "may_see_instance": access.visible_instances(request.user).filter(pk=instance.pk).exists(),
    }
    return render(request, "engine/assignment.html", context, status=status)


def _get_assignment(request: HttpRequest, pk: int) -> Assignment:
    try:
        return access.get_assignment_for_user(request.user, pk)
    except access.NotFound:
        raise Http404(_("Задание не найдено.")) from None


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "engine/refused.html", {"message": message}, status=403)


@require_http_methods(["GET", "POST"])
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """An assignment: its place in the process, what came before, and its form.

    A second POST of the same form (double click, or a page left open) finds the assignment done:
    the service refuses with ``Conflict`` and the page says plainly that it is already completed.
    """
    item = _get_assignment(request, pk)
    if request.method == "GET":
        return _assignment_page(request, item)
    task = _task_of(item)
    form_def = task.form if task else forms.FormDefinition()
    data = webforms.parse_post(form_def, request.POST)
    add_row = request.POST.get("_add_row")
    if item.is_open and (request.POST.get("_noop") or (add_row and form_def.field(add_row) is not None)):
        # "Ещё строка" without JavaScript (and Enter pressed in a text box): the same form again,
        # values kept, one more blank row; nothing is submitted to the process.
        return _assignment_page(request, item, values=data, extra_rows={add_row: 1} if add_row else None)
    try:
        done = services.complete(
            item.pk, by=request.user, data=data, confirm_warnings=bool(request.POST.get("confirm_warnings"))
        )
    except services.InvalidInput as error:
        return _assignment_page(request, item, values=data, errors=error.errors, warnings=error.warnings, status=400)
    except services.Conflict:
        item.refresh_from_db()
        return _assignment_page(
            request,
            item,
            notice=_("Это задание уже выполнено или отменено — повторно отправить его нельзя."),
            status=409,
        )
    except services.NotAllowed as error:
        return _forbidden(request, error.message)
    messages.success(request, _("Задание «%(title)s» выполнено.") % {"title": done.title})
    me = access.employee_of(request.user)
    following = (
        Assignment.objects.filter(instance_id=done.instance_id, status=AssignmentStatus.OPEN, assignee=me)
        .order_by("created_at", "pk")
        .first()
        if me
        else None
    )
    if following is not None:
        return redirect("assignment", pk=following.pk)
    return redirect("assignments")


@require_POST
def assignment_delegate(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the assignment to a colleague with a comment."""
    item = _get_assignment(request, pk)
    try:
        services.delegate(
            item.pk, by=request.user, to=request.POST.get("to", "").strip(), comment=request.POST.get("comment", "")
        )
    except services.InvalidInput as error:
        return _assignment_page(request, item, delegate_errors=error.errors, status=400)
    except services.Conflict:
        item.refresh_from_db()
        return _assignment_page(
            request, item, notice=_("Это задание уже выполнено или отменено — передать его нельзя."), status=409
        )
    except services.NotAllowed as error:
        return _forbidden(request, error.message)
    item.refresh_from_db()
    messages.success(
        request,
        _("Задание «%(title)s» передано: %(name)s.") % {"title": item.title, "name": item.assignee.full_name},
    )
    return redirect("assignments")


@require_GET
def employee_search(request: HttpRequest) -> HttpResponse:
    """Active employees whose name or username contains the query (any case, Cyrillic too).

    Serves the pickers: ``field`` names the form field the results are for; ``multi=1`` answers
    with checkboxes for an ``employees`` field, otherwise with ``<option>``s for a datalist.
    """
    field = request.GET.get("field", "")
    query = (request.GET.get("q") or request.GET.get(f"_search.{field}") or request.GET.get(field) or "").strip()
    people = employee_matches(query)
    template = "engine/_employee_checkboxes.html" if request.GET.get("multi") else "engine/_employee_options.html"
    return render(request, template, {"people": people, "name": field})


def employee_matches(query: str, limit: int = 20) -> list[Employee]:
    # In Python rather than SQL: SQLite folds only ASCII case, and a department is a few hundred people.
    needle = query.casefold()
    result = []
    for person in directory.active_employees().order_by("full_name"):
        if not needle or needle in person.full_name.casefold() or needle in person.user.username.casefold():
            result.append(person)
            if len(result) >= limit:
                break
    return result


# ------------------------------------------------------------------------------------------ instances


def diagram_states(instance: Instance, now: datetime) -> dict[str, str]:
    """done = completed steps, current = open assignments, overdue = open past their deadline."""
    states: dict[str, str] = {}
    for key in (
        instance.history.filter(
            event__in=[HistoryEvent.COMPLETED, HistoryEvent.SERVICE, HistoryEvent.TIMER, HistoryEvent.REMINDER]
        )
        .exclude(key="")
        .values_list("key", flat=True)
    ):
        states[key] = "done"
    for a in instance.assignments.all():
        if a.status == AssignmentStatus.DONE:
            states.setdefault(a.key, "done")
    for a in instance.assignments.filter(status=AssignmentStatus.OPEN):
        states[a.key] = "overdue" if a.is_overdue(now) else "current"
    return states


def _svg(xml: str, states: dict[str, str] | None = None) -> str | None:
    try:
        return diagram.render_svg(xml.encode(), states=states or {})
    except ValueError:
        return None


@require_GET
def instance(request: HttpRequest, pk: int) -> HttpResponse:
    """An instance: its diagram with the state of each step, the history, documents and variables."""
    try:
        item = access.get_instance_for_user(request.user, pk)
    except access.NotFound:
        raise Http404(_("Процесс не найден.")) from None
    now = timezone.now()
    model = model_for(item.process)
    labels, options, _types = _labels(model)
    steps = list(item.assignments.select_related("assignee", "completed_by").order_by("created_at", "pk"))
    history = list(item.history.select_related("actor", "assignment").order_by("at", "pk"))
    timeline = []
    for entry in history:
        data = entry.data or {}
        details = []
        if entry.event == HistoryEvent.COMPLETED:
            details = present_data(data, labels, options)
        elif entry.event in (HistoryEvent.DELEGATED, HistoryEvent.REASSIGNED):
            details = [
                {"label": _("Кому"), "items": [{"text": data.get("to", ""), "url": None}]},
                *(
                    [{"label": _("Комментарий"), "items": [{"text": data["comment"], "url": None}]}]
                    if data.get("comment")
                    else []
                ),
            ]
        elif entry.event in (HistoryEvent.STOPPED, HistoryEvent.FINISHED):
            outcome = data.get("outcome")
            details = (
                [{"label": _("Итог"), "items": [{"text": _outcome_label(outcome), "url": None}]}] if outcome else []
            )
            if data.get("reason"):
                details.append({"label": _("Причина"), "items": [{"text": data["reason"], "url": None}]})
        elif entry.event == HistoryEvent.REFUSED:
            details = [
                {"label": _(labels.get(k, k)), "items": [{"text": "; ".join(v), "url": None}]}
                for k, v in (data.get("errors") or {}).items()
            ]
        timeline.append({"entry": entry, "details": details})
    context = {
        "instance": item,
        "definition": item.process.definition,
        "svg": _svg(item.process.xml, diagram_states(item, now)),
        "steps": [(a, a.is_overdue(now)) for a in steps],
        "timeline": timeline,
        "documents": _documents(labels, item.variables, *[a.data for a in steps]),
        "variables": present_data(item.variables, labels, options),
        "may_stop": item.running and access.may_stop(request.user, item),
        "company": _company_link(item),
    }
    return render(request, "engine/instance.html", context)


def _outcome_label(outcome: str | None) -> str:
    from engine.models import Outcome

    return str(Outcome(outcome).label) if outcome in Outcome.values else (outcome or "")


def _company_link(item: Instance) -> dict[str, Any] | None:
    try:
        from api.processes import company_of

        company_id = company_of(item)
    except Exception:  # the crm app may not be there yet
        return None
    if company_id is None:
        return None
    try:
        return {"id": company_id, "url": reverse("company", args=[company_id])}
    except Exception:
        return {"id": company_id, "url": None}


@require_POST
def instance_stop(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop a running instance (its starter or an administrator), with a reason."""
    try:
        access.get_instance_for_user(request.user, pk)
    except access.NotFound:
        raise Http404(_("Процесс не найден.")) from None
    try:
        services.stop(pk, by=request.user, reason=request.POST.get("reason", "").strip())
    except services.NotAllowed as error:
        return _forbidden(request, error.message)
    except services.Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Процесс остановлен."))
    return redirect("instance", pk=pk)


# ------------------------------------------------------------------------------------------ processes


def startable(user: Any) -> list[ProcessDefinition]:
    """The processes this user may start by hand (the feed's and the processes page's buttons)."""
    return [
        d
        for d in ProcessDefinition.objects.select_related("current").exclude(current=None).order_by("name")
        if access.may_start(user, d)
    ]


@require_GET
def processes(request: HttpRequest) -> HttpResponse:
    """Every deployed process: version, diagram, schedule, and a start button for those who may."""
    definitions = ProcessDefinition.objects.select_related("current").exclude(current=None).order_by("name")
    schedules = {s.definition_id: s for s in Schedule.objects.all()}
    items = []
    for d in definitions:
        props = d.current.properties or {}
        items.append(
            {
                "definition": d,
                "version": d.current,
                "svg": _svg(d.current.xml),
                "schedule": schedules.get(d.pk),
                "schedule_quarter": props.get("schedule_quarter"),
                "may_start": access.may_start(request.user, d),
                "asks_quarter": props.get("unique_by") == "quarter",
                "description": props.get("description", ""),
            }
        )
    return render(request, "engine/processes.html", {"items": items})


@require_POST
def process_start(request: HttpRequest, key: str) -> HttpResponse:
    """Start a process by hand; the starter lands on their first assignment when there is one."""
    variables = {}
    quarter = request.POST.get("quarter", "").strip()
    if quarter:
        variables["quarter"] = quarter
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    try:
        started = services.start(key, by=request.user, variables=variables)
    except services.NotFound:
        raise Http404(_("Нет такого процесса.")) from None
    except services.NotAllowed as error:
        return _forbidden(request, error.message)
    except services.InvalidInput as error:
        for field_id, problems in error.errors.items():
            for problem in problems:
                messages.error(request, f"{field_id}: {problem}")
        return redirect(back or "processes")
    except services.Conflict as error:
        messages.error(request, error.message)
        return redirect(back or "processes")
    messages.success(request, _("Процесс «%(title)s» запущен.") % {"title": started.title})
    me = access.employee_of(request.user)
    first = started.assignments.filter(status=AssignmentStatus.OPEN, assignee=me).order_by("pk").first() if me else None
    if first is not None:
        return redirect("assignment", pk=first.pk)
    return redirect("instance", pk=started.pk)


# ------------------------------------------------------------------------------------------ the feed


FEED_EVENTS = (HistoryEvent.STARTED, HistoryEvent.FINISHED, HistoryEvent.STOPPED, HistoryEvent.COMPLETED)


def feed_events(user: Any, limit: int = 30) -> list[dict[str, Any]]:
    """Recent events this user may see: processes started and finished, assignments done, companies added."""
    events = []
    for h in (
        History.objects.filter(instance__in=access.visible_instances(user).values("pk"), event__in=FEED_EVENTS)
        .exclude(event=HistoryEvent.COMPLETED, assignment__isnull=True)
        .select_related("actor", "instance", "assignment")
        .order_by("-at", "-pk")[:limit]
    ):
        events.append(
            {"at": h.at, "kind": h.event, "history": h, "outcome": _outcome_label((h.data or {}).get("outcome"))}
        )
    events.extend(_company_events(limit))
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def _company_events(limit: int) -> list[dict[str, Any]]:
    from django.apps import apps

    try:
        company_model = apps.get_model("crm", "Company")
        companies = list(company_model.objects.order_by("-created_at")[:limit])
    except Exception:  # the crm app has no companies yet
        return []
    result = []
    for company in companies:
        try:
            url = reverse("company", args=[company.pk])
        except Exception:
            url = None
        result.append({"at": company.created_at, "kind": "company", "company": company, "url": url})
    return result


def my_open_assignments(user: Any, limit: int = 5) -> tuple[list[tuple[Assignment, bool]], int]:
    me = access.employee_of(user)
    if me is None:
        return [], 0
    qs = Assignment.objects.filter(assignee=me, status=AssignmentStatus.OPEN).select_related(
        "instance__process__definition"
    )
    now = timezone.now()
    rows = list(qs.order_by(F("due_at").asc(nulls_last=True), "pk")[:limit])
    return [(a, a.is_overdue(now)) for a in rows], qs.count()


def feed_context(request: HttpRequest) -> dict[str, Any]:
    """What the feed («Лента») shows; the page itself is ``org.views.home``."""
    mine, my_count = my_open_assignments(request.user)
    return {
        "events": feed_events(request.user),
        "startable": startable(request.user),
        "my_assignments": mine,
        "my_count": my_count,
    }
