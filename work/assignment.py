"""An assignment's page: its place in the process, what came before, and its form; delegating it.

A second POST of the same form (double click, or a page left open) finds the assignment done: the
service refuses with ``Conflict`` and the page says plainly that it is already completed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from base.errors import Conflict, Invalid
from engine import access, actions, forms, queries
from engine.definitions import model_for
from engine.documents import instance_documents
from engine.models import (
    Assignment,
    AssignmentStatus,
    History,
    HistoryEvent,
)
from org.access import employee_of
from work import webforms
from work.present import documents_in, labels_of, prepare_fields, present_data


def _task_of(assignment: Assignment) -> Any:
    return model_for(assignment.instance.process).user_tasks.get(assignment.key)


def _earlier_steps(assignment: Assignment, labels: dict, options: dict, types: dict) -> list[dict[str, Any]]:
    done = (
        assignment.instance.assignments.filter(status=AssignmentStatus.DONE)
        .exclude(pk=assignment.pk)
        .select_related("completed_by")
        .order_by("completed_at", "pk")
    )
    return [{"assignment": a, "rows": present_data(a.data, labels, options, types)} for a in done]


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
    labels, options, types = labels_of(model)
    form_def = task.form if task else forms.FormDefinition()
    can_act = assignment.is_open and access.may_complete(request.user, assignment)
    if values is None:
        values = queries.form_values(assignment, form_def)
    fields = prepare_fields(forms.to_api(form_def, values), errors or {}, extra_rows=extra_rows)
    for f in fields:
        f["warnings"] = (warnings or {}).get(f["id"], [])
    earlier = _earlier_steps(assignment, labels, options, types)
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
        "documents": documents_in(labels, *[a.data for a in [s["assignment"] for s in earlier]], instance.variables),
        "submitted": present_data(assignment.data, labels, options, types) if not assignment.is_open else [],
        "stored_documents": instance_documents(instance),
        "step_names": {key: t.title for key, t in model.user_tasks.items()},
        "can_act": can_act,
        "form_template": (task.properties.get("form_template") if task else None) or None,
        "has_buttons": any(f["widget"] == "buttons" for f in fields),
        "notice": notice,
        "delegate_errors": delegate_errors or {},
        "delegate_values": request.POST if delegate_errors else {},
        "overdue": assignment.is_overdue(),
        "may_see_instance": access.visible_instances(request.user).filter(pk=instance.pk).exists(),
    }
    return render(request, "work/assignment.html", context, status=status)


def _get_assignment(request: HttpRequest, pk: int) -> Assignment:
    return access.get_assignment_for_user(request.user, pk)


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
    post, upload_errors = webforms.take_uploads(form_def, request.POST, request.FILES, by=employee_of(request.user))
    data = webforms.parse_post(form_def, post)
    add_row = request.POST.get("_add_row")
    if item.is_open and (request.POST.get("_noop") or (add_row and form_def.field(add_row) is not None)):
        # "Ещё строка" without JavaScript (and Enter pressed in a text box): the same form again,
        # values kept, one more blank row; nothing is submitted to the process.
        return _assignment_page(
            request, item, values=data, errors=upload_errors, extra_rows={add_row: 1} if add_row else None
        )
    if upload_errors:
        return _assignment_page(request, item, values=data, errors=upload_errors, status=400)
    try:
        done = actions.complete(
            item.pk, by=request.user, data=data, confirm_warnings=bool(request.POST.get("confirm_warnings"))
        )
    except Invalid as error:
        return _assignment_page(request, item, values=data, errors=error.errors, warnings=error.warnings, status=400)
    except Conflict:
        item.refresh_from_db()
        return _assignment_page(
            request,
            item,
            notice=_("Это задание уже выполнено или отменено — повторно отправить его нельзя."),
            status=409,
        )
    messages.success(request, _("Задание «%(title)s» выполнено.") % {"title": done.title})
    me = employee_of(request.user)
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
        actions.delegate(
            item.pk, by=request.user, to=request.POST.get("to", "").strip(), comment=request.POST.get("comment", "")
        )
    except Invalid as error:
        return _assignment_page(request, item, delegate_errors=error.errors, status=400)
    except Conflict:
        item.refresh_from_db()
        return _assignment_page(
            request, item, notice=_("Это задание уже выполнено или отменено — передать его нельзя."), status=409
        )
    item.refresh_from_db()
    messages.success(
        request,
        _("Задание «%(title)s» передано: %(name)s.") % {"title": item.title, "name": item.assignee.full_name},
    )
    return redirect("assignments")
