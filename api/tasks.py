"""Tasks (задачи), api.md: list, read, create, complete, comment. Thin over ``tasks.services``; who may
see a task is ``tasks.access`` (the pages use the same check), and the input is checked by the same
form as the page's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from api.schemas import Id, LongText, Moment, Page, PageQuery, Title, choice, links, page_of, refusals
from base import clock
from base.errors import Forbidden, Invalid
from org.access import employee_of
from tasks import access
from tasks.forms import TaskForm
from tasks.models import Task, TaskComment, TaskStatus
from tasks.queries import TaskFilter
from tasks.services import add_comment, complete_task, create_task

router = Router(tags=["tasks"])


class CommentOut(Schema):
    id: int
    author: str = Field(description="Автор (имя пользователя).")
    text: str
    created_at: datetime


class TaskOut(Schema):
    """A task (задача) as the list shows it."""

    id: int
    title: str
    description: str
    responsible: str = Field(description="Ответственный (имя пользователя).")
    created_by: str | None = Field(description="Автор (имя пользователя); null — поставлена процессом.")
    created_at: datetime
    deadline: datetime | None
    status: TaskStatus
    completed_at: datetime | None
    completed_by: str | None
    instance: int | None = Field(description="Номер процесса, к которому относится задача.")
    overdue: bool
    url: str = Field(description="Страница задачи.")


class TaskDetail(TaskOut):
    """A task with what the caller may do with it and its comments."""

    may_complete: bool = Field(description="Может ли вызывающий отметить её выполненной.")
    comments: list[CommentOut]


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
    title: Title = ""
    description: LongText = ""
    responsible: str = Field("", description="Ответственный (имя пользователя).")
    deadline: Moment | None = None
    instance: Id | None = Field(None, description="Номер процесса, из карточки которого задача будет видна.")


class CommentIn(Schema):
    text: LongText = ""


TaskStatusParam = choice(TaskStatus.values)


class TaskQuery(PageQuery):
    """The parameters of ``GET /tasks``: what ``tasks.queries.TaskFilter`` filters by."""

    responsible: str | None = Field(None, description="Ответственный: имя пользователя или me.")
    created_by: str | None = Field(None, description="Автор: имя пользователя или me.")
    status: TaskStatusParam = Field(None, description="Состояние; пусто — любое.")
    instance: Id | None = Field(None, description="Номер процесса.")

    def spec(self) -> TaskFilter:
        return TaskFilter(
            responsible=self.responsible or "",
            created_by=self.created_by or "",
            status=self.status or "",
            instance=self.instance,
        )


@router.get("/tasks", response={200: Page[TaskOut], **refusals(400)})
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    """Tasks the caller may see, open ones first and the nearest deadline first."""
    now = clock.now()
    return page_of(query.window(query.spec().apply(request.user)), lambda task: task_out(task, now=now))


@router.get("/tasks/{task_id}", response={200: TaskDetail, **refusals(400, 404)})
def get_task(request: HttpRequest, task_id: Id) -> dict[str, Any]:
    return task_out(_task(request, task_id), full=True, user=request.user)


_TASK = {"task_id": "$response.body#/id"}


@router.post(
    "/tasks",
    response={201: TaskDetail, **refusals(400, 403)},
    openapi_extra=links(
        201, tasks_get_task=_TASK, tasks_complete=_TASK, tasks_list_comments=_TASK, tasks_create_comment=_TASK
    ),
)
def new_task(request: HttpRequest, payload: TaskIn) -> Status:
    """A plain task for a colleague (or oneself); the responsible person is notified. 403 for a
    caller who is not an employee (an administrator without a person)."""
    author = employee_of(request.user)
    if author is None:
        raise Forbidden(_("Создавать задачи могут только сотрудники."))
    form = TaskForm(payload.dict(), user=request.user)
    if not form.is_valid():
        raise Invalid(form.errors_by_field())
    task = create_task(created_by=author, **form.cleaned_data)
    return Status(201, task_out(access.get_task_for_user(request.user, task.pk), full=True, user=request.user))


@router.post("/tasks/{task_id}/complete", response={200: TaskDetail, **refusals(400, 403, 404, 409)})
def complete(request: HttpRequest, task_id: Id) -> dict[str, Any]:
    """200 with the task; 403 unless the responsible person (or deputy, or an administrator); 409 when
    already done. A task a process waits for moves the process on."""
    _task(request, task_id)
    complete_task(task_id, by=request.user)
    return task_out(access.get_task_for_user(request.user, task_id), full=True, user=request.user)


@router.get("/tasks/{task_id}/comments", response={200: Page[CommentOut], **refusals(400, 404)})
def list_comments(request: HttpRequest, task_id: Id) -> dict[str, Any]:
    """Every comment of the task, oldest first (a thread is short: not paged)."""
    task = _task(request, task_id)
    comments = [comment_out(c) for c in task.comments.select_related("author__user")]
    return {"items": comments, "count": len(comments)}


@router.post("/tasks/{task_id}/comments", response={201: CommentOut, **refusals(400, 403, 404)})
def create_comment(request: HttpRequest, task_id: Id, payload: CommentIn) -> Status:
    """400 for an empty text; 403 for a caller who is not an employee."""
    task = _task(request, task_id)
    author = employee_of(request.user)
    if author is None:
        raise Forbidden(_("Комментировать могут только сотрудники."))
    comment = add_comment(task, author=author, text=payload.text)
    return Status(201, comment_out(comment))


def _task(request: HttpRequest, task_id: int) -> Task:
    return access.get_task_for_user(request.user, task_id)
