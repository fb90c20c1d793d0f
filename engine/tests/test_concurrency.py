"""Concurrency on PostgreSQL: parallel branches completed at the same moment, timers fired by two
workers at once. (SQLite serialises writers with IMMEDIATE transactions; these need real row locks.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from base.errors import Conflict
from engine import actions, sweeps
from engine.models import Assignment, History, Instance, Timer
from engine.tests.flows import deploy_test_processes, race
from notify.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_together(*calls):
    """Run the calls at the same instant (``flows.race``); re-raise the first error."""
    errors = race(*calls)
    if errors:
        raise errors[0]


def test_two_people_complete_parallel_branches_at_once_50_times(demo):
    deploy_test_processes()
    admin_user, accountant_user = demo["sales_admin"].user, demo["accountant"].user
    for _ in range(50):
        instance = actions.start("t_parallel", by=demo["manager1"].user)
        left = Assignment.objects.get(instance=instance, key="left")
        right = Assignment.objects.get(instance=instance, key="right")
        run_together(
            lambda left=left: actions.complete(left.pk, by=admin_user, data={}),
            lambda right=right: actions.complete(right.pk, by=accountant_user, data={}),
        )
        final = Assignment.objects.filter(instance=instance, key="final", status="open")
        assert final.count() == 1, "a branch was lost"
    assert Instance.objects.filter(process_key="t_parallel").count() == 50


def test_two_workers_fire_1000_timers_each_once(demo, time_machine):
    deploy_test_processes()
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    for _ in range(1000):
        actions.start("t_reminder", by=demo["manager1"].user)
    due = Timer.objects.order_by("-due_at").first().due_at + timedelta(minutes=1)
    results = []
    run_together(lambda: results.append(sweeps.fire_due(due)), lambda: results.append(sweeps.fire_due(due)))
    assert sum(r.timers for r in results) == 1000
    assert Timer.objects.filter(fired_at__isnull=False).count() == 1000
    assert Notification.objects.filter(kind="reminder").count() == 1000
    assert History.objects.filter(event="reminder").count() == 1000


def test_the_same_completion_twice_at_once_completes_once(demo):
    deploy_test_processes()
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, key="attach")
    head = demo["sales_head"].user
    outcomes: list[str] = []

    def submit():
        try:
            actions.complete(attach.pk, by=head, data={"document_url": "https://docs.example.com/a"})
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")

    run_together(submit, submit)
    assert sorted(outcomes) == ["conflict", "done"]
    assert Assignment.objects.filter(instance=instance, key="approve_doc").count() == 1


def test_two_workers_at_midnight_hand_each_absence_over_once(demo, time_machine):
    from datetime import date, datetime

    from org.models import Absence

    deploy_test_processes()
    time_machine.move_to("2026-11-03T12:00:00+03:00")
    for _ in range(20):
        actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
        actions.start("t_parallel", by=demo["manager1"].user)
    for who, substitute in (("sales_head", "manager1"), ("sales_admin", "manager2"), ("accountant", "manager3")):
        Absence.objects.create(
            employee=demo[who],
            substitute=demo[substitute],
            starts=date(2026, 11, 4),
            ends=date(2026, 11, 10),
            reason="business_trip",
        )
    midnight = datetime.fromisoformat("2026-11-04T00:00:00+03:00")
    results = []
    run_together(lambda: results.append(sweeps.fire_due(midnight)), lambda: results.append(sweeps.fire_due(midnight)))
    assert sum(r.absences for r in results) == 3
    assert not any(r.errors for r in results)
    assert Absence.objects.filter(moved_at__isnull=True).count() == 0
    assert History.objects.filter(event="reassigned").count() == 60
    assert Notification.objects.filter(kind="reassigned").count() == 120
    assert not Assignment.objects.filter(
        status="open", assignee__user__username__in=["sales_head", "sales_admin", "accountant"]
    ).exists()
    assert Assignment.objects.filter(status="open", instead_of__isnull=False).count() == 60
