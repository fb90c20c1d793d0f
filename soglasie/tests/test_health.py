"""``/healthz``: 200 only while the database answers, every migration is applied and a worker began
a pass less than a minute ago; no log-in needed, and the body names what failed."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from base import clock
from soglasie.models import WorkerHeartbeat


def healthz() -> tuple[int, dict]:
    response = Client().get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left inside a transaction
def test_healthy_after_a_worker_pass_without_logging_in(time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00", tick=False)
    assert healthz() == (503, {"database": True, "migrations": True, "worker": False, "worker_seen_at": None})
    call_command("worker", once=True, stdout=io.StringIO())
    status, body = healthz()
    assert status == 200, body
    assert body == {
        "database": True,
        "migrations": True,
        "worker": True,
        "worker_seen_at": "2026-11-02T07:00:00+00:00",
    }


def test_a_worker_silent_for_a_minute_is_reported(db, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00", tick=False)
    WorkerHeartbeat.beat("host:1", 1, started_at=clock.now())
    time_machine.shift(timedelta(seconds=59))
    assert healthz()[0] == 200
    time_machine.shift(timedelta(seconds=1))
    status, body = healthz()
    assert status == 503 and body["worker"] is False and body["worker_seen_at"] == "2026-11-02T07:00:00+00:00"


def test_the_newest_of_several_workers_counts_and_long_gone_ones_are_forgotten(db, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00", tick=False)
    WorkerHeartbeat.beat("host:1", 1, started_at=clock.now())
    time_machine.shift(timedelta(days=2))
    WorkerHeartbeat.beat("host:2", 5, started_at=clock.now())
    assert healthz()[0] == 200
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["host:1", "host:2"]
    WorkerHeartbeat.beat("host:2", 13, started_at=clock.now())  # the twelfth pass after the first
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["host:2"]


def test_an_unapplied_migration_is_reported(db):
    WorkerHeartbeat.beat("host:1", 1, started_at=clock.now())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'soglasie'")
    status, body = healthz()
    assert status == 503 and body["migrations"] is False and body["database"] is True


def test_a_database_that_does_not_answer_is_reported(manage_py, tmp_path):
    env = {
        **os.environ,
        "SOGLASIE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nothing",  # the discard port: nothing listens
        "ALLOWED_HOSTS": "testserver",
    }
    script = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code, r.content.decode())"
    )
    result = manage_py("shell", "-v0", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"database": False, "migrations": False, "worker": False, "worker_seen_at": None}
