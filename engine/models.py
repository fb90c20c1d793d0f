"""What the engine keeps: process versions, instances with their SpiffWorkflow state, the open and
closed assignments, timers, scheduled starts and the history.

Everything an instance waits for is a row with an indexed time (``Timer.due_at``,
``Assignment.due_at``, ``ScheduledStart``), so the worker finds work with one indexed query and
claims it row by row.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Left
from django.utils.translation import gettext_lazy as _

from base import clock, words
from engine.forms import DECISION_FIELDS
from org.models import Employee


class ProcessDefinition(models.Model):
    """A process key (``trade_conditions``) and its current version."""

    key = models.SlugField(_("ключ"), max_length=100, unique=True)
    name = models.CharField(_("название"), max_length=200)
    current = models.ForeignKey(
        "ProcessVersion",
        verbose_name=_("текущая версия"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("процесс")
        verbose_name_plural = _("процессы")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcessVersion(models.Model):
    """One deployed BPMN file. Running instances stay on the version they started on."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("версия"))
    xml = models.TextField(_("BPMN"))
    checksum = models.CharField(max_length=64)
    filename = models.CharField(max_length=300, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    deployed_at = models.DateTimeField(_("развёрнут"), default=clock.now)
    deployed_by = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("версия процесса")
        verbose_name_plural = _("версии процессов")
        constraints = [models.UniqueConstraint(fields=["definition", "version"], name="processversion_unique")]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.version}"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("идёт")
    FINISHED = "finished", _("завершён")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("согласовано")
    REJECTED = "rejected", _("отклонено")
    STOPPED = "stopped", _("остановлено")
    COMPLETED = "completed", _("выполнено")

    @classmethod
    def label_of(cls, outcome: str | None) -> str:
        """The outcome in words; an unknown one (from an older file) as it is."""
        return str(cls(outcome).label) if outcome in cls.values else (outcome or "")


class Instance(models.Model):
    """A running or finished process.

    ``state`` is SpiffWorkflow's serialized workflow; ``revision`` grows with every committed step so
    that a page or client can detect that it acted on a stale view.
    """

    process = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="instances")
    process_key = models.SlugField(max_length=100, db_index=True)
    title = models.CharField(_("название"), max_length=300, blank=True)
    status = models.CharField(
        _("состояние"), max_length=16, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING
    )
    outcome = models.CharField(_("итог"), max_length=16, choices=Outcome.choices, blank=True)
    state = models.TextField()
    variables = models.JSONField(default=dict, blank=True)
    unique_value = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - NULL: no uniqueness
    started_by = models.ForeignKey(
        Employee, verbose_name=_("запустил"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("запущен"), default=clock.now)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("экземпляр процесса")
        verbose_name_plural = _("экземпляры процессов")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["process_key", "unique_value"],
                condition=Q(unique_value__isnull=False),
                name="instance_unique_per_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "process_key"], name="instance_status_key")]

    def __str__(self) -> str:
        return self.title or f"{self.process_key} #{self.pk}"

    def get_absolute_url(self) -> str:
        # The page of ``work.urls`` "instance"; written out, not reversed: every step links one.
        return f"/instances/{self.pk}/"

    @property
    def running(self) -> bool:
        return self.status == InstanceStatus.RUNNING

    def end(self, outcome: str, at: datetime) -> None:
        """Mark the instance finished with its outcome; the caller writes the row."""
        self.status = InstanceStatus.FINISHED
        self.outcome = outcome
        self.finished_at = at


class WholeMinutesBetween(models.Func):
    """``later − earlier`` in whole minutes: the seconds rounded first, then floored to the minute.

    The SQL of ``Assignment.duration_minutes``, a column the database computes itself, so the
    figures' step times hold whichever way a row is written (``save()``, ``QuerySet.update()``, raw
    SQL). Rounding the seconds first keeps SQLite's floating-point julianday from turning 30 h into
    29 h 59 min. Both forms are deterministic (PostgreSQL: immutable), as a generated column needs.
    """

    arity = 2
    output_field = models.IntegerField()

    def _operands(self, compiler, connection) -> tuple[str, str, list]:
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return later, earlier, [*later_params, *earlier_params]

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"whole minutes are computed on SQLite and PostgreSQL, not {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra_context):
        later, earlier, params = self._operands(compiler, connection)
        return f"(CAST((julianday({later}) - julianday({earlier})) * 86400.0 + 0.5 AS INTEGER) / 60)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        later, earlier, params = self._operands(compiler, connection)
        return f"(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier})))::bigint / 60)", params


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("открыто")
    DONE = "done", _("выполнено")
    CANCELLED = "cancelled", _("отменено")


class Assignment(models.Model):
    """An open or closed user task (задание) of an instance."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="assignments")
    task_id = models.CharField(max_length=64)
    key = models.CharField(_("шаг"), max_length=100)
    title = models.CharField(_("название"), max_length=500)
    title_search = models.CharField(max_length=500, editable=False)
    assignee = models.ForeignKey(
        Employee, verbose_name=_("ответственный"), on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        _("состояние"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN
    )
    created_at = models.DateTimeField(_("создано"), default=clock.now)
    due_at = models.DateTimeField(_("срок"), null=True, blank=True)
    completed_at = models.DateTimeField(_("выполнено"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Employee, verbose_name=_("выполнил"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whom the assignment is held for while they are away (``org.absences``): the absent employee the
    # rules named, when a substitute holds it instead; null otherwise (and once handed back).
    instead_of = models.ForeignKey(
        Employee, verbose_name=_("вместо"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # Denormalised for the figures (analytics), which group a million assignments by process: a
    # copy of ``instance.process_key`` (never changes), filled by ``save()``, so the aggregation
    # reads one index instead of joining every row to its instance.
    process_key = models.CharField(max_length=100, default="", editable=False)
    # completed_at − created_at in whole minutes, computed by the database on every write path.
    duration_minutes = models.GeneratedField(
        expression=WholeMinutesBetween("completed_at", "created_at"),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )
    # The step's decision as the form recorded it: the value of its decision field (one of
    # ``engine.forms.DECISION_FIELDS``; a step's form has at most one), cut to 100 characters so that
    # it always fits an index entry. Computed by the database, like the duration, so the figures
    # count decisions (cards submitted, returned) from the index without reading JSON.
    decision = models.GeneratedField(
        expression=Left(Coalesce(*(KT(f"data__{name}") for name in DECISION_FIELDS)), 100),
        output_field=models.CharField(max_length=100, null=True),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("задание")
        verbose_name_plural = _("задания")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "task_id"], name="assignment_unique_task"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="assignment_assignee"),
            # The lists' title search (``matching``: LIKE '%…%', which no index answers by its order)
            # within one person's assignments, as the lists narrow first: this index alone is read,
            # not each row, and the chips' bounded counts stop early. A trigram index on PostgreSQL
            # was tried: for a common word its bitmap of a third of the table cost more than the
            # person's rows did (bench/README.md).
            models.Index(fields=["assignee", "status", "title_search"], name="assignment_title_search"),
            models.Index(fields=["status", "due_at"], name="assignment_due"),
            models.Index(fields=["status", "overdue_notified_at", "due_at"], name="assignment_deadline"),
            # The figures group each instance's steps by key (rework); index-only on both databases.
            models.Index(fields=["instance", "key"], name="assignment_instance_key"),
            # The figures' step query: ordered like its GROUP BY and holding every column it reads,
            # so neither database sorts (PostgreSQL reads this index alone; SQLite 3.40 also reads
            # each row, as it does whenever a query names a generated column, but in index order).
            models.Index(
                fields=["status", "process_key", "key", "duration_minutes", "completed_at", "due_at", "decision"],
                name="assignment_step_times",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.derive_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {"title_search"} if "title" in update_fields else set()
            if {"instance", "instance_id"} & set(update_fields):
                extra.add("process_key")
            if extra:
                kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        # The page of ``work.urls`` "assignment"; written out, not reversed: every step links one.
        return f"/assignments/{self.pk}/"

    def derive_fields(self) -> None:
        """Fill the columns copied from others; ``save()`` calls it, and so must any other writer."""
        # SQLite's LIKE folds only ASCII: a case-folded copy makes title search work for Cyrillic
        # on every database with a plain ``contains``.
        self.title_search = self.title.casefold()
        # The process key is copied once (no query: ``create(instance=...)`` has the instance at
        # hand); an instance fetched anyway refreshes it.
        if self.instance_id is not None and (not self.process_key or Assignment.instance.is_cached(self)):
            self.process_key = self.instance.process_key

    @staticmethod
    def matching(text: str = "", process: str = "") -> Q:
        """The condition of the lists' title search and process filter, for the page and the API.

        The title is matched case-insensitively in any alphabet (through ``title_search``: SQLite's
        LIKE folds only ASCII), the process by the key copied onto the row (no join).
        """
        condition = Q()
        if text:  # «II квартал 2027 г.» finds «… на 2027-Q2», as the lists show it (``base.words``)
            condition &= Q(title_search__contains=words.quarters_as_keys(text).casefold())
        if process:
            condition &= Q(process_key=process)
        return condition

    @property
    def is_open(self) -> bool:
        return self.status == AssignmentStatus.OPEN

    def is_overdue(self, now=None) -> bool:
        now = now or clock.now()
        if self.due_at is None:
            return False
        if self.status == AssignmentStatus.OPEN:
            return self.due_at <= now
        return (
            self.status == AssignmentStatus.DONE and self.completed_at is not None and self.completed_at > self.due_at
        )


class Timer(models.Model):
    """A BPMN timer an instance waits on (boundary or intermediate). Fired once by the worker."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="timers")
    task_id = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    due_at = models.DateTimeField(db_index=True)
    properties = models.JSONField(default=dict, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("таймер")
        verbose_name_plural = _("таймеры")
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="timer_unique_task")]
        indexes = [models.Index(fields=["fired_at", "cancelled_at", "due_at"], name="timer_pending")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_reminder(self) -> bool:
        """A reminder timer (``notify="reminder"``): its firing tells the assignee."""
        return (self.properties or {}).get("notify") == "reminder"

    @property
    def pending(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None


class Schedule(models.Model):
    """When a process starts by itself. Kept here, not in SpiffWorkflow's cycle timers, so that an
    administrator can change it and each period starts at most once (``ScheduledStart``)."""

    definition = models.OneToOneField(ProcessDefinition, on_delete=models.CASCADE, related_name="schedule")
    cron = models.CharField(_("расписание (cron)"), max_length=100)
    tz = models.CharField(_("часовой пояс"), max_length=64, default="Europe/Moscow")
    first_working_day = models.BooleanField(_("переносить на первый рабочий день"), default=False)
    enabled = models.BooleanField(_("включено"), default=True)
    active_since = models.DateTimeField(
        _("действует с"), default=clock.now, help_text=_("Периоды до этого момента не запускаются задним числом.")
    )

    class Meta:
        verbose_name = _("расписание запуска")
        verbose_name_plural = _("расписания запуска")

    def __str__(self) -> str:
        return f"{self.definition.key}: {self.cron} ({self.tz})"


class ScheduledStart(models.Model):
    """One period of a schedule: its unique key makes a second start of the same period impossible."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="starts")
    period_key = models.CharField(max_length=40)
    fire_at = models.DateTimeField()
    started_at = models.DateTimeField(default=clock.now)
    instance = models.ForeignKey(Instance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "period_key"], name="scheduledstart_once")]

    def __str__(self) -> str:
        return f"{self.schedule.definition.key} {self.period_key}"


class HistoryEvent(models.TextChoices):
    STARTED = "started", _("процесс запущен")
    ASSIGNED = "assigned", _("задание назначено")
    COMPLETED = "completed", _("задание выполнено")
    DELEGATED = "delegated", _("задание передано")
    REASSIGNED = "reassigned", _("задание переназначено")
    CANCELLED = "cancelled", _("задание отменено")
    TIMER = "timer", _("сработал таймер")
    REMINDER = "reminder", _("напоминание")
    OVERDUE = "overdue", _("просрочено")
    REFUSED = "refused", _("данные отклонены проверкой")
    SERVICE = "service", _("автоматический шаг")
    STOPPED = "stopped", _("процесс остановлен")
    FINISHED = "finished", _("процесс завершён")


class History(models.Model):
    """Append-only: what happened, who did it, when, with what data. Kept forever."""

    instance = models.ForeignKey(Instance, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=20, choices=HistoryEvent.choices)
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="history")
    key = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("запись истории")
        verbose_name_plural = _("история")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["event", "at"], name="history_event_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("history is append-only")
        super().save(*args, **kwargs)
