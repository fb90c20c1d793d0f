"""Plain tasks: create, complete, comment. A task a process waits for moves the process on.

The engine reaches this app only through its hook registry (:class:`ProcessTasks`, registered when
the app is ready): a step of ``kind=task`` opens a task here, and completing it calls
``engine.actions.resume_after_task``. Deactivating an employee hands their open tasks to the same
successor the engine gives their assignments (``org.directory.successor``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base import clock, texts
from base.errors import Conflict, Forbidden, Invalid, NotFound
from engine import actions
from engine.hooks import PlainTask
from notify.models import Kind
from notify.services import notify
from notify.texts import Phrase
from org import directory
from org.access import is_administrator
from org.models import Employee
from tasks.models import Task, TaskComment, TaskStatus


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
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Обязательное поле")]
    for name, value, limit in (("title", title, texts.MAX_TITLE), ("description", description, texts.MAX_TEXT)):
        problems = texts.text_problems(value, limit)
        if problems:
            errors.setdefault(name, []).extend(problems)
    if responsible is None or not responsible.is_active:
        errors["responsible"] = [_("Сотрудник не найден или неактивен")]
    if errors:
        raise Invalid(errors)
    task = Task.objects.create(
        title=title,
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
        Phrase(gettext_noop("Новая задача: «%(title)s»"), title=task.title),
        url=task.get_absolute_url(),
        task=task,
        instance=instance,
    )
    return task


def complete_task(task_id: int, *, by: Any) -> Task:
    """Only the responsible person (or their deputy, or an administrator) completes a task; once."""
    actor = getattr(by, "employee", None)
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("responsible").filter(pk=task_id).first()
        if task is None:
            raise NotFound(_("Задача не найдена."))
        if not (is_administrator(by) or (actor is not None and directory.may_act_for(actor, task.responsible))):
            raise Forbidden(_("Выполнить задачу может только ответственный."))
        if task.status != TaskStatus.OPEN:
            raise Conflict(_("Задача уже выполнена."))
        task.status = TaskStatus.DONE
        task.completed_at = clock.now()
        task.completed_by = actor
        task.save(update_fields=["status", "completed_at", "completed_by"])
        if task.instance_id and task.process_task_id:
            actions.resume_after_task(
                task.instance_id, task.process_task_id, actor=actor, data={"task": task.pk, "title": task.title}
            )
    return task


def add_comment(task: Task, *, author: Employee, text: str) -> TaskComment:
    """A comment of at most ``base.texts.MAX_TEXT`` characters: a longer one is refused, not cut."""
    if not (text or "").strip():
        raise Invalid({"text": [_("Обязательное поле")]})
    problems = texts.text_problems(text, texts.MAX_TEXT)
    if problems:
        raise Invalid({"text": problems})
    return TaskComment.objects.create(task=task, author=author, text=text.strip(), created_at=clock.now())


class ProcessTasks:
    """The engine's plain-task steps (``engine.hooks.PlainTasks``): a task the process waits for."""

    def open(self, task: PlainTask) -> None:
        # The title is the step's, rendered from the process's variables: shortened, never refused,
        # so a long name in a card cannot stop the process (a person's title is refused instead).
        create_task(created_by=None, **{**vars(task), "title": task.title.strip()[: texts.MAX_TITLE]})

    def waiting(self, instance: Any) -> set[str]:
        return set(Task.objects.filter(instance=instance).values_list("process_task_id", flat=True))

    def close(self, instance: Any, now: datetime) -> None:
        Task.objects.filter(instance=instance, status=TaskStatus.OPEN).exclude(process_task_id="").update(
            status=TaskStatus.DONE, completed_at=now
        )


def hand_over_open_tasks(employee: Employee) -> int:
    """A deactivated employee's open tasks go to their successor; returns how many moved."""
    target = directory.successor(employee)
    if target is None:
        return 0
    return Task.objects.filter(responsible=employee, status=TaskStatus.OPEN).update(responsible=target)
