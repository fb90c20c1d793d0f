"""The service functions through a real database: start, complete, delegate, stop, deactivation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from base.errors import Conflict, Forbidden, Invalid
from engine import actions, step, sweeps
from engine.models import Assignment, AssignmentStatus, History, Instance, Timer
from notify.models import Notification, OutboxEmail
from org import directory

URL = "https://docs.example.com/discounts-2027-q1"


def open_assignment(instance: Instance, key: str) -> Assignment:
    return Assignment.objects.get(instance=instance, key=key, status=AssignmentStatus.OPEN)


def test_start_opens_the_first_assignment_with_title_due_date_and_notice(processes, demo, time_machine):
    time_machine.move_to("2026-12-15T06:00:00+00:00")
    instance = actions.start("t_approval", by=demo["sales_admin"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")
    assert attach.title == "Прикрепить документ на 2027-Q1"
    assert attach.assignee == demo["sales_head"]
    assert attach.due_at.isoformat() == "2026-12-18T06:00:00+00:00"
    assert instance.started_by == demo["sales_admin"]
    notice = Notification.objects.get(recipient=demo["sales_head"], kind="assigned")
    assert notice.assignment == attach and "Прикрепить документ" in notice.text
    assert OutboxEmail.objects.filter(notification=notice, to="sales_head@axioma.example").exists()
    assert list(instance.history.values_list("event", flat=True)) == ["started", "assigned"]


def test_rework_loop_to_approval(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    actions.complete(open_assignment(instance, "attach").pk, by=demo["sales_head"].user, data={"document_url": URL})
    approve = open_assignment(instance, "approve_doc")
    assert approve.assignee == demo["director"]
    actions.complete(approve.pk, by=demo["director"].user, data={"decision": "reject", "comment": "Скидки велики"})
    revise = open_assignment(instance, "revise")
    assert revise.assignee == demo["sales_head"]  # whoever did "attach"
    actions.complete(revise.pk, by=demo["sales_head"].user, data={"document_url": URL + "-v2"})
    second = open_assignment(instance, "approve_doc")
    assert second.pk != approve.pk
    actions.complete(second.pk, by=demo["director"].user, data={"decision": "approve"})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "approved")
    assert instance.variables["document_url"] == URL + "-v2"
    assert not instance.assignments.filter(status=AssignmentStatus.OPEN).exists()
    events = list(instance.history.values_list("event", "key"))
    assert events.count(("completed", "approve_doc")) == 2 and events[-1] == ("finished", "")
    assert Notification.objects.filter(recipient=demo["manager1"], kind="process_finished").exists()


def test_reject_without_comment_is_a_field_error_and_changes_nothing(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    actions.complete(open_assignment(instance, "attach").pk, by=demo["sales_head"].user, data={"document_url": URL})
    approve = open_assignment(instance, "approve_doc")
    instance.refresh_from_db()
    state, revision = instance.state, instance.revision
    with pytest.raises(Invalid) as refused:
        actions.complete(approve.pk, by=demo["director"].user, data={"decision": "reject"})
    assert set(refused.value.errors) == {"comment"}
    instance.refresh_from_db()
    approve.refresh_from_db()
    assert (instance.state, instance.revision, approve.status) == (state, revision, "open")
    assert instance.history.filter(event="refused").count() == 1


@pytest.mark.parametrize("data", [{}, {"document_url": "ftp://x"}, {"document_url": "javascript:alert(1)"}])
def test_bad_document_url_refused(processes, demo, data):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    with pytest.raises(Invalid) as refused:
        actions.complete(open_assignment(instance, "attach").pk, by=demo["sales_head"].user, data=data)
    assert "document_url" in refused.value.errors


def test_only_the_assignee_deputy_or_administrator_completes(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")
    for outsider in ("manager1", "director", "findir"):
        with pytest.raises(Forbidden):
            actions.complete(attach.pk, by=demo[outsider].user, data={"document_url": URL})
    head = demo["sales_head"]
    head.deputy = demo["manager2"]
    head.save()
    actions.complete(attach.pk, by=demo["manager2"].user, data={"document_url": URL})
    attach.refresh_from_db()
    assert attach.completed_by == demo["manager2"]
    actions.complete(open_assignment(instance, "approve_doc").pk, by=demo["admin"].user, data={"decision": "approve"})


def test_completing_twice_completes_once(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": URL})
    with pytest.raises(Conflict):
        actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": URL})
    assert instance.assignments.filter(key="approve_doc").count() == 1


def test_delegate_moves_the_assignment_and_tells_both(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")
    actions.delegate(attach.pk, by=demo["sales_head"].user, to="sales_admin", comment="Подготовь, пожалуйста")
    attach.refresh_from_db()
    assert attach.assignee == demo["sales_admin"]
    assert Notification.objects.filter(recipient=demo["sales_admin"], kind="reassigned").exists()
    assert Notification.objects.filter(recipient=demo["sales_head"], kind="reassigned").exists()
    with pytest.raises(Invalid):
        actions.delegate(attach.pk, by=demo["sales_admin"].user, to="nobody")
    with pytest.raises(Forbidden):
        actions.delegate(attach.pk, by=demo["sales_head"].user, to="manager2")


def test_stop_by_starter_cancels_open_work(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    with pytest.raises(Forbidden):
        actions.stop(instance.pk, by=demo["manager2"].user, reason="не моё")
    actions.stop(instance.pk, by=demo["manager1"].user, reason="Не нужен")
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "stopped")
    assert instance.assignments.get(key="attach").status == "cancelled"
    assert instance.history.filter(event="stopped", data__reason="Не нужен").exists()
    with pytest.raises(Conflict):
        actions.stop(instance.pk, by=demo["manager1"].user)


def test_parallel_branches_join(processes, demo):
    instance = actions.start("t_parallel", by=demo["manager1"].user)
    left, right = open_assignment(instance, "left"), open_assignment(instance, "right")
    actions.complete(right.pk, by=demo["accountant"].user, data={})
    assert not instance.assignments.filter(key="final").exists()
    actions.complete(left.pk, by=demo["sales_admin"].user, data={})
    final = open_assignment(instance, "final")
    actions.complete(final.pk, by=demo["director"].user, data={})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "completed")


def test_reminder_and_overdue_with_a_controlled_clock(processes, demo, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    instance = actions.start("t_reminder", by=demo["manager1"].user)
    send = open_assignment(instance, "send")
    created = send.created_at
    assert send.due_at == created + timedelta(days=5)
    timer = Timer.objects.get(instance=instance)
    assert timer.due_at == created + timedelta(days=4) and timer.assignment == send

    def notices(kind):
        return list(Notification.objects.filter(kind=kind).values_list("recipient__user__username", flat=True))

    assert not sweeps.fire_due(created + timedelta(days=4) - timedelta(hours=1))
    assert notices("reminder") == []
    fired = sweeps.fire_due(created + timedelta(days=4))
    assert fired.timers == 1 and notices("reminder") == ["sales_admin"]
    assert not send.is_overdue(created + timedelta(days=4))
    fired = sweeps.fire_due(created + timedelta(days=5))
    assert fired.overdue == 1
    assert sorted(notices("overdue")) == ["sales_admin", "sales_head"]
    assert not sweeps.fire_due(created + timedelta(days=6))
    assert len(notices("overdue")) == 2 and len(notices("reminder")) == 1
    send.refresh_from_db()
    assert send.is_overdue(created + timedelta(days=6))


def test_completing_early_cancels_the_reminder_and_the_overdue_notice(processes, demo, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    instance = actions.start("t_reminder", by=demo["manager1"].user)
    send = open_assignment(instance, "send")
    actions.complete(send.pk, by=demo["sales_admin"].user, data={"sent": "yes"})
    assert Timer.objects.get(instance=instance).cancelled_at is not None
    assert not sweeps.fire_due(send.created_at + timedelta(days=10))
    assert not Notification.objects.filter(kind__in=["reminder", "overdue"]).exists()


def test_a_step_that_is_a_plain_task(processes, demo):
    from tasks.models import Task
    from tasks.services import complete_task

    instance = actions.start("t_task_step", by=demo["manager1"].user)
    task = Task.objects.get(instance=instance)
    assert task.responsible == demo["director"] and task.title == "Подпишите соглашения"
    assert not instance.assignments.exists()
    complete_task(task.pk, by=demo["director"].user)
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "completed")


def test_deactivation_moves_open_work_to_the_line_manager(processes, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")
    directory.deactivate(demo["sales_head"], by=demo["admin"])
    attach.refresh_from_db()
    assert attach.assignee == demo["director"] and attach.is_open
    assert Notification.objects.filter(recipient=demo["director"], kind="reassigned").exists()
    assert Notification.objects.filter(recipient=demo["sales_head"], kind="reassigned").exists()
    assert instance.history.filter(event="reassigned").exists()
    assert not Assignment.objects.filter(status="open", assignee__is_active=False).exists()
    # A later assignment for that role goes to whoever still holds it: nobody, so the step refuses.
    actions.complete(attach.pk, by=demo["director"].user, data={"document_url": URL})


def test_role_with_several_holders_gets_the_least_loaded(processes, demo):
    demo["manager2"].roles.add(*demo["director"].roles.all())
    first = actions.start("t_parallel", by=demo["manager1"].user)
    for key, who in (("left", "sales_admin"), ("right", "accountant")):
        actions.complete(open_assignment(first, key).pk, by=demo[who].user, data={})
    second = actions.start("t_parallel", by=demo["manager1"].user)
    for key, who in (("left", "sales_admin"), ("right", "accountant")):
        actions.complete(open_assignment(second, key).pk, by=demo[who].user, data={})
    owners = {open_assignment(first, "final").assignee, open_assignment(second, "final").assignee}
    assert owners == {demo["director"], demo["manager2"]}


def test_role_skips_a_holder_whose_login_is_disabled(processes, demo):
    # The director would win the tie (fewest open assignments, then the lowest pk) if the engine's
    # own statement for role() forgot the login: it must agree with directory.role_holders.
    demo["manager2"].roles.add(*demo["director"].roles.all())
    assert demo["director"].pk < demo["manager2"].pk
    demo["director"].user.is_active = False
    demo["director"].user.save(update_fields=["is_active"])
    assert list(directory.role_holders("director")) == [demo["manager2"]]
    instance = actions.start("t_parallel", by=demo["manager1"].user)
    for key, who in (("left", "sales_admin"), ("right", "accountant")):
        actions.complete(open_assignment(instance, key).pk, by=demo[who].user, data={})
    final = open_assignment(instance, "final")
    assert final.assignee == demo["manager2"]
    notice = Notification.objects.get(assignment=final, kind="assigned")
    assert notice.recipient == demo["manager2"]
    assert OutboxEmail.objects.get(notification=notice).to == demo["manager2"].user.email


def test_a_crash_after_the_engine_step_leaves_the_old_state(processes, demo, monkeypatch):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = open_assignment(instance, "attach")

    def snapshot():
        instance.refresh_from_db()
        return (
            instance.state,
            instance.revision,
            Assignment.objects.count(),
            History.objects.count(),
            Notification.objects.count(),
            OutboxEmail.objects.count(),
        )

    before = snapshot()

    def crash(self):
        raise RuntimeError("power cut")

    monkeypatch.setattr(step.Step, "save", crash)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": URL})
    attach.refresh_from_db()
    assert snapshot() == before and attach.is_open


def test_unique_quarter_refuses_a_second_start(demo):
    from engine.definitions import deploy
    from engine.tests.flows import approval_process

    deploy(approval_process("t_quarterly", unique_by="quarter").xml())
    actions.start("t_quarterly", by=demo["director"].user, variables={"quarter": "2027-Q1"})
    with pytest.raises(Conflict):
        actions.start("t_quarterly", by=demo["director"].user, variables={"quarter": "2027-Q1"})
    with pytest.raises(Invalid) as bad:
        actions.start("t_quarterly", by=demo["director"].user, variables={"quarter": "2027-Q5"})
    assert "quarter" in bad.value.errors


def test_running_instances_stay_on_their_version(processes, demo):
    from engine.definitions import deploy
    from engine.tests.flows import approval_process

    old = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    changed = approval_process()
    changed.name = "Тестовое согласование, версия 2"
    version, created = deploy(changed.xml())
    assert created and version.version == 2
    new = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q2"})
    assert old.process.version == 1 and new.process.version == 2
    actions.complete(open_assignment(old, "attach").pk, by=demo["sales_head"].user, data={"document_url": URL})
    assert open_assignment(old, "approve_doc")


def test_an_id_used_twice_is_refused_at_deploy(db):
    from engine.bpmn import DeployError
    from engine.definitions import deploy
    from engine.tests.builder import DECISION_FORM, Process

    p = Process("t_dup", "Повтор", properties={"start_roles": "*"})
    p.start().user("approve", "Согласовать", "role('director')", form=DECISION_FORM).end("end")
    p.chain("start", "approve", "end")
    with pytest.raises(DeployError) as refused:
        deploy(p.xml())
    assert any(element == "approve" and "дважды" in reason for element, reason in refused.value.errors)


def test_a_manual_start_without_a_quarter_takes_the_scheduled_one(demo, time_machine):
    from engine.definitions import deploy
    from engine.tests.flows import approval_process

    deploy(approval_process("t_next_quarter", unique_by="quarter", schedule_quarter="next").xml())
    time_machine.move_to("2026-12-15T06:00:00+00:00")
    instance = actions.start("t_next_quarter", by=demo["director"].user)
    assert instance.unique_value == "2027-Q1" and instance.variables["quarter"] == "2027-Q1"


def test_the_starter_variable_cannot_be_forged(processes, demo):
    instance = actions.start(
        "t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1", "starter": "director"}
    )
    assert instance.variables["starter"] == "manager1"
