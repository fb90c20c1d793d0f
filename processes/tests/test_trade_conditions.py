"""«Торговые условия» (processes.md §1), every step and branch through the service functions, and the
whole process once through the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from base.errors import Invalid
from engine import actions, forms
from engine.definitions import model_for
from engine.models import AssignmentStatus, Instance
from notify.models import Notification
from org import directory
from processes import i18n_quarterly
from processes.tests.quarterly_support import (
    assert_no_overlap,
    complete_through_api,
    do,
    open_assignment,
    open_keys,
    russian_labels,
    shapes,
    start_through_api,
    state_of,
    submit_through_page,
)

BASE = "https://docs.example.com/base-discounts-2027-q1"
REGISTRY = "https://docs.example.com/conditions-2027-q1"
FILE = Path(__file__).resolve().parents[1] / "trade_conditions.bpmn"


def start(q, who="sales_admin", quarter="2027-Q1"):
    return actions.start("trade_conditions", by=q[who].user, variables={"quarter": quarter})


def through_base_discounts(instance, q, recipients=("manager1",)):
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": list(recipients)})
    do(instance, "attach_base_discounts", q["sales_head"], {"document_url": BASE})
    do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})


def prefilled(assignment):
    task = model_for(assignment.instance.process).user_tasks[assignment.key]
    assignment.instance.refresh_from_db()
    return forms.initial_values(task.form, assignment.instance.variables)


def test_happy_path_notifies_the_chosen_people_at_start_and_finish(q, time_machine):
    time_machine.move_to("2026-12-15T06:00:00+00:00")
    instance = start(q)
    assert instance.title == "Торговые условия на 2027-Q1"
    first = open_assignment(instance, "select_start_recipients")
    assert first.assignee == q["sales_admin"]
    assert first.title == "Выбрать получателей уведомления о запуске процесса"
    assert first.due_at - first.created_at == timedelta(days=2)

    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1", "sales_head"]})
    started = Notification.objects.filter(kind="process_started", instance=instance)
    assert sorted(started.values_list("recipient__user__username", flat=True)) == ["manager1", "sales_head"]
    assert all("Торговые условия на I квартал 2027 г." in n.text for n in started)
    # A link to the instance only for whoever may open it: manager1 takes no part and would get a 404.
    assert started.get(recipient=q["manager1"]).url == ""
    assert started.get(recipient=q["sales_head"]).url == f"/instances/{instance.pk}/"

    attach = open_assignment(instance, "attach_base_discounts")
    assert attach.assignee == q["sales_head"]
    assert attach.title == "Прикрепить ссылку на реестр базовых скидок на 2027-Q1"
    assert attach.due_at - attach.created_at == timedelta(days=3)
    do(instance, "attach_base_discounts", q["sales_head"], {"document_url": BASE, "comment": "Скидки как в Q4"})

    approve = open_assignment(instance, "approve_base_discounts")
    assert (approve.assignee, approve.title) == (q["director"], "Согласовать реестр базовых скидок")
    assert approve.due_at - approve.created_at == timedelta(days=2)
    do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})

    registry = open_assignment(instance, "attach_conditions_registry")
    assert registry.assignee == q["sales_admin"]
    assert registry.title == "Сформировать реестр скидок, отсрочек и кредитных лимитов"
    assert prefilled(registry)["document_url"] is None  # a new document, not the base discounts' link
    do(instance, "attach_conditions_registry", q["sales_admin"], {"document_url": REGISTRY})

    approve = open_assignment(instance, "approve_conditions_registry")
    assert approve.assignee == q["director"]
    do(instance, "approve_conditions_registry", q["director"], {"decision": "approve", "comment": "Да"})

    finish = open_assignment(instance, "select_finish_recipients")
    assert finish.assignee == q["sales_admin"]  # whoever did step 5
    assert prefilled(finish)["recipients"] == ["manager1", "sales_head"]  # the start's list, to adjust
    assert not Notification.objects.filter(kind="process_finished", instance=instance).exists()
    do(instance, "select_finish_recipients", q["sales_admin"], {"recipients": ["manager2", "manager3"]})

    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "approved")
    assert instance.variables["base_discounts_url"] == BASE
    assert instance.variables["conditions_registry_url"] == REGISTRY
    # The chosen people get the links; the starter also gets the engine's usual "finished" notice.
    finished = Notification.objects.filter(kind="process_finished", instance=instance, text__contains=BASE)
    assert sorted(finished.values_list("recipient__user__username", flat=True)) == ["manager2", "manager3"]
    for notice in finished:
        assert BASE in notice.text and REGISTRY in notice.text and "I квартал 2027 г." in notice.text
    completed = [key for event, key in instance.history.values_list("event", "key") if event == "completed"]
    assert completed == [
        "select_start_recipients", "attach_base_discounts", "approve_base_discounts",
        "attach_conditions_registry", "approve_conditions_registry", "select_finish_recipients",
    ]  # fmt: skip
    services_run = list(instance.history.filter(event="service").values_list("key", flat=True))
    assert services_run == ["quarterly.notify_start_recipients", "quarterly.notify_finish_recipients"]
    assert not instance.assignments.filter(status=AssignmentStatus.OPEN).exists()


def test_base_discounts_rework_goes_to_whoever_attached_them_until_approved(q):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    # The sales head hands step 2 to a manager: "whoever did 2" is then the manager.
    actions.delegate(open_assignment(instance, "attach_base_discounts").pk, by=q["sales_head"].user, to="manager1")
    do(instance, "attach_base_discounts", q["manager1"], {"document_url": BASE})

    first = do(instance, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Скидки велики"})
    revise = open_assignment(instance, "revise_base_discounts")
    assert (revise.assignee, revise.title) == (q["manager1"], "Доработать реестр базовых скидок")
    assert revise.due_at - revise.created_at == timedelta(days=3)
    assert prefilled(revise)["document_url"] == BASE  # the last link, to correct
    assert open_keys(instance) == ["revise_base_discounts"]
    do(instance, "revise_base_discounts", q["manager1"], {"document_url": BASE + "-v2", "comment": "Уменьшил"})

    second = open_assignment(instance, "approve_base_discounts")
    assert second.pk != first.pk  # a new assignment, the first one stays done
    do(instance, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Ещё меньше"})
    revise = open_assignment(instance, "revise_base_discounts")
    assert prefilled(revise)["document_url"] == BASE + "-v2"
    do(instance, "revise_base_discounts", q["manager1"], {"document_url": BASE + "-v3"})
    do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})

    assert open_keys(instance) == ["attach_conditions_registry"]
    instance.refresh_from_db()
    assert instance.variables["base_discounts_url"] == BASE + "-v3"
    assert instance.assignments.filter(key="approve_base_discounts", status="done").count() == 3


def test_conditions_registry_rework_and_the_finish_go_to_whoever_formed_it(q):
    instance = start(q)
    through_base_discounts(instance, q)
    actions.delegate(
        open_assignment(instance, "attach_conditions_registry").pk, by=q["sales_admin"].user, to="manager2"
    )
    do(instance, "attach_conditions_registry", q["manager2"], {"document_url": REGISTRY})
    do(instance, "approve_conditions_registry", q["director"], {"decision": "reject", "comment": "Отсрочки длинные"})

    revise = open_assignment(instance, "revise_conditions_registry")
    assert revise.assignee == q["manager2"]
    assert revise.title == "Доработать реестр скидок, отсрочек и кредитных лимитов"
    assert prefilled(revise)["document_url"] == REGISTRY
    do(instance, "revise_conditions_registry", q["manager2"], {"document_url": REGISTRY + "-v2"})
    do(instance, "approve_conditions_registry", q["director"], {"decision": "approve"})

    finish = open_assignment(instance, "select_finish_recipients")
    assert finish.assignee == q["manager2"]
    do(instance, "select_finish_recipients", q["manager2"], {"recipients": ["accountant"]})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "approved")
    notice = Notification.objects.get(kind="process_finished", instance=instance, recipient=q["accountant"])
    # Both approved links: the base discounts survive the second document's `document_url`.
    assert BASE in notice.text and REGISTRY + "-v2" in notice.text


@pytest.mark.parametrize("key", ["approve_base_discounts", "approve_conditions_registry"])
def test_a_rejection_without_a_comment_is_a_field_error_and_changes_nothing(q, key):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    do(instance, "attach_base_discounts", q["sales_head"], {"document_url": BASE})
    if key == "approve_conditions_registry":
        do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})
        do(instance, "attach_conditions_registry", q["sales_admin"], {"document_url": REGISTRY})
    before = state_of(instance)
    for data in ({"decision": "reject"}, {"decision": "reject", "comment": "   "}):
        with pytest.raises(Invalid) as refused:
            do(instance, key, q["director"], data)
        assert set(refused.value.errors) == {"comment"}
    with pytest.raises(Invalid) as refused:
        do(instance, key, q["director"], {"decision": "maybe"})
    assert set(refused.value.errors) == {"decision"}
    assert state_of(instance) == before


@pytest.mark.parametrize(
    "recipients",
    [[], "", ["nobody_here"], ["manager1", "nobody_here"], ["manager1", "manager1"], "deactivated"],
)
@pytest.mark.parametrize("step", ["select_start_recipients", "select_finish_recipients"])
def test_bad_recipients_are_a_field_error_and_change_nothing(q, recipients, step):
    if recipients == "deactivated":
        directory.deactivate(q["manager3"], by=q["admin"])
        recipients = ["manager1", "manager3"]
    instance = start(q)
    if step == "select_finish_recipients":
        through_base_discounts(instance, q)
        do(instance, "attach_conditions_registry", q["sales_admin"], {"document_url": REGISTRY})
        do(instance, "approve_conditions_registry", q["director"], {"decision": "approve"})
    notices = Notification.objects.filter(kind__in=["process_started", "process_finished"]).count()
    before = state_of(instance)
    with pytest.raises(Invalid) as refused:
        do(instance, step, q["sales_admin"], {"recipients": recipients})
    assert set(refused.value.errors) == {"recipients"}
    assert state_of(instance) == before
    assert Notification.objects.filter(kind__in=["process_started", "process_finished"]).count() == notices


@pytest.mark.parametrize("url", ["", "ftp://docs.example.com/x", "docs.example.com/x", "https://", "javascript:1"])
def test_a_document_link_must_be_http_or_https(q, url):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    before = state_of(instance)
    with pytest.raises(Invalid) as refused:
        do(instance, "attach_base_discounts", q["sales_head"], {"document_url": url})
    # Nothing at all: the pair asks for a link or a file on both; a bad link is the link's error.
    assert set(refused.value.errors) == ({"document_url", "document_file"} if not url else {"document_url"})
    assert state_of(instance) == before


# ------------------------------------------------------------------ starting by hand, through the API


@pytest.mark.parametrize(("who", "status"), [("sales_admin", 201), ("director", 201), ("admin", 201)])
def test_the_roles_of_section_1_and_administrators_start_it(q, api_client, who, status):
    response = start_through_api(api_client(who), "trade_conditions", "2027-Q2")
    assert response.status_code == status, response.content
    body = response.json()
    assert body["title"] == "Торговые условия на 2027-Q2" and body["started_by"] == who
    assert [a["key"] for a in body["assignments"]] == ["select_start_recipients"]


@pytest.mark.parametrize("who", ["manager1", "sales_head", "findir", "accountant", "outsider"])
def test_anyone_else_gets_403(q, api_client, outsider, who):
    response = start_through_api(api_client(who), "trade_conditions", "2027-Q2")
    assert response.status_code == 403
    assert not Instance.objects.filter(process_key="trade_conditions").exists()


def test_one_instance_per_quarter_a_second_manual_start_is_409(q, api_client):
    client = api_client("director")
    assert start_through_api(client, "trade_conditions", "2027-Q1").status_code == 201
    again = start_through_api(api_client("sales_admin"), "trade_conditions", "2027-Q1")
    assert again.status_code == 409 and "2027-Q1" in again.json()["detail"]
    other = start_through_api(client, "trade_conditions", "2027-Q2")
    assert other.status_code == 201


@pytest.mark.parametrize("quarter", ["2027-Q5", "2027Q1", "2027-q1", "27-Q1", "Q1-2027", 2027])
def test_a_malformed_quarter_is_400_naming_it(q, api_client, quarter):
    response = start_through_api(api_client("director"), "trade_conditions", quarter)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["quarter"]


def test_the_whole_process_through_the_api(q, api_client):
    clients = {who: api_client(who) for who in ("sales_admin", "sales_head", "director", "manager1")}

    def complete(who, key, data):
        return complete_through_api(clients[who], "trade_conditions", key, data)

    started = start_through_api(clients["sales_admin"], "trade_conditions", "2027-Q1")
    instance_id = started.json()["id"]
    bad = clients["sales_admin"].post(
        f"/api/v1/assignments/{started.json()['assignments'][0]['id']}/complete",
        {"data": {"recipients": []}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["recipients"]
    complete("sales_admin", "select_start_recipients", {"recipients": ["manager1"]})
    complete("sales_head", "attach_base_discounts", {"document_url": BASE})
    complete("director", "approve_base_discounts", {"decision": "reject", "comment": "Пересчитать"})
    revise = complete("sales_head", "revise_base_discounts", {"document_url": BASE + "-v2"})
    assert revise["title"] == "Доработать реестр базовых скидок"
    complete("director", "approve_base_discounts", {"decision": "approve"})
    complete("sales_admin", "attach_conditions_registry", {"document_url": REGISTRY})
    complete("director", "approve_conditions_registry", {"decision": "approve"})
    complete("sales_admin", "select_finish_recipients", {"recipients": ["manager1"]})

    instance = clients["director"].get(f"/api/v1/instances/{instance_id}").json()
    assert (instance["status"], instance["outcome"]) == ("finished", "approved")
    assert instance["variables"]["quarter"] == "2027-Q1"
    notices = clients["manager1"].get("/api/v1/notifications").json()["items"]
    kinds = {n["kind"] for n in notices}
    assert {"process_started", "process_finished"} <= kinds
    finished = next(n for n in notices if n["kind"] == "process_finished")
    assert BASE + "-v2" in finished["text"] and REGISTRY in finished["text"]


# ------------------------------------------------------------------ the file


def test_the_file_lays_out_its_diagram_without_overlapping_shapes():
    assert_no_overlap(shapes(FILE))


def test_every_label_of_the_file_is_in_the_catalog_list():
    assert russian_labels(FILE) - set(i18n_quarterly.STRINGS) == set()


# ------------------------------------------------------------------ the pages


def test_the_whole_process_through_the_pages(q, login):
    people = {who: login(who) for who in ("sales_admin", "sales_head", "director")}

    def submit(who, key, data):
        return submit_through_page(people[who], instance, key, data)

    started = people["sales_admin"].post("/processes/trade_conditions/start/", {"quarter": "2027-Q1"})
    instance = Instance.objects.get(process_key="trade_conditions")
    assert started["Location"] == f"/assignments/{open_assignment(instance, 'select_start_recipients').pk}/"
    again = people["director"].post("/processes/trade_conditions/start/", {"quarter": "2027-Q1"})
    assert again.status_code == 302 and Instance.objects.filter(process_key="trade_conditions").count() == 1

    refused = people["sales_admin"].post(
        f"/assignments/{open_assignment(instance, 'select_start_recipients').pk}/", {"recipients": ""}
    )
    assert refused.status_code == 400
    submit("sales_admin", "select_start_recipients", {"recipients": ["manager1", "manager2"]})
    submit("sales_head", "attach_base_discounts", {"document_url": BASE})
    submit("director", "approve_base_discounts", {"decision": "reject", "comment": "Скидки велики"})
    revise = open_assignment(instance, "revise_base_discounts")
    assert BASE in people["sales_head"].get(f"/assignments/{revise.pk}/").content.decode()  # pre-filled
    submit("sales_head", "revise_base_discounts", {"document_url": BASE + "-v2"})
    submit("director", "approve_base_discounts", {"decision": "approve"})
    submit("sales_admin", "attach_conditions_registry", {"document_url": REGISTRY})
    submit("director", "approve_conditions_registry", {"decision": "approve"})
    submit("sales_admin", "select_finish_recipients", {"recipients": "manager1, manager2"})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "approved")
    assert Notification.objects.filter(kind="process_finished", text__contains=REGISTRY).count() == 2
