"""Soglasie in a process a test may kill with SIGKILL at a point it chose: ``python -m soglasie.tests.faults``.

A test cannot crash itself in the middle of a transaction, so what it wants to crash runs here, in
a child process on a database the test shares with it, and stops at a chosen point by itself: an
engine listener (registered after the notifications' own, so a step's notices and e-mails are
written too) waits forever at the N-th event of a kind, inside the step's transaction, after its
rows are written and before the commit, and prints ``BLOCKED``. The test reads that line and kills
the process: no sleeps, no races.

- ``work --block KIND:N --days D``: sets up a busy sweep (:func:`setup_sweep`: an absence starting,
  boundary timers, deadlines, a daily schedule, e-mails), then runs the real ``worker`` with the
  clock ``D`` days ahead (time-machine, ticking). ``KIND`` is an engine event (``moved``,
  ``reminder``, ``overdue``, ``finished``) or ``scheduled`` (the first assignment of a scheduled
  start); ``none`` blocks nothing (the test holds the SMTP server instead).
- ``setup``: only the busy sweep's rows (:func:`setup_sweep`), for workers the test starts itself.
- ``resume --at ISO``: the worker started again: prints what the database holds, runs passes of
  the real ``worker`` until nothing is due, prints it again.
- ``setup-web`` and ``report-web INSTANCE``, and :func:`blocking_application` for gunicorn: a
  completion stopped before or after its commit.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soglasie.settings")

BPMN = Path(__file__).resolve().parents[2] / "engine/tests/bpmn"
#: Instances of ``engine/tests/bpmn/timers.bpmn`` a sweep starts with: each has a reminder (a
#: non-interrupting boundary timer, P4D), a deadline (P5D) and an interrupting boundary timer (P1M).
TIMER_INSTANCES = 20
#: Who holds those assignments (``role('sales_admin')``) is away from the next day on, for two
#: months; their substitute takes the open work when the absence starts.
ABSENT, SUBSTITUTE = "sales_admin", "manager1"
SCHEDULED_KEY = "t_daily"
TIMERS_KEY = "timers"


def fast_passwords() -> None:
    """The demo's passwords hashed as the test suite hashes them (``conftest.py``): production's
    hasher is slow on purpose and ``seed_demo`` would spend seconds on it."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def daily_process() -> Any:
    """A process the schedule starts every day at 09:00 (Moscow), with one step to assign."""
    from engine.tests.builder import Process

    p = Process(SCHEDULED_KEY, "Ежедневная сверка", properties={"start_roles": "*", "schedule": "0 9 * * *"})
    p.start().user("reconcile", "Сверить оплаты", "role('accountant')", form="")
    p.end("end", outcome="completed").chain("start", "reconcile", "end")
    return p


def setup_sweep() -> datetime:
    """The demo company, the timer test process started :data:`TIMER_INSTANCES` times, a daily
    schedule (the only one enabled) and the absence of their assignee from the next day on; returns
    the instant the schedule became active."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from base import clock
    from engine import actions
    from engine.definitions import deploy
    from engine.models import Schedule
    from org.absences import local_day
    from org.models import Absence, Employee

    call_command("seed_demo", password="demo", stdout=io.StringIO())
    deploy((BPMN / "timers.bpmn").read_bytes(), filename="timers.bpmn")
    version, _created = deploy(daily_process().xml(), filename=f"{SCHEDULED_KEY}.bpmn")
    Schedule.objects.exclude(definition=version.definition).update(enabled=False)
    starter = get_user_model().objects.get(username="manager1")
    for _ in range(TIMER_INSTANCES):
        actions.start(TIMERS_KEY, by=starter)
    first = local_day() + timedelta(days=1)
    Absence.objects.create(
        employee=Employee.objects.get(user__username=ABSENT),
        substitute=Employee.objects.get(user__username=SUBSTITUTE),
        starts=first,
        ends=first + timedelta(days=60),
        reason="vacation",
    )
    return clock.now()


def block_at(kind: str, nth: int, *, after_commit: bool = False, key: str | None = None) -> None:
    """Stop this process for good at the ``nth`` event of ``kind`` (of the step ``key``, if given)."""
    from django.db import transaction

    from engine import hooks

    seen = 0

    def stall() -> None:
        print(f"BLOCKED {kind} {nth}", flush=True)
        threading.Event().wait()

    def matches(event: hooks.Event) -> bool:
        if kind == "scheduled":
            return event.kind == hooks.EventKind.ASSIGNED and event.instance.started_by_id is None
        return event.kind == kind and (key is None or event.assignment.key == key)

    def listener(events: list[hooks.Event]) -> None:
        nonlocal seen
        for event in events:
            if matches(event):
                seen += 1
                if seen == nth:
                    if after_commit:
                        transaction.on_commit(stall)
                    else:
                        stall()

    hooks.listen(listener)


def _counts(queryset: Any, field: str) -> dict[str, int]:
    from django.db.models import Count

    return dict(queryset.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def _twice(queryset: Any, *fields: str) -> int:
    """How many groups of rows with the same ``fields`` there are more than once (a double)."""
    from django.db.models import Count

    return queryset.order_by().values(*fields).annotate(n=Count("pk")).filter(n__gt=1).count()


def report() -> dict[str, Any]:
    """What the sweep has done so far, as of the clock's now, in counts a test compares."""
    from base import clock
    from base import schedule as cron
    from engine.models import Assignment, History, Instance, Schedule, ScheduledStart, Timer
    from engine.sweeps import spec_of
    from notify.models import Notification, OutboxEmail
    from org.models import Absence

    now = clock.now()
    schedule = Schedule.objects.get(definition__key=SCHEDULED_KEY)
    periods = [
        o
        for o in cron.occurrences(spec_of(schedule), schedule.active_since - timedelta(microseconds=1), now)
        if o.fire_at >= schedule.active_since
    ]
    outbox = OutboxEmail.objects.all()
    return {
        "timers_fired": _counts(Timer.objects.filter(fired_at__isnull=False), "key"),
        "timers_due": Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now).count(),
        "history": _counts(History.objects.all(), "event"),
        "history_twice": _twice(
            History.objects.filter(event__in=["timer", "reminder", "overdue", "finished", "started", "reassigned"]),
            "instance",
            "event",
            "key",
        ),
        "notifications": _counts(Notification.objects.all(), "kind"),
        "notifications_twice": _twice(Notification.objects.all(), "recipient", "kind", "assignment", "instance"),
        "overdue_unnoticed": Assignment.objects.filter(
            status="open", due_at__lte=now, overdue_notified_at__isnull=True
        ).count(),
        "timer_instances": _counts(Instance.objects.filter(process_key=TIMERS_KEY), "status"),
        "absences_started": Absence.objects.filter(moved_at__isnull=False).count(),
        "held_instead": _counts(Assignment.objects.filter(instead_of__isnull=False), "assignee__user__username"),
        "periods_due": len(periods),
        "scheduled_starts": ScheduledStart.objects.count(),
        "scheduled_instances": Instance.objects.filter(process_key=SCHEDULED_KEY).count(),
        "outbox": {
            "total": outbox.count(),
            "sent": outbox.filter(sent_at__isnull=False).count(),
            "claimed": outbox.filter(sent_at__isnull=True, attempts__gt=0).count(),
        },
    }


def _nothing_due() -> bool:
    from base import clock
    from engine.models import Assignment, Timer
    from notify.models import OutboxEmail
    from org.absences import due_to_start

    now = clock.now()
    return not (
        due_to_start(now)
        or Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now).exists()
        or Assignment.objects.filter(status="open", due_at__lte=now, overdue_notified_at__isnull=True).exists()
        or OutboxEmail.objects.filter(sent_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now).exists()
    )


def work(block: str, days: float) -> None:
    import time_machine
    from django.core.management import call_command

    t0 = setup_sweep()
    print(json.dumps({"t0": t0.isoformat()}), flush=True)
    kind, _, nth = block.partition(":")
    if kind != "none":
        block_at(kind, int(nth))
    with time_machine.travel(t0 + timedelta(days=days), tick=True):
        call_command("worker", interval=0.1)


def resume(at: datetime) -> None:
    import time_machine
    from django.core.management import call_command

    with time_machine.travel(at, tick=True):
        before = report()
        passes = 0
        while passes < 5:  # a pass sends at most 100 e-mails; a few passes finish any sweep here
            call_command("worker", once=True, stdout=io.StringIO())
            passes += 1
            if _nothing_due():
                break
        print(json.dumps({"before": before, "after": report(), "passes": passes}), flush=True)


# --------------------------------------------------------------------------- a completion over HTTP


def setup_web() -> dict[str, int]:
    """The demo company and one running approval whose first step waits for ``sales_head``."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from engine import actions
    from engine.models import Schedule
    from engine.tests.flows import deploy_test_processes

    call_command("seed_demo", password="demo", stdout=io.StringIO())
    deploy_test_processes()
    Schedule.objects.update(enabled=False)
    starter = get_user_model().objects.get(username="manager1")
    instance = actions.start("t_approval", by=starter, variables={"quarter": "2027-Q1"})
    return {"instance": instance.pk, "assignment": instance.assignments.get().pk}


def report_web(instance_id: int) -> dict[str, Any]:
    """Everything a completion of the instance's first step causes, row by row."""
    from engine.models import Instance
    from notify.models import Notification, OutboxEmail

    instance = Instance.objects.get(pk=instance_id)
    notes = Notification.objects.filter(instance=instance).order_by("pk")
    return {
        "revision": instance.revision,
        "assignments": [[a.key, a.status, a.assignee.user.username] for a in instance.assignments.order_by("pk")],
        "history": [[h.event, h.key] for h in instance.history.order_by("pk")],
        "notifications": [[n.kind, n.recipient.user.username, n.assignment.key] for n in notes],
        "emails": OutboxEmail.objects.filter(notification__instance=instance).count(),
    }


def blocking_application(point: str) -> Any:
    """The WSGI application, stopped for good when a completion opens ``approve_doc``: ``before``
    its commit (inside the transaction) or ``after`` it (before the response is written)."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    fast_passwords()
    block_at("assigned", 1, after_commit=point == "after", key="approve_doc")
    return application


def main(argv: list[str] | None = None) -> None:
    import django

    django.setup()
    fast_passwords()
    parser = argparse.ArgumentParser(prog="python -m soglasie.tests.faults")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("work")
    command.add_argument("--block", required=True)
    command.add_argument("--days", type=float, required=True)
    command = commands.add_parser("resume")
    command.add_argument("--at", required=True, type=datetime.fromisoformat)
    commands.add_parser("setup")
    commands.add_parser("setup-web")
    command = commands.add_parser("report-web")
    command.add_argument("instance", type=int)
    args = parser.parse_args(argv)
    if args.command == "work":
        work(args.block, args.days)
    elif args.command == "resume":
        resume(args.at)
    elif args.command == "setup":
        print(json.dumps({"t0": setup_sweep().isoformat()}), flush=True)
    elif args.command == "setup-web":
        print(json.dumps(setup_web()), flush=True)
    else:
        print(json.dumps(report_web(args.instance)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
