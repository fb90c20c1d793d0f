"""An instance's page: its diagram with the state of each step, the history, documents and variables."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from base import clock, words
from base.errors import Conflict
from crm.services import company_of
from discussion.views import thread_context
from engine import access, actions
from engine.definitions import model_for
from engine.documents import instance_documents
from engine.models import (
    AssignmentStatus,
    HistoryEvent,
    Instance,
    Outcome,
)
from files.hooks import owner
from org.directory import by_usernames
from reports import sheet
from work import diagram
from work.present import documents_in, labels_of, present_data, seen_documents

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


def _person_item(who: object) -> dict[str, object]:
    return {"text": words.person(who), "url": None, "title": words.position(who)}


@require_GET
def instance(request: HttpRequest, pk: int) -> HttpResponse:
    """An instance: its diagram with the state of each step, the history, documents, variables and
    its discussion."""
    item = access.get_instance_for_user(request.user, pk)
    now = clock.now()
    model = model_for(item.process)
    labels, options, types = labels_of(model)
    steps = list(item.assignments.select_related("assignee", "completed_by", "instead_of").order_by("created_at", "pk"))
    history = list(item.history.select_related("actor", "assignment").order_by("at", "pk"))
    moved_to = by_usernames(
        (e.data or {}).get("to", "") for e in history if e.event in (HistoryEvent.DELEGATED, HistoryEvent.REASSIGNED)
    )
    timeline = []
    for entry in history:
        if entry.assignment is not None:
            entry.assignment.instance = item  # named in the reader's language without a query of its own
        data = entry.data or {}
        details = []
        if entry.event == HistoryEvent.COMPLETED:
            details = present_data(data, labels, options, types) + seen_documents(data)
        elif entry.event in (HistoryEvent.DELEGATED, HistoryEvent.REASSIGNED):
            details = [
                {"label": _("Кому"), "items": [_person_item(moved_to.get(data.get("to", "")) or data.get("to", ""))]},
                *(
                    [{"label": _("Комментарий"), "items": [{"text": data["comment"], "url": None}]}]
                    if data.get("comment")
                    else []
                ),
            ]
        elif entry.event in (HistoryEvent.STOPPED, HistoryEvent.FINISHED):
            outcome = data.get("outcome")
            details = (
                [{"label": _("Итог"), "items": [{"text": Outcome.label_of(outcome), "url": None}]}] if outcome else []
            )
            if data.get("reason"):
                details.append({"label": _("Причина"), "items": [{"text": data["reason"], "url": None}]})
        elif entry.event == HistoryEvent.REFUSED:
            details = [
                {"label": _(labels.get(k, k)), "items": [{"text": "; ".join(v), "url": None}]}
                for k, v in (data.get("errors") or {}).items()
            ]
        elif entry.event == HistoryEvent.ASSIGNED and data.get("skipped"):
            names = ", ".join(person.get("name") or person.get("username", "") for person in data["skipped"])
            details = [{"label": _("Не согласует свою работу"), "items": [{"text": names, "url": None}]}]
        timeline.append({"entry": entry, "details": details})
    context = {
        "instance": item,
        "definition": item.process.definition,
        "svg": diagram.svg_or_none(item.process.xml, diagram_states(item, now), item.variables),
        "steps": [(a, a.is_overdue(now)) for a in steps],
        "timeline": timeline,
        "documents": documents_in(labels, item.variables, *[a.data for a in steps]),
        "stored_documents": instance_documents(item),
        "step_names": {key: task.title for key, task in model.user_tasks.items()},
        "variables": present_data(item.variables, labels, options, types, variables=True),
        "may_stop": item.running and access.may_stop(request.user, item),
        "company": company_of(item),
        "thread": thread_context(request.user, owner(access.THREAD, item.pk)),
    }
    return render(request, "work/instance.html", context)


@require_GET
def instance_sheet(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The approval sheet for a session user: the same file as ``GET /api/v1/instances/{id}/sheet.pdf``."""
    return sheet.download(access.get_instance_for_user(request.user, pk), fmt)


@require_POST
def instance_stop(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop a running instance (its starter or an administrator), with a reason."""
    access.get_instance_for_user(request.user, pk)
    try:
        actions.stop(pk, by=request.user, reason=request.POST.get("reason", "").strip())
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Процесс остановлен."))
    return redirect("instance", pk=pk)
