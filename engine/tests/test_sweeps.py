"""Scheduled starts and the sweep's robustness: once per period, no back-fill, a bad row skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from base.errors import Conflict
from engine import actions, sweeps
from engine.definitions import deploy
from engine.models import Instance, Schedule, ScheduledStart, Timer
from engine.tests.flows import approval_process
from notify.models import Notification


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def deploy_quarterly(time_machine, when: str = "2026-11-01T00:00:00+03:00"):
    time_machine.move_to(when)
    process = approval_process(
        "t_scheduled", unique_by="quarter", schedule="0 9 15 3,6,9,12 *", schedule_quarter="next"
    )
    version, _ = deploy(process.xml())
    # Only this test's schedule runs (the customer's processes are deployed too).
    Schedule.objects.exclude(definition__key="t_scheduled").update(enabled=False)
    return version


def test_a_schedule_starts_each_period_once_with_its_quarter(demo, time_machine):
    deploy_quarterly(time_machine)
    assert sweeps.fire_due(at("2026-12-15T08:59:59+03:00")).started == 0
    fired = sweeps.fire_due(at("2026-12-15T09:00:00+03:00"))
    assert fired.started == 1
    instance = Instance.objects.get(process_key="t_scheduled")
    assert instance.variables["quarter"] == "2027-Q1" and instance.started_by is None
    assert instance.assignments.get().assignee == demo["sales_head"]
    assert sweeps.fire_due(at("2026-12-15T09:05:00+03:00")).started == 0
    assert Instance.objects.filter(process_key="t_scheduled").count() == 1


def test_missed_periods_start_once_when_the_worker_catches_up(demo, time_machine):
    deploy_quarterly(time_machine)
    fired = sweeps.fire_due(at("2027-06-20T12:00:00+03:00"))  # nothing ran since November
    assert fired.started == 3  # 15 Dec, 15 Mar, 15 Jun: each missed period once
    quarters = sorted(Instance.objects.values_list("unique_value", flat=True))
    assert quarters == ["2027-Q1", "2027-Q2", "2027-Q3"]
    assert sweeps.fire_due(at("2027-06-21T12:00:00+03:00")).started == 0


def test_nothing_is_back_filled_from_before_the_schedule_was_deployed(demo, time_machine):
    deploy_quarterly(time_machine, when="2026-12-16T00:00:00+03:00")  # the day after a start instant
    assert sweeps.fire_due(at("2027-03-01T00:00:00+03:00")).started == 0
    assert sweeps.fire_due(at("2027-03-15T09:00:00+03:00")).started == 1


def test_a_period_started_by_hand_is_not_started_again(demo, time_machine):
    deploy_quarterly(time_machine)
    actions.start("t_scheduled", by=demo["director"].user, variables={"quarter": "2027-Q1"})
    assert sweeps.fire_due(at("2026-12-15T09:00:00+03:00")).started == 0
    assert ScheduledStart.objects.get().error  # recorded why
    assert Instance.objects.filter(process_key="t_scheduled").count() == 1


def test_a_disabled_schedule_starts_nothing(demo, time_machine):
    version = deploy_quarterly(time_machine)
    schedule = version.definition.schedule
    schedule.enabled = False
    schedule.save()
    assert sweeps.fire_due(at("2026-12-15T09:00:00+03:00")).started == 0


def test_one_bad_timer_does_not_stop_the_sweep(processes, demo, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00", tick=False)  # both start at 07:00:00, however slow
    Schedule.objects.update(enabled=False)
    broken = actions.start("t_reminder", by=demo["manager1"].user)
    healthy = actions.start("t_reminder", by=demo["manager1"].user)
    Instance.objects.filter(pk=broken.pk).update(state='{"not": "a workflow"}')
    fired = sweeps.fire_due(at("2026-11-06T07:00:01+00:00"))
    assert fired.timers == 1 and len(fired.errors) == 1
    assert Timer.objects.get(instance=healthy).fired_at is not None
    assert Timer.objects.get(instance=broken).fired_at is None  # left for a person to look at
    assert Notification.objects.filter(kind="reminder").count() == 1
    assert sweeps.fire_due(at("2026-11-06T07:00:02+00:00") + timedelta(seconds=1)).timers == 0


def test_an_interrupting_timer_cancels_the_assignment_and_moves_on(demo, time_machine):
    from engine.tests.builder import Process

    time_machine.move_to("2026-11-02T07:00:00+00:00")
    Schedule.objects.update(enabled=False)
    p = Process("t_escalation", "Эскалация", properties={"start_roles": "*"})
    p.start().user("decide", "Принять решение", "role('director')", form="", due="P2D")
    p.boundary_timer("too_late", "decide", "P1D", interrupting=True)
    p.user("escalated", "Решить вместо директора", "role('finance_director')", form="")
    p.end("end", outcome="completed").end("end_escalated", outcome="completed")
    p.chain("start", "decide", "end").chain("too_late", "escalated", "end_escalated")
    deploy(p.xml())
    instance = actions.start("t_escalation", by=demo["manager1"].user)
    decide = instance.assignments.get(key="decide")
    assert sweeps.fire_due(decide.created_at + timedelta(hours=23)).timers == 0
    assert sweeps.fire_due(decide.created_at + timedelta(days=1)).timers == 1
    decide.refresh_from_db()
    assert decide.status == "cancelled"
    escalated = instance.assignments.get(key="escalated")
    assert escalated.assignee == demo["findir"] and escalated.is_open
    # the cancelled assignment's deadline no longer applies (only the escalation's own one does)
    sweeps.fire_due(decide.created_at + timedelta(days=3))
    decide.refresh_from_db()
    assert decide.overdue_notified_at is None
    with pytest.raises(Conflict):
        actions.complete(decide.pk, by=demo["director"].user, data={})


def test_an_intermediate_timer_waits_then_continues(demo, time_machine):
    from engine.tests.builder import Process

    time_machine.move_to("2027-01-31T07:00:00+00:00")
    Schedule.objects.update(enabled=False)
    p = Process("t_wait", "Пауза", properties={"start_roles": "*"})
    p.start().timer("pause", "P1M").user("after", "После паузы", "role('sales_admin')", form="")
    p.end("end", outcome="completed").chain("start", "pause", "after", "end")
    deploy(p.xml())
    instance = actions.start("t_wait", by=demo["manager1"].user)
    timer = Timer.objects.get(instance=instance)
    # a calendar month, not 30 days of seconds
    assert timer.due_at.replace(microsecond=0) == at("2027-02-28T07:00:00+00:00")
    assert not instance.assignments.exists()
    sweeps.fire_due(timer.due_at)
    assert instance.assignments.get().key == "after"


def test_a_worker_catching_up_records_each_boundary_timer_that_fired_in_the_same_step(demo, time_machine):
    """After the worker was down (killed, stopped) a reminder and an interrupting timer of one
    assignment can both be due: both fire in one step, and both are recorded as fired, with their
    history; nobody is reminded of the assignment the interrupting timer took away."""
    from pathlib import Path

    time_machine.move_to("2026-11-02T07:00:00+00:00")
    Schedule.objects.update(enabled=False)
    deploy((Path(__file__).parent / "bpmn/timers.bpmn").read_bytes())
    instance = actions.start("timers", by=demo["manager1"].user)
    send = instance.assignments.get()
    fired = sweeps.fire_due(send.created_at + timedelta(days=32))
    assert fired.timers == 1  # one claimed by the sweep; the other fired inside its step
    timers = {t.key: t for t in Timer.objects.filter(instance=instance)}
    assert timers["remind"].fired_at is not None and timers["give_up"].fired_at is not None
    assert timers["give_up"].cancelled_at is None
    events = list(instance.history.order_by("pk").values_list("event", "key"))
    assert events[2:] == [
        ("reminder", "remind"),
        ("timer", "give_up"),
        ("cancelled", "send_to_clients"),
        ("stopped", ""),
    ]
    instance.refresh_from_db()
    assert instance.outcome == "stopped"
    assert not Notification.objects.filter(kind="reminder").exists()
    assert sweeps.fire_due(send.created_at + timedelta(days=40)).timers == 0


def test_two_reminders_due_together_are_both_sent_once(demo, time_machine):
    from engine.tests.builder import Process
    from engine.tests.flows import SENT_FORM

    time_machine.move_to("2026-11-02T07:00:00+00:00")
    Schedule.objects.update(enabled=False)
    p = Process("t_two_reminders", "Два напоминания", properties={"start_roles": "*"})
    p.start().user("send", "Отправить документы", "role('sales_admin')", form=SENT_FORM)
    p.boundary_timer("first", "send", "P1D", notify="reminder").end("after_first")
    p.boundary_timer("second", "send", "P2D", notify="reminder").end("after_second")
    p.end("end", outcome="completed").chain("start", "send", "end")
    p.chain("first", "after_first").chain("second", "after_second")
    deploy(p.xml())
    instance = actions.start("t_two_reminders", by=demo["manager1"].user)
    send = instance.assignments.get()
    sweeps.fire_due(send.created_at + timedelta(days=3))  # the worker was down for both
    sweeps.fire_due(send.created_at + timedelta(days=3, minutes=1))
    assert Notification.objects.filter(kind="reminder", assignment=send).count() == 2
    assert instance.history.filter(event="reminder").count() == 2
    assert Timer.objects.filter(instance=instance, fired_at__isnull=False).count() == 2
    send.refresh_from_db()
    assert send.is_open
