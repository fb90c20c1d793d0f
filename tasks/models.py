"""Plain tasks (задачи): a to-do with a responsible person and a deadline.

A process step may create one and wait for it (``kind=task`` in the BPMN file): ``process_task_id``
then names the SpiffWorkflow task that completes when this task is done.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from base import clock
from org.models import Employee


class TaskStatus(models.TextChoices):
    OPEN = "open", _("открыта")
    DONE = "done", _("выполнена")


class Task(models.Model):
    title = models.CharField(_("название"), max_length=300)
    description = models.TextField(_("описание"), blank=True)
    responsible = models.ForeignKey(
        Employee, verbose_name=_("ответственный"), on_delete=models.PROTECT, related_name="tasks"
    )
    created_by = models.ForeignKey(
        Employee, verbose_name=_("автор"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("создана"), default=clock.now)
    deadline = models.DateTimeField(_("срок"), null=True, blank=True)
    status = models.CharField(_("состояние"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(_("выполнена"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Employee, verbose_name=_("выполнил"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    instance = models.ForeignKey(
        "engine.Instance",
        verbose_name=_("процесс"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    process_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("задача")
        verbose_name_plural = _("задачи")
        ordering = ["status", "deadline", "-pk"]
        indexes = [models.Index(fields=["responsible", "status", "deadline"], name="task_responsible")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("task", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class TaskComment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("комментарий"))
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
