"""Tasks (задачи), api.md: list, read, create, complete, comment. Thin over ``tasks.services``; who may
see a task is ``tasks.access`` (the pages use the same check), and the input is checked by the same
form as the page's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from base import clock, listing
from base.errors import Forbidden, Invalid
from org.access import employee_of
from tasks import access
from tasks.forms import TaskForm
from tasks.models import Task, TaskComment, TaskStatus
from tasks.queries import TaskFilter
from tasks.services import add_comment, complete_task, create_task

router = Router(tags=["tasks"])


def task_out(task: Task, *, full: bool = False, user: Any = None, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    data: dict[str, Any] = {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "responsible": task.responsible.username,
        "created_by": task.created_by.username if task.created_by else None,
        "created_at": task.created_at,
        "deadline": task.deadline,
        "status": task.status,
        "completed_at": task.completed_at,
        "completed_by": task.completed_by.username if task.completed_by else None,
        "instance": task.instance_id,
        "overdue": bool(task.is_open and task.deadline and task.deadline <= now),
        "url": task.get_absolute_url(),
    }
    if full:
        data["may_complete"] = access.may_complete(user, task)
        data["comments"] = [comment_out(c) for c in task.comments.select_related("author__user")]
    return data


def comment_out(comment: TaskComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.author.username,
        "text": comment.text,
        "created_at": comment.created_at,
    }


class TaskIn(Schema):
    title: str = ""
    description: str = ""
    responsible: str = ""
    deadline: datetime | None = None
    instance: int | None = None


class CommentIn(Schema):
    text: str = ""


@router.get("/tasks", response=dict)
def list_tasks(
    request: HttpRequest,
    responsible: str | None = None,
    created_by: str | None = None,
    status: str | None = None,
    instance: int | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """Tasks the caller may see; ``responsible``/``created_by`` take a username or ``me``."""
    if status and status not in TaskStatus.values:
        raise Invalid({"status": [_("Допустимо: %(values)s") % {"values": ", ".join(TaskStatus.values)}]})
    if not 1 <= limit <= listing.MAX_LIMIT:
        raise Invalid({"limit": [_("от 1 до 500")]})
    if offset < 0:
        raise Invalid({"offset": [_("не меньше 0")]})
    spec = TaskFilter(
        responsible=responsible or "", created_by=created_by or "", status=status or "", instance=instance
    )
    found = listing.window(spec.apply(request.user), limit=limit, offset=offset)
    now = clock.now()
    return {"items": [task_out(t, now=now) for t in found.items], "count": found.count}


@router.get("/tasks/{task_id}", response=dict)
def get_task(request: HttpRequest, task_id: int):
    return task_out(_task(request, task_id), full=True, user=request.user)


@router.post("/tasks", response={201: dict})
def new_task(request: HttpRequest, payload: TaskIn):
    """A plain task for a colleague (or oneself); the responsible person is notified."""
    author = employee_of(request.user)
    if author is None:
        raise Forbidden(_("Создавать задачи могут только сотрудники."))
    form = TaskForm(payload.dict(), user=request.user)
    if not form.is_valid():
        raise Invalid(form.errors_by_field())
    task = create_task(created_by=author, **form.cleaned_data)
    return Status(201, task_out(access.get_task_for_user(request.user, task.pk), full=True, user=request.user))


@router.post("/tasks/{task_id}/complete", response=dict)
def complete(request: HttpRequest, task_id: int):
    """200 with the task; 403 unless the responsible person (or deputy, or an administrator); 409 when
    already done. A task a process waits for moves the process on."""
    _task(request, task_id)
    complete_task(task_id, by=request.user)
    return task_out(access.get_task_for_user(request.user, task_id), full=True, user=request.user)


@router.get("/tasks/{task_id}/comments", response=dict)
def list_comments(request: HttpRequest, task_id: int):
    task = _task(request, task_id)
    comments = [comment_out(c) for c in task.comments.select_related("author__user")]
    return {"items": comments, "count": len(comments)}


@router.post("/tasks/{task_id}/comments", response={201: dict})
def create_comment(request: HttpRequest, task_id: int, payload: CommentIn):
    task = _task(request, task_id)
    author = employee_of(request.user)
    if author is None:
        raise Forbidden(_("Комментировать могут только сотрудники."))
    comment = add_comment(task, author=author, text=payload.text)
    return Status(201, comment_out(comment))


def _task(request: HttpRequest, task_id: int) -> Task:
    return access.get_task_for_user(request.user, task_id)
