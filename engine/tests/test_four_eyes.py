"""Four eyes: nobody approves their own work, whoever the assignee rule picks.

The test process: the starter prepares a document and names who should approve it; the approval
step (``approval="true"``) goes to that person, or else to the head of sales.
"""

from __future__ import annotations

from typing import Any

import pytest

from base.errors import Forbidden, Invalid, SoglasieError
from engine import actions
from engine.bpmn import DeployError
from engine.definitions import deploy
from engine.models import Assignment, AssignmentStatus, History, HistoryEvent, Instance
from engine.tests.builder import DECISION_FORM, DOCUMENT_FORM, Process
from org import directory

APPROVER_FIELD = '<camunda:formField id="approver" label="Кто согласует" type="employee"/>'


def eyes_process(approve_rule: str = "employee(approver) or role('sales_head')", **approval: str) -> Process:
    p = Process("t_eyes", "Проверка четырёх глаз", properties={"start_roles": "*"})
    p.start().user("prepare", "Подготовить документ", "employee(starter)", form=DOCUMENT_FORM + APPROVER_FIELD)
    p.user("check", "Согласовать документ", approve_rule, form=DECISION_FORM, approval="true", **approval)
    p.end("done", outcome="approved")
    p.chain("start", "prepare", "check", "done")
    return p


def _prepared(demo: dict[str, Any], starter: str, approver: str) -> Instance:
    """``starter`` starts the process and names ``approver``; returns the instance at its approval."""
    instance = actions.start("t_eyes", by=demo[starter].user)
    prepare = instance.assignments.get(key="prepare")
    data = {"document_url": "https://docs.example.com/1", "approver": approver}
    actions.complete(prepare.pk, by=demo[starter].user, data=data)
    return instance


def _approval(instance: Instance) -> Assignment:
    return instance.assignments.select_related("assignee__user").get(key="check", status=AssignmentStatus.OPEN)


def _assigned_entry(instance: Instance) -> dict[str, Any]:
    return History.objects.get(instance=instance, event=HistoryEvent.ASSIGNED, key="check").data


@pytest.fixture
def eyes(demo: dict[str, Any]) -> None:
    deploy(eyes_process().xml())


def test_the_one_who_prepared_cannot_name_themselves_as_approver(eyes, demo):
    instance = _prepared(demo, "manager1", "manager1")
    assert _approval(instance).assignee == demo["sales_head"]
    assert [p["username"] for p in _assigned_entry(instance)["skipped"]] == ["manager1"]


def test_the_instance_page_says_who_was_passed_over(eyes, demo, login):
    instance = _prepared(demo, "manager1", "manager1")
    page = login("sales_head").get(f"/instances/{instance.pk}/").content.decode()
    assert "Не согласует свою работу" in page and demo["manager1"].full_name in page


def test_someone_else_named_approves_and_nobody_is_skipped(eyes, demo):
    instance = _prepared(demo, "manager1", "manager2")
    assert _approval(instance).assignee == demo["manager2"]
    assert "skipped" not in _assigned_entry(instance)


def test_when_the_rule_has_nobody_else_the_line_manager_approves(eyes, demo):
    # The head of sales prepares and names themselves; the fallback role's only holder is them too.
    instance = _prepared(demo, "sales_head", "sales_head")
    assert _approval(instance).assignee == demo["director"]
    assert [p["username"] for p in _assigned_entry(instance)["skipped"]] == ["sales_head"]


def test_an_approval_is_never_delegated_to_whose_work_it_checks(eyes, demo):
    instance = _prepared(demo, "manager1", "manager2")
    approval = _approval(instance)
    with pytest.raises(Invalid) as refused:
        actions.delegate(approval.pk, by=demo["manager2"].user, to="manager1")
    assert "manager1" not in str(refused.value.errors)  # a sentence with the person's name, not a login
    assert demo["manager1"].full_name in refused.value.errors["to"][0]
    approval.refresh_from_db()
    assert approval.assignee == demo["manager2"]
    actions.delegate(approval.pk, by=demo["manager2"].user, to="manager3")  # anyone else may take it
    approval.refresh_from_db()
    assert approval.assignee == demo["manager3"]


def test_an_administrator_who_started_it_cannot_approve_it_either(eyes, demo):
    instance = _prepared(demo, "admin", "manager2")
    approval = _approval(instance)
    with pytest.raises(Forbidden):
        actions.complete(approval.pk, by=demo["admin"].user, data={"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == AssignmentStatus.OPEN
    actions.complete(approval.pk, by=demo["manager2"].user, data={"decision": "approve"})
    instance.refresh_from_db()
    assert instance.outcome == "approved"


def test_a_file_may_allow_self_approval(demo):
    deploy(eyes_process(self_approval="allowed").xml())
    instance = _prepared(demo, "manager1", "manager1")
    assert _approval(instance).assignee == demo["manager1"]


def test_the_starter_may_approve_where_the_file_says_so_but_not_who_did_the_work(demo):
    p = Process("t_eyes_starter", "Согласование запустившим", properties={"start_roles": "*"})
    p.start().user("prepare", "Подготовить документ", "role('sales_admin')")
    p.user("check", "Согласовать документ", "role('director')", form=DECISION_FORM, approval="true",
           self_approval="starter")
    p.end("done", outcome="approved").chain("start", "prepare", "check", "done")
    deploy(p.xml())
    instance = actions.start("t_eyes_starter", by=demo["director"].user)
    prepare = instance.assignments.get(key="prepare")
    actions.complete(prepare.pk, by=demo["sales_admin"].user, data={"document_url": "https://docs.example.com/2"})
    assert _approval(instance).assignee == demo["director"]


def test_a_step_nobody_may_approve_is_refused_and_changes_nothing(demo):
    p = Process("t_eyes_nobody", "Согласование без согласующего", properties={"start_roles": "*"})
    p.start().user("prepare", "Подготовить документ", "role('sales_admin')")
    p.user("check", "Согласовать документ", "role('director')", form=DECISION_FORM, approval="true")
    p.end("done", outcome="approved").chain("start", "prepare", "check", "done")
    deploy(p.xml())
    instance = actions.start("t_eyes_nobody", by=demo["director"].user)  # the director started it
    prepare = instance.assignments.get(key="prepare")
    with pytest.raises(SoglasieError, match="Некому согласовать шаг «check»"):
        actions.complete(prepare.pk, by=demo["sales_admin"].user, data={"document_url": "https://docs.example.com/3"})
    prepare.refresh_from_db()
    assert prepare.status == AssignmentStatus.OPEN
    assert not instance.assignments.filter(key="check").exists()


def test_a_reassigned_approval_skips_whose_work_it_checks(eyes, demo):
    # manager2 approves the head of sales' document; when manager2 leaves, their line manager would
    # be the head of sales, who prepared it: the director takes it instead.
    instance = _prepared(demo, "sales_head", "manager2")
    directory.deactivate(demo["manager2"])
    assert _approval(instance).assignee == demo["director"]


@pytest.mark.parametrize(
    ("properties", "problem"),
    [({"approval": "maybe"}, "approval"), ({"self_approval": "allowed"}, "self_approval")],
)
def test_deploy_refuses_a_wrong_four_eyes_property(db, properties, problem):
    p = Process("t_eyes_bad", "Неверные свойства", properties={"start_roles": "*"})
    p.start().user("check", "Согласовать", "role('director')", form=DECISION_FORM, **properties)
    p.end().chain("start", "check", "end")
    with pytest.raises(DeployError, match=problem):
        deploy(p.xml())
