"""The worker's heartbeat: the one row the wiring room owns.

It sits here, not in ``engine`` or ``notify``, because the worker is the wiring room's command: it
sweeps the engine's timers and the notifications' outbox alike, and ``/healthz`` (also wiring) is
the only reader.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock

#: A worker whose last pass began longer ago than this is reported as not running.
HEARTBEAT_FRESH = timedelta(minutes=1)
#: Rows of workers unseen for this long (stopped or killed) are removed by the live ones.
HEARTBEAT_FORGET = timedelta(days=1)


class WorkerHeartbeat(models.Model):
    """One row per running worker (host and process id), written at the start of every pass."""

    worker = models.CharField(_("обработчик"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("запущен"), default=clock.now)
    seen_at = models.DateTimeField(_("последний проход"), default=clock.now, db_index=True)
    passes = models.PositiveBigIntegerField(_("проходов"), default=0)

    class Meta:
        verbose_name = _("пульс фонового обработчика")
        verbose_name_plural = _("пульс фоновых обработчиков")

    def __str__(self) -> str:
        return self.worker

    @classmethod
    def beat(cls, worker: str, passes: int, started_at: datetime) -> None:
        """Record a pass of ``worker`` (counted from 1); the first and every twelfth pass after it also
        forget the workers long gone."""
        now = clock.now()
        cls.objects.update_or_create(
            worker=worker, defaults={"seen_at": now, "passes": passes, "started_at": started_at}
        )
        if passes % 12 == 1:
            cls.objects.filter(seen_at__lt=now - HEARTBEAT_FORGET).delete()

    @classmethod
    def last_seen(cls) -> datetime | None:
        """When any worker last began a pass (one indexed row)."""
        return cls.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
