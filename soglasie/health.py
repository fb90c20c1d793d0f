"""``/healthz``: is this installation able to work? For load balancers and monitors, without a log-in.

Three facts, each cheap: the database answers (``SELECT 1``), every migration of the code is
applied (the migration graph is read from the files already imported, plus one query on
``django_migrations``), and a worker began a pass less than a minute ago (one indexed row of
:class:`soglasie.models.WorkerHeartbeat`). 200 when all three hold, 503 otherwise; the body says
which one failed, so a monitor's alert can name it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from base import clock
from soglasie.models import HEARTBEAT_FRESH, WorkerHeartbeat

log = logging.getLogger(__name__)


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The code's migrations the database has not applied yet, as ``app.name``."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def status() -> dict[str, Any]:
    """The three facts; a database that does not answer fails all three."""
    report: dict[str, Any] = {"database": False, "migrations": False, "worker": False, "worker_seen_at": None}
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = True
        report["migrations"] = not unapplied_migrations()
        seen = WorkerHeartbeat.last_seen()
    except DatabaseError as error:  # the health check's fault boundary: report, never raise
        log.warning("healthz: the database does not answer: %s", error)
        return report
    if seen is not None:
        report["worker_seen_at"] = seen.isoformat()
        report["worker"] = clock.now() - seen < HEARTBEAT_FRESH
    return report


@never_cache
@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = status()
    healthy = report["database"] and report["migrations"] and report["worker"]
    return JsonResponse(report, status=200 if healthy else 503)
