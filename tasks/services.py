"""Plain tasks: create, complete, comment. A task a process waits for moves the process on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from engine import clock
from notify.models import Kind
from notify.services import notify
from org.models import Employee
from soglasie.permissions import is_administrator
from tasks.models import Task, TaskComment, TaskStatus


class TaskError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class TaskNotAllowed(TaskError):
    status = 403


class TaskConflict(TaskError):
    status = 409


def task_url(task: Task) -> str:
    return f"/tasks/{task.pk}/"


def create_task(
    *,
    title: str,
    responsible: Employee,
    created_by: Employee | None,
    description: str = "",
    deadline: datetime | None = None,
    instance: Any = None,
    process_task_id: str = "",
    now: datetime | None = None,
) -> Task:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Обязательное поле")]
    if responsible is None or not responsible.is_active:
        errors["responsible"] = [_("Сотрудник не найден или неактивен")]
    if errors:
        raise TaskError(_("Проверьте введённые данные."), errors)
    task = Task.objects.create(
        title=title.strip()[:300],
        description=description,
        responsible=responsible,
        created_by=created_by,
        deadline=deadline,
        instance=instance,
        process_task_id=process_task_id,
        created_at=now or clock.now(),
    )
    notify(
        responsible,
        Kind.TASK,
        _("Новая задача: «%(title)s»") % {"title": task.title},
        url=task_url(task),
        task=task,
        instance=instance,
    )
    return task


def create_process_task(
    *,
    instance: Any,
    process_task_id: str,
    title: str,
    description: str,
    responsible: Employee,
    deadline: datetime | None,
    now: datetime,
) -> Task:
    """The step of a process that is a plain task: the process waits until it is done."""
    return create_task(
        title=title,
        responsible=responsible,
        created_by=None,
        description=description,
        deadline=deadline,
        instance=instance,
        process_task_id=process_task_id,
        now=now,
    )


def complete_task(task_id: int, *, by: Any) -> Task:
    """Only the responsible person (or their deputy, or an administrator) completes a task; once."""
    actor = getattr(by, "employee", None)
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("responsible").filter(pk=task_id).first()
        if task is None:
            raise TaskError(_("Задача не найдена."))
        allowed = is_administrator(by) or (
            actor is not None and (actor.pk == task.responsible_id or task.responsible.deputy_id == actor.pk)
        )
        if not allowed:
            raise TaskNotAllowed(_("Выполнить задачу может только ответственный."))
        if task.status != TaskStatus.OPEN:
            raise TaskConflict(_("Задача уже выполнена."))
        task.status = TaskStatus.DONE
        task.completed_at = clock.now()
        task.completed_by = actor
        task.save(update_fields=["status", "completed_at", "completed_by"])
        if task.instance_id and task.process_task_id:
            from engine.services import complete_process_task

            complete_process_task(task, actor=actor)
    return task


def add_comment(task: Task, *, author: Employee, text: str) -> TaskComment:
    if not (text or "").strip():
        raise TaskError(_("Проверьте введённые данные."), {"text": [_("Обязательное поле")]})
    return TaskComment.objects.create(task=task, author=author, text=text.strip(), created_at=clock.now())
