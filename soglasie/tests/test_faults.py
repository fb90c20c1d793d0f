"""Crashes. The worker killed with SIGKILL in the middle of a sweep (an absence starting, BPMN boundary
timers, reminders, deadlines, scheduled starts, e-mails) and started again fires each thing exactly
once; the web
server killed in the middle of a completion leaves the assignment completed with everything it
causes, or not completed at all.

The processes that are killed run ``soglasie.tests.faults`` (or gunicorn) on a database they share
with the test (SQLite: a migrated file of their own; PostgreSQL: the test database), and stop by
themselves at the chosen point inside the transaction (or the SMTP server holds them), so "the
middle" is exact.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from notify.tests.mailbox import Inbox
from soglasie.tests.children import ROOT, Child, free_port
from soglasie.tests.faults import SUBSTITUTE, TIMER_INSTANCES

HELPER = [sys.executable, "-m", "soglasie.tests.faults"]


def child_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SOGLASIE_VAR_DIR": str(var_dir), "DATABASE_URL": database_url, **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_helper(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """A helper command run to its end; its last line of output is JSON."""
    done = subprocess.run([*HELPER, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated SQLite file, made once for the module and copied by each test."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "db.sqlite3"
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=child_env(folder, f"sqlite:///{path}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def shared_database(request, tmp_path, transactional_db) -> str:
    """The URL of a database the test's children share: on PostgreSQL the test database itself
    (committed rows, emptied after the test), on SQLite a migrated file in ``tmp_path`` (the
    suite's SQLite test database lives in memory, where no other process can reach it)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
        host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        return f"postgres://{quote(s['USER'], safe='')}{password}@{host}/{s['NAME']}"
    target = tmp_path / "db.sqlite3"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), target)
    return f"sqlite:///{target}"


class HoldingInbox(Inbox):
    """The SMTP server of ``notify/tests/mailbox.py`` that stops at its ``hold_at``-th message:
    ``refuse`` holds it unanswered (the sender is killed meanwhile, so it is never accepted);
    ``accept`` accepts it and then calls ``on_accept`` (the test stops the sender from recording it)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_at: int | None = None
        self.mode = "refuse"
        self.on_accept: Callable[[], None] = lambda: None
        self.held = threading.Event()
        self.release = threading.Event()
        self.arrived = 0

    async def handle_DATA(self, server, session, envelope):
        self.arrived += 1
        if self.arrived != self.hold_at:
            return await super().handle_DATA(server, session, envelope)
        if self.mode == "accept":
            answer = await super().handle_DATA(server, session, envelope)
            self.on_accept()
            self.held.set()
            return answer
        self.held.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return "451 Requested action aborted"

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[HoldingInbox, int]]:
    inbox = HoldingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    inbox.release.set()
    controller.stop()


# --------------------------------------------------------------------------- the worker

N = TIMER_INSTANCES


def expected_after(days: float, periods: int) -> dict[str, Any]:
    """What a whole sweep ``days`` ahead leaves, each thing once: ``N`` instances of the timers
    process (their assignee away from the next day on: the work moves to the substitute; reminder
    after 4 days, deadline after 5, interrupted after a month) and ``periods`` daily starts."""
    moved = 2 * N  # a «reassigned» notice (and its e-mail) to the absent employee and the substitute
    if days < 28:
        timers = {"remind": N}
        history = {"started": N + periods, "assigned": N + periods, "reassigned": N, "reminder": N, "overdue": N}
        notifications = {"assigned": N + periods, "reassigned": moved, "reminder": N, "overdue": 2 * N}
        mailed = N + periods + moved + N + 2 * N  # overdue: the substitute and their manager
        instances = {"running": N}
    else:
        # The month is over: in the step of each reminder the interrupting timer fired too and
        # stopped the instance, so nobody is reminded of the assignment it took away.
        timers = {"remind": N, "give_up": N}
        history = {
            "started": N + periods,
            "assigned": N + periods,
            "reassigned": N,
            "reminder": N,
            "timer": N,
            "cancelled": N,
            "stopped": N,
        }
        notifications = {"assigned": N + periods, "reassigned": moved, "process_finished": N}
        mailed = N + periods + moved
        instances = {"finished": N}
    return {
        "timers_fired": timers,
        "timers_due": 0,
        "history": history,
        "history_twice": 0,
        "notifications": notifications,
        "notifications_twice": 0,
        "overdue_unnoticed": 0,
        "timer_instances": instances,
        "absences_started": 1,
        "held_instead": {SUBSTITUTE: N},
        "periods_due": periods,
        "scheduled_starts": periods,
        "scheduled_instances": periods,
        "outbox": {"total": mailed, "sent": mailed, "claimed": 0},
    }


#: Where the first worker is stopped and killed, and what was done then: the ``n - 1`` things
#: before the blocked one committed, the blocked one rolled back, the rest not begun.
CRASHES: dict[str, tuple[str, float, Callable[[dict[str, Any]], bool]]] = {
    # the absence's work moves in one transaction with its start mark: all of it, or none yet
    "absence starting": (
        "moved:8",
        6,
        lambda before: before["absences_started"] == 0 and "reassigned" not in before["history"],
    ),
    "reminder": (
        "reminder:8",
        6,
        lambda before: before["history"].get("reminder") == 7 and before["notifications"].get("reminder") == 7,
    ),
    "deadline": (
        "overdue:8",
        6,
        lambda before: before["history"].get("overdue") == 7 and before["notifications"].get("overdue") == 14,
    ),
    "scheduled start": (
        "scheduled:3",
        6,
        lambda before: before["scheduled_starts"] == before["scheduled_instances"] == 2,
    ),
    "interrupting boundary timer": (
        "finished:8",
        32,
        lambda before: before["history"].get("stopped") == 7 and before["timers_fired"].get("give_up") == 7,
    ),
}


def restarted(env: dict[str, str], at: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The worker started again with its clock at ``at``: what it found, and what it left."""
    resumed = run_helper(["resume", "--at", at.isoformat()], env)
    return resumed["before"], resumed["after"]


def killed_while_the_server_holds_a_mail(inbox: HoldingInbox, env: dict[str, str]) -> datetime:
    """A worker six days ahead, killed once the SMTP server holds its ``inbox.hold_at``-th mail
    (all its timers and starts are done by then); returns the instant its sweep counted from."""
    worker = Child([*HELPER, "work", "--block", "none", "--days", "6"], env)
    try:
        t0 = datetime.fromisoformat(json.loads(worker.wait_for_line('"t0"'))["t0"])
        assert inbox.held.wait(60), worker.output
    finally:
        worker.kill()
    return t0


@pytest.mark.parametrize("crash", list(CRASHES))
def test_the_worker_killed_in_the_middle_of_a_sweep_fires_each_thing_once_after_a_restart(
    crash, shared_database, tmp_path, smtp
):
    inbox, port = smtp
    block, days, in_the_middle = CRASHES[crash]
    env = child_env(tmp_path, shared_database, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    worker = Child([*HELPER, "work", "--block", block, "--days", str(days)], env)
    try:
        t0 = datetime.fromisoformat(json.loads(worker.wait_for_line('"t0"'))["t0"])
        worker.wait_for_line(f"BLOCKED {block.replace(':', ' ')}")
    finally:
        worker.kill()
    assert inbox.messages == []  # e-mails go out after the sweep: none yet

    before, after = restarted(env, t0 + timedelta(days=days, minutes=10))
    assert in_the_middle(before), before
    assert after == expected_after(days, after["periods_due"])
    assert after["periods_due"] >= 5
    assert len(inbox.messages) == after["outbox"]["total"]
    assert len(set(inbox.message_ids())) == len(inbox.messages)


def test_two_workers_started_together_after_midnight_fire_each_thing_once(shared_database, tmp_path, smtp):
    """Two workers (two processes) sweep the same due work at once: the absence starting at
    midnight, the timers, deadlines, scheduled starts and e-mails are each done by one of them."""
    inbox, port = smtp
    env = child_env(tmp_path, shared_database, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    t0 = datetime.fromisoformat(run_helper(["setup"], env)["t0"])
    at = (t0 + timedelta(days=6, minutes=10)).isoformat()
    workers = [
        subprocess.Popen([*HELPER, "resume", "--at", at], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output
    after = run_helper(["resume", "--at", at], env)["after"]
    assert after == expected_after(6, after["periods_due"])
    assert len(inbox.messages) == after["outbox"]["total"]
    assert len(set(inbox.message_ids())) == len(inbox.messages)


def test_the_worker_killed_in_the_middle_of_an_smtp_conversation_sends_that_mail_once_after_the_lease(
    shared_database, tmp_path, smtp
):
    inbox, port = smtp
    inbox.hold_at = 10
    env = child_env(tmp_path, shared_database, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    t0 = killed_while_the_server_holds_a_mail(inbox, env)
    inbox.release.set()  # the held message is answered "451" to a sender that is gone: never accepted
    assert len(inbox.messages) == 9

    # within the lease (5 minutes) nobody sends the claimed row; after it, the restarted worker does
    before, after = restarted(env, t0 + timedelta(days=6, minutes=10))
    assert before["outbox"]["sent"] == 9 and before["outbox"]["claimed"] == 1
    assert after == expected_after(6, after["periods_due"])
    assert len(inbox.messages) == after["outbox"]["total"]
    assert len(set(inbox.message_ids())) == len(inbox.messages)


def hold_database_writes(database_url: str) -> Callable[[], None]:
    """Take the database's write lock from outside (the SMTP server's thread); returns its release."""
    if database_url.startswith("postgres"):
        import psycopg

        holder = psycopg.connect(database_url.replace("postgres://", "postgresql://", 1))
        holder.execute("LOCK TABLE notify_outboxemail IN EXCLUSIVE MODE")  # reads pass, updates wait
    else:
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
    return holder.close  # closing rolls the holding transaction back


def test_a_mail_accepted_but_not_yet_recorded_when_the_worker_dies_goes_out_again_with_the_same_message_id(
    shared_database, tmp_path, smtp
):
    inbox, port = smtp
    released: list[Callable[[], None]] = []
    inbox.hold_at, inbox.mode = 10, "accept"
    inbox.on_accept = lambda: released.append(hold_database_writes(shared_database))
    env = child_env(tmp_path, shared_database, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    try:
        t0 = killed_while_the_server_holds_a_mail(inbox, env)
    finally:
        for release in released:
            release()
    assert len(inbox.messages) == 10

    before, after = restarted(env, t0 + timedelta(days=6, minutes=10))
    assert before["outbox"]["sent"] == 9  # the tenth went out, but its row could not say so
    assert after == expected_after(6, after["periods_due"])
    # the one e-mail nobody can know was sent is sent twice, as the same message
    assert len(inbox.messages) == after["outbox"]["total"] + 1
    assert len(set(inbox.message_ids())) == after["outbox"]["total"]
    assert inbox.message_ids().count(inbox.message_ids()[9]) == 2


# --------------------------------------------------------------------------- the web server


def call(port: int, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (http://127.0.0.1 only)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def gunicorn(app: str, port: int, env: dict[str, str]) -> Child:
    server = Child(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        env,
    )
    server.wait_for_line("Booting worker")
    return server


def not_completed() -> dict[str, Any]:
    return {
        "revision": 2,
        "assignments": [["attach", "open", "sales_head"]],
        "history": [["started", ""], ["assigned", "attach"]],
        "notifications": [["assigned", "sales_head", "attach"]],
        "emails": 1,
    }


def completed_once() -> dict[str, Any]:
    return {
        "revision": 3,
        "assignments": [["attach", "done", "sales_head"], ["approve_doc", "open", "director"]],
        "history": [["started", ""], ["assigned", "attach"], ["completed", "attach"], ["assigned", "approve_doc"]],
        "notifications": [["assigned", "sales_head", "attach"], ["assigned", "director", "approve_doc"]],
        "emails": 2,
    }


@pytest.mark.parametrize("point", ["before", "after"])
def test_the_web_server_killed_in_the_middle_of_a_completion_completes_it_wholly_or_not_at_all(
    point, shared_database, tmp_path
):
    env = child_env(tmp_path, shared_database)
    ids = run_helper(["setup-web"], env)
    port = free_port()
    complete = f"/api/v1/assignments/{ids['assignment']}/complete"
    form = {"data": {"document_url": "https://docs.example.com/q1"}}

    server = gunicorn(f"soglasie.tests.faults:blocking_application('{point}')", port, env)
    answers: list[Any] = []
    try:
        status, body = call(port, "/api/v1/auth/token", {"username": "sales_head", "password": "demo"})
        assert status == 200, body
        token = body["token"]

        def submit() -> None:
            try:
                answers.append(call(port, complete, form, token))
            except OSError as error:  # the server died under the request
                answers.append(error)

        request = threading.Thread(target=submit)
        request.start()
        server.wait_for_line("BLOCKED assigned 1")  # in the completion: inside its transaction, or just after
    finally:
        server.kill()
    request.join(timeout=30)
    assert len(answers) == 1 and isinstance(answers[0], OSError)  # no answer ever came

    killed = run_helper(["report-web", str(ids["instance"])], env)
    assert killed == (not_completed() if point == "before" else completed_once())

    # started again, the same request completes it (once) or is told it is done
    server = gunicorn("soglasie.wsgi:application", port, env)
    try:
        status, body = call(port, complete, form, token)
    finally:
        server.kill()
    assert status == (200 if point == "before" else 409), body
    assert run_helper(["report-web", str(ids["instance"])], env) == completed_once()
