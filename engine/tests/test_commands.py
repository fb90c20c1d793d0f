"""The operating commands: deploy_process, run_timers, worker."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from engine import actions
from engine.models import ProcessDefinition, ProcessVersion
from engine.tests.flows import approval_process
from notify.models import Notification

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_process_creates_a_version_once(db, tmp_path):
    path = tmp_path / "t.bpmn"
    path.write_bytes(approval_process("t_cmd").xml())
    out = io.StringIO()
    call_command("deploy_process", str(path), stdout=out)
    assert "версия 1" in out.getvalue()
    call_command("deploy_process", str(path), stdout=out)
    assert "не изменился" in out.getvalue()
    assert ProcessVersion.objects.filter(definition__key="t_cmd").count() == 1


@pytest.mark.parametrize(
    ("payload", "element"),
    [
        ("__import__('os').system('touch /tmp/pwned')", "f4"),
        ("().__class__.__base__.__subclasses__()", "f4"),
        ("open('/etc/passwd').read()", "f4"),
    ],
)
def test_a_code_payload_in_an_expression_is_refused_at_deploy(db, tmp_path, payload, element):
    process = approval_process("t_evil")
    process.flows[3].condition = payload
    path = tmp_path / "evil.bpmn"
    path.write_bytes(process.xml())
    with pytest.raises(CommandError) as refused:
        call_command("deploy_process", str(path))
    message = str(refused.value)
    assert "ничего не изменено" in message and element in message
    assert not ProcessDefinition.objects.filter(key="t_evil").exists()


@pytest.fixture
def migrated_env(tmp_path, manage_py) -> dict[str, str]:
    """An environment whose database is a new, migrated SQLite file in ``tmp_path``."""
    env = {**os.environ, "SOGLASIE_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    migrated = manage_py("migrate", "-v0", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    return env


def test_deploy_refusal_from_the_shell_has_no_traceback(tmp_path, migrated_env, manage_py):
    path = tmp_path / "broken.bpmn"
    path.write_text("<bpmn:definitions")
    result = manage_py("deploy_process", str(path), env=migrated_env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "broken.bpmn" in result.stderr


def test_run_timers_refuses_the_future_without_time_travel(processes, settings):
    settings.SOGLASIE_TIME_TRAVEL = False
    with pytest.raises(CommandError, match="SOGLASIE_TIME_TRAVEL"):
        call_command("run_timers", until="2099-01-01T00:00:00+03:00")
    with pytest.raises(CommandError, match="ISO"):
        call_command("run_timers", until="tomorrow")


def test_run_timers_until_fires_what_is_due(processes, demo, settings):
    settings.SOGLASIE_TIME_TRAVEL = True
    instance = actions.start("t_reminder", by=demo["manager1"].user)
    send = instance.assignments.get()
    out = io.StringIO()
    call_command("run_timers", until=(send.created_at + timedelta(days=4, minutes=1)).isoformat(), stdout=out)
    assert "Таймеров: 1" in out.getvalue()
    call_command("run_timers", until=(send.created_at + timedelta(days=4, minutes=2)).isoformat(), stdout=out)
    assert Notification.objects.filter(kind="reminder").count() == 1


def test_worker_stops_cleanly_on_sigterm(migrated_env):
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=migrated_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "запущен" not in line:
            line = worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0, err
    assert "остановлен" in out


def test_run_timers_until_starts_an_absence_at_its_first_midnight(processes, demo, settings, time_machine):
    from datetime import date

    from org.models import Absence

    settings.SOGLASIE_TIME_TRAVEL = True
    time_machine.move_to("2026-11-03T12:00:00+03:00")
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    Absence.objects.create(
        employee=demo["sales_head"],
        substitute=demo["manager2"],
        starts=date(2026, 11, 4),
        ends=date(2026, 11, 4),
        reason="other",
    )
    out = io.StringIO()
    call_command("run_timers", until="2026-11-03T23:59:00+03:00", stdout=out)
    assert "отсутствий началось: 0" in out.getvalue()
    call_command("run_timers", until="2026-11-04T00:00:00+03:00", stdout=out)
    assert "отсутствий началось: 1" in out.getvalue()
    assert instance.assignments.get().assignee == demo["manager2"]
