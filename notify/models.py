"""In-app notifications and the e-mail outbox.

A notification is written in the same transaction as the step that caused it; its e-mail is an
outbox row that the worker sends after the commit. A failed send is retried with backoff and never
touches the in-app notification.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock
from org.models import Employee


class Kind(models.TextChoices):
    ASSIGNED = "assigned", _("Новое задание")
    REMINDER = "reminder", _("Напоминание")
    OVERDUE = "overdue", _("Просрочено")
    REASSIGNED = "reassigned", _("Задание переназначено")
    PROCESS_STARTED = "process_started", _("Процесс запущен")
    PROCESS_FINISHED = "process_finished", _("Процесс завершён")
    TASK = "task", _("Новая задача")
    COMPANY_CREATED = "company_created", _("Контрагент добавлен")
    COMMENT = "comment", _("Комментарий")
    COMPANY_STATUS = "company_status", _("Статус контрагента")


#: Kinds that are also sent by e-mail.
MAILED_KINDS = {Kind.ASSIGNED, Kind.REMINDER, Kind.OVERDUE, Kind.REASSIGNED, Kind.COMMENT, Kind.COMPANY_STATUS}


class Notification(models.Model):
    recipient = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.TextField()
    #: The phrase behind ``text`` (``notify.texts.Phrase``), rendered again for a reader of another language.
    message = models.JSONField(default=list, blank=True, editable=False)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    assignment = models.ForeignKey(
        "engine.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    instance = models.ForeignKey(
        "engine.Instance", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def shown_text(self) -> str:
        """The text in the reader's language (``notify.texts.shown``)."""
        from notify.texts import shown

        return shown(self)

    @property
    def read(self) -> bool:
        return self.read_at is not None

    def mark_read(self) -> None:
        """Record when it was first read; reading it again keeps that time."""
        if self.read_at is None:
            self.read_at = clock.now()
            self.save(update_fields=["read_at"])


class OutboxEmail(models.Model):
    """One e-mail to send. Claimed by one worker at a time; sent once."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="email")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    #: An HTML alternative, for mails with buttons (the decisions of an ``assigned`` mail); else empty.
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    next_attempt_at = models.DateTimeField(default=clock.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("письмо")
        verbose_name_plural = _("исходящие письма")
        indexes = [models.Index(fields=["sent_at", "gave_up_at", "next_attempt_at"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class DecisionLink(models.Model):
    """One button of an ``assigned`` e-mail: one outcome of one assignment, for its assignee, once.

    Only the SHA-256 of the token is stored, so the table alone opens nothing; the token itself is in
    the e-mail (and in its outbox row until the mail is sent). ``notify.links`` decides whether a
    link still holds: unused, not revoked (the assignment moved), before ``expires_at``, and its
    assignment still open and still the same person's.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    assignment = models.ForeignKey("engine.Assignment", on_delete=models.CASCADE, related_name="decision_links")
    assignee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=32)
    outcome = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ссылка решения из письма")
        verbose_name_plural = _("ссылки решений из писем")

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.outcome}"
