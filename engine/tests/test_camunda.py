"""Files from Camunda Modeler (issue #19, part 6): Camunda 7 attributes get Camunda's meaning where
ours has one, and whatever a start would trip on is refused at deploy, naming the element."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from engine import actions, sweeps
from engine.bpmn import DeployError, load_process
from engine.definitions import deploy
from engine.models import Assignment, AssignmentStatus, Timer
from engine.tests.builder import Process
from notify.models import Notification
from org.models import Employee

FILE = Path(__file__).parent / "bpmn" / "camunda_getting_started.bpmn"


def refusals(xml: bytes) -> list[tuple[str, str]]:
    with pytest.raises(DeployError) as info:
        deploy(xml, filename="camunda.bpmn")
    return info.value.errors


def make_employee(username: str, like: Employee) -> Employee:
    user = get_user_model().objects.create_user(username=username, password="x")
    return Employee.objects.create(user=user, full_name=username.title(), department=like.department)


def open_assignment(instance, key: str) -> Assignment:
    return Assignment.objects.get(instance=instance, key=key, status=AssignmentStatus.OPEN)


def test_the_getting_started_file_maps_camunda_form_types():
    model = load_process(FILE.read_bytes())
    task = model.user_tasks["Task_0dfv74n"]
    assert task.assignee == "employee('demo')" and task.users == ("demo",)
    assert [(f.id, f.type) for f in task.form.fields] == [
        ("item", "text"), ("amount", "integer"), ("approved", "boolean"), ("payment_date", "date"), ("channel", "enum"),
    ]


def test_the_getting_started_file_deploys_and_starts_when_demo_exists(demo):
    person = make_employee("demo", demo["manager1"])
    deploy(FILE.read_bytes(), filename="camunda_getting_started.bpmn")
    instance = actions.start("Process_1", by=demo["admin"].user)
    approve = open_assignment(instance, "Task_0dfv74n")
    assert approve.assignee == person
    data = {"item": "Ноутбук", "amount": "1200", "approved": "on", "payment_date": "2027-03-01", "channel": "card"}
    actions.complete(approve.pk, by=person.user, data=data)
    instance.refresh_from_db()
    assert instance.status == "finished"
    assert instance.variables["amount"] == 1200 and instance.variables["approved"] is True


def test_the_getting_started_file_is_refused_without_such_an_employee(demo):
    errors = refusals(FILE.read_bytes())
    refusal = "Шаг «Approve» (Task_0dfv74n): исполнитель «demo» — неизвестная переменная или сотрудник"
    assert errors == [("Task_0dfv74n", refusal)]


def camunda_task(key: str, **attributes: str) -> Process:
    p = Process(key, "Camunda", properties={"start_roles": "*"})
    attrs = " ".join(f'camunda:{name}="{value}"' for name, value in attributes.items())
    p.node("Task_1", f'<bpmn:userTask id="Task_1" name="Согласовать" {attrs}/>', "task")
    p.start().end("end").chain("start", "Task_1", "end")
    return p


def test_candidate_users_go_to_the_least_busy_active_one(demo):
    demo["manager2"].is_active = False
    demo["manager2"].save()
    deploy(camunda_task("t_candidates", candidateUsers="manager2, manager1, manager3").xml())
    first = open_assignment(actions.start("t_candidates", by=demo["director"].user), "Task_1")
    second = open_assignment(actions.start("t_candidates", by=demo["director"].user), "Task_1")
    assert {first.assignee.username, second.assignee.username} == {"manager1", "manager3"}


def test_candidate_groups_are_roles(demo):
    deploy(camunda_task("t_groups", candidateGroups="finance_director").xml())
    instance = actions.start("t_groups", by=demo["manager1"].user)
    assert open_assignment(instance, "Task_1").assignee == demo["findir"]


def test_unknown_candidates_are_refused_at_deploy(demo):
    errors = refusals(camunda_task("t_nobody", candidateUsers="ghost", candidateGroups="astronaut").xml())
    assert [reason for _where, reason in errors] == [
        "Шаг «Согласовать» (Task_1): исполнитель «ghost» — неизвестная переменная или сотрудник",
        "Шаг «Согласовать» (Task_1): camunda:candidateGroups — нет роли «astronaut»",
    ]


def test_due_date_and_follow_up_date_set_the_due_and_a_reminder(demo, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    p = camunda_task("t_dates", candidateGroups="sales_admin", dueDate="P5D", followUpDate="P4D")
    deploy(p.xml())
    instance = actions.start("t_dates", by=demo["manager1"].user)
    task = open_assignment(instance, "Task_1")
    assert task.due_at == task.created_at + timedelta(days=5)
    timer = Timer.objects.get(instance=instance)
    assert timer.due_at == task.created_at + timedelta(days=4) and timer.assignment == task
    sweeps.fire_due(task.created_at + timedelta(days=4))
    assert Notification.objects.filter(kind="reminder", recipient=demo["sales_admin"]).exists()


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"assignee": "demo", "dueDate": "2027-01-01"}, "camunda:dueDate «2027-01-01» — укажите длительность"),
        ({"assignee": "demo", "dueDate": "${tomorrow}"}, "выражения JUEL не поддерживаются"),
        ({"assignee": "demo", "formKey": "embedded:app:forms/a.html"}, "camunda:formKey — внешние формы"),
        ({"assignee": "demo", "priority": "50"}, "camunda:priority — не поддерживается"),
        ({"assignee": "${approver.name}"}, "выражения JUEL не поддерживаются"),
    ],
)
def test_what_we_cannot_honour_is_refused_with_the_element_name(demo, attributes, reason):
    make_employee("demo", demo["manager1"])
    errors = refusals(camunda_task("t_refused", **attributes).xml())
    assert any(where == "Task_1" and text.startswith("Шаг «Согласовать» (Task_1): ") and reason in text
               for where, text in errors), errors


def test_a_java_delegate_and_a_listener_are_refused(demo):
    p = Process("t_java", "Java", properties={"start_roles": "*"})
    java = '<bpmn:serviceTask id="Service_1" name="Charge card" camunda:class="org.example.Charge"/>'
    p.node("Service_1", java, "task")
    p.node("Task_1", '<bpmn:userTask id="Task_1" name="Согласовать" camunda:assignee="role(\'director\')">'
           '<bpmn:extensionElements><camunda:taskListener class="org.example.L" event="create"/>'
           "</bpmn:extensionElements></bpmn:userTask>", "task")
    p.start().end("end").chain("start", "Service_1", "Task_1", "end")
    reasons = [text for _where, text in refusals(p.xml())]
    java_refusal = "Автоматический шаг «Charge card» (Service_1): camunda:class — Java-классы"
    assert any(text.startswith(java_refusal) for text in reasons)
    assert "Шаг «Согласовать» (Task_1): camunda:taskListener — слушатели не поддерживаются" in reasons


def test_an_unknown_variable_in_a_condition_is_refused_at_deploy(demo):
    p = Process("t_condition", "Условие", properties={"start_roles": "*"})
    p.start().user("Task_1", "Согласовать", "role('director')", form="").gateway("gw")
    p.end("big").end("small").chain("start", "Task_1", "gw")
    p.flow("gw", "big", "amount > 1000").flow("gw", "small", "not (amount > 1000)")
    reasons = [text for _where, text in refusals(p.xml())]
    assert "Поток «f3»: условие «amount > 1000» — неизвестная переменная «amount»" in reasons


def test_an_unknown_variable_in_an_assignee_rule_is_refused_at_deploy(demo):
    p = Process("t_rule", "Правило", properties={"start_roles": "*"})
    p.start().user("Task_1", "Согласовать", "employee(responsibel) or role('director')", form="").end("end")
    p.chain("start", "Task_1", "end")
    assert refusals(p.xml()) == [("Task_1", "Шаг «Согласовать» (Task_1): исполнитель «employee(responsibel) or "
                                            "role('director')» — неизвестная переменная «responsibel»")]


def test_the_customer_processes_and_the_test_files_still_deploy(demo):
    from engine.definitions import deploy_directory
    from processes.apps import PROCESS_DIR

    assert {key for key, _created in deploy_directory(PROCESS_DIR)} == {
        "trade_conditions", "add_counterparty", "bonus_agreements",
    }
    make_employee("demo", demo["manager1"])
    files = ("approval_loop", "intermediate_timer", "parallel_loop", "subprocess", "timers", "camunda_getting_started")
    for name in files:
        deploy((Path(__file__).parent / "bpmn" / f"{name}.bpmn").read_bytes(), filename=f"{name}.bpmn")
