"""Processes, instances and assignments (the «Автоматизация» list) — api.md, thin over the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from base import clock, listing
from base.errors import Invalid
from crm.services import company_of
from engine import access, actions, forms
from engine.definitions import model_for
from engine.models import Assignment, AssignmentStatus, Instance, ProcessDefinition
from engine.queries import AssignmentFilter, InstanceFilter

router = Router(tags=["processes"])


# ---------------------------------------------------------------- serialising


def assignment_out(assignment: Assignment, *, full: bool = False, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    data: dict[str, Any] = {
        "id": assignment.pk,
        "key": assignment.key,
        "title": assignment.title,
        "process": assignment.instance.process_key,
        "instance": assignment.instance_id,
        "assignee": assignment.assignee.username,
        "status": assignment.status,
        "created_at": assignment.created_at,
        "due_at": assignment.due_at,
        "completed_at": assignment.completed_at,
        "completed_by": assignment.completed_by.username if assignment.completed_by else None,
        "overdue": assignment.is_overdue(now),
    }
    if full:
        data["form"], data["context"] = assignment_form(assignment)
    return data


def assignment_form(assignment: Assignment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The form to show (pre-filled while open, the submitted values once done) and the context:
    earlier steps' data and comments."""
    instance = assignment.instance
    model = model_for(instance.process)
    task = model.user_tasks.get(assignment.key)
    if task is None:
        return [], {}
    values = forms.initial_values(task.form, instance.variables) if assignment.is_open else assignment.data
    earlier = [
        {
            "key": done.key,
            "title": done.title,
            "completed_by": done.completed_by.username if done.completed_by else None,
            "completed_at": done.completed_at,
            "data": done.data,
        }
        for done in instance.assignments.filter(status=AssignmentStatus.DONE)
        .exclude(pk=assignment.pk)
        .select_related("completed_by__user")
        .order_by("completed_at", "pk")
    ]
    context = {"instance_title": instance.title, "variables": instance.variables, "steps": earlier}
    return forms.to_api(task.form, values), context


def instance_out(instance: Instance, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": instance.pk,
        "process": instance.process_key,
        "version": instance.process.version,
        "title": instance.title,
        "status": instance.status,
        "outcome": instance.outcome or None,
        "started_by": instance.started_by.username if instance.started_by else None,
        "started_at": instance.started_at,
        "finished_at": instance.finished_at,
        "variables": instance.variables,
        "company": company.pk if (company := company_of(instance)) else None,
    }
    if full:
        now = clock.now()
        data["assignments"] = [
            assignment_out(a, now=now)
            for a in instance.assignments.select_related("assignee__user", "completed_by__user", "instance").order_by(
                "created_at", "pk"
            )
        ]
        data["history"] = [
            {
                "at": h.at,
                "actor": h.actor.username if h.actor else None,
                "event": h.event,
                "key": h.key,
                "assignment": h.assignment_id,
                "data": h.data,
            }
            for h in instance.history.select_related("actor__user").order_by("at", "pk")
        ]
    return data


# ---------------------------------------------------------------- processes


class ProcessOut(Schema):
    key: str
    name: str
    version: int
    manual_start: bool


class StartIn(Schema):
    variables: dict[str, Any] = {}


@router.get("/processes", response=list[ProcessOut])
def list_processes(request: HttpRequest):
    result = []
    for definition in ProcessDefinition.objects.select_related("current").exclude(current=None).order_by("name"):
        result.append(
            {
                "key": definition.key,
                "name": definition.name,
                "version": definition.current.version,
                "manual_start": access.may_start(request.user, definition),
            }
        )
    return result


@router.post("/processes/{key}/start", response={201: dict})
def start_process(request: HttpRequest, key: str, payload: StartIn):
    instance = actions.start(key, by=request.user, variables=payload.variables)
    return Status(201, instance_out(instance))


# ---------------------------------------------------------------- instances


class StopIn(Schema):
    reason: str = ""


@router.get("/instances", response=dict)
def list_instances(
    request: HttpRequest,
    process: str | None = None,
    status: str | None = None,
    started_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    spec = InstanceFilter(process=process or "", status=status or "", started_by=started_by or "")
    rows = spec.apply(request.user).select_related("process", "started_by__user")
    found = listing.window(rows, **_page(limit, offset))
    return {"items": [instance_out(i, full=False) for i in found.items], "count": found.count}


@router.get("/instances/{instance_id}", response=dict)
def get_instance(request: HttpRequest, instance_id: int):
    return instance_out(_instance(request, instance_id))


@router.post("/instances/{instance_id}/stop", response=dict)
def stop_instance(request: HttpRequest, instance_id: int, payload: StopIn):
    _instance(request, instance_id)
    instance = actions.stop(instance_id, by=request.user, reason=payload.reason)
    return instance_out(instance)


def _instance(request: HttpRequest, instance_id: int) -> Instance:
    return access.get_instance_for_user(request.user, instance_id)


# ---------------------------------------------------------------- assignments


class CompleteIn(Schema):
    data: dict[str, Any] = {}
    confirm_warnings: bool = True


class DelegateIn(Schema):
    to: str
    comment: str = ""


@router.get("/assignments", response=dict)
def list_assignments(
    request: HttpRequest,
    assignee: str | None = None,
    status: str | None = None,
    name: str | None = None,
    process: str | None = None,
    instance: int | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    overdue: bool | None = None,
    order: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """The «Автоматизация» list: the same filter as the page (``engine.queries.AssignmentFilter``)."""
    spec = AssignmentFilter(
        assignee=assignee or "",
        status=status or "",
        title=name or "",
        process=process or "",
        instance=instance,
        due="overdue" if overdue else "",
        due_after=due_after,
        due_before=due_before,
        order=order or "",
    )
    now = clock.now()
    rows = spec.apply(request.user, now).select_related("instance", "assignee__user", "completed_by__user")
    found = listing.window(rows, **_page(limit, offset))
    return {"items": [assignment_out(a, now=now) for a in found.items], "count": found.count}


@router.get("/assignments/{assignment_id}", response=dict)
def get_assignment(request: HttpRequest, assignment_id: int):
    return assignment_out(_assignment(request, assignment_id), full=True)


@router.post("/assignments/{assignment_id}/complete", response=dict)
def complete_assignment(request: HttpRequest, assignment_id: int, payload: CompleteIn):
    _assignment(request, assignment_id)
    assignment = actions.complete(
        assignment_id, by=request.user, data=payload.data, confirm_warnings=payload.confirm_warnings
    )
    assignment.refresh_from_db()
    return assignment_out(assignment, full=True)


@router.post("/assignments/{assignment_id}/delegate", response=dict)
def delegate_assignment(request: HttpRequest, assignment_id: int, payload: DelegateIn):
    _assignment(request, assignment_id)
    assignment = actions.delegate(assignment_id, by=request.user, to=payload.to, comment=payload.comment)
    return assignment_out(assignment, full=False)


def _assignment(request: HttpRequest, assignment_id: int) -> Assignment:
    return access.get_assignment_for_user(request.user, assignment_id)


# ---------------------------------------------------------------- helpers


def _page(limit: int, offset: int) -> dict[str, int]:
    if limit < 1 or limit > listing.MAX_LIMIT:
        raise Invalid({"limit": [_("от 1 до 500")]})
    if offset < 0:
        raise Invalid({"offset": [_("не меньше 0")]})
    return {"limit": limit, "offset": offset}
