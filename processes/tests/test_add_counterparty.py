"""`add_counterparty` (processes.md §2): every branch walked through the engine's service functions.

The production BPMN file is deployed the production way; the people are the demo personas
(manager1 starts, sales_head is the line manager, findir the finance director).
"""

from __future__ import annotations

from typing import Any

import pytest

from base.errors import Conflict, Forbidden, Invalid
from crm.models import Company, CompanyChange
from crm.tests.factories import deploy_counterparty_process, ip_card, org_card
from crm.validation import FIELDS
from engine import actions
from engine.models import Assignment, AssignmentStatus, History, HistoryEvent, Instance
from notify.models import Kind, Notification


@pytest.fixture
def process(demo: dict[str, Any]) -> dict[str, Any]:
    deploy_counterparty_process()
    return demo


def _user(demo: dict[str, Any], username: str) -> Any:
    return demo[username].user


def _start(demo: dict[str, Any], username: str = "manager1", variables: dict | None = None) -> Instance:
    return actions.start("add_counterparty", by=_user(demo, username), variables=variables or {})


def _open(instance: Instance, key: str | None = None) -> Assignment:
    open_rows = Assignment.objects.filter(instance=instance, status=AssignmentStatus.OPEN)
    assert open_rows.count() == 1, list(open_rows.values_list("key", flat=True))
    assignment = open_rows.get()
    if key is not None:
        assert assignment.key == key
    return assignment


def _do(demo, instance: Instance, key: str, username: str, data: dict[str, Any], **kwargs: Any) -> Assignment:
    assignment = _open(instance, key)
    assert assignment.assignee.username == username
    return actions.complete(assignment.pk, by=_user(demo, username), data=data, **kwargs)


def _submit(demo, instance, key="fill_card", username="manager1", **card: Any) -> Assignment:
    return _do(demo, instance, key, username, {**org_card(**card), "action": "submit"})


APPROVE = {"decision": "approve"}


def _reject(comment: str = "Проверьте реквизиты") -> dict[str, str]:
    return {"decision": "reject", "comment": comment}


def _at_finance(demo) -> Instance:
    """A card started and submitted by manager1 and approved by the line manager: the finance director's turn."""
    instance = _start(demo)
    _submit(demo, instance)
    _do(demo, instance, "manager_approval", "sales_head", APPROVE)
    return instance


def _approve_both(demo, instance: Instance) -> None:
    """The submitted card approved by the line manager, then by the finance director."""
    _do(demo, instance, "manager_approval", "sales_head", APPROVE)
    _do(demo, instance, "finance_approval", "findir", APPROVE)


def _refresh(instance: Instance) -> Instance:
    return Instance.objects.get(pk=instance.pk)


# --------------------------------------------------------------------------- the happy path


def test_happy_path_creates_the_company_once_and_tells_the_responsible(process):
    demo = process
    instance = _start(demo)
    fill = _open(instance, "fill_card")
    assert fill.assignee.username == "manager1"
    assert fill.title == "Заполнить карточку контрагента"
    # The defaults are process variables, so every client of the form sees them.
    variables = _refresh(instance).variables
    assert variables["responsible"] == "manager1"
    assert variables["responsible_manager"] == "sales_head"
    assert variables["department"] == "Отдел продаж"
    assert variables["country"] == "Россия"
    assert variables["created_on"]

    _submit(demo, instance)
    manager_step = _open(instance, "manager_approval")
    assert manager_step.assignee.username == "sales_head"
    _do(demo, instance, "manager_approval", "sales_head", APPROVE)
    _do(demo, instance, "finance_approval", "findir", APPROVE)

    instance = _refresh(instance)
    assert instance.status == "finished" and instance.outcome == "approved"
    company = Company.objects.get(created_by_instance=instance)
    assert instance.variables["company_id"] == company.pk
    assert company.inn == org_card()["inn"] and company.region == "Москва"
    assert company.responsible.username == "manager1"
    assert company.responsible_manager.username == "sales_head"
    assert company.created_by.username == "findir"
    assert [c.name for c in company.contacts.all()] == ["Иванов Иван"]
    assert [d.title for d in company.documents.all()] == ["Устав"]
    created = CompanyChange.objects.get(company=company)
    assert created.action == "created" and created.instance_id == instance.pk
    note = Notification.objects.get(kind=Kind.COMPANY_CREATED)
    assert note.recipient.username == "manager1" and note.url == f"/companies/{company.pk}/"


def test_company_of_the_instance_is_in_the_instance_api(process, api_client):
    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    _approve_both(demo, instance)
    company = Company.objects.get(created_by_instance=instance)
    body = api_client("manager1").get(f"/api/v1/instances/{instance.pk}").json()
    assert body["company"] == company.pk and body["outcome"] == "approved"


# --------------------------------------------------------------------------- stop


def test_stop_from_the_form_needs_no_card(process):
    demo = process
    instance = _start(demo)
    _do(demo, instance, "fill_card", "manager1", {"action": "stop"})
    instance = _refresh(instance)
    assert instance.status == "finished" and instance.outcome == "stopped"
    assert not Company.objects.filter(created_by_instance=instance).exists()
    assert not History.objects.filter(instance=instance, event=HistoryEvent.REFUSED).exists()


def test_stop_from_the_revision_form(process):
    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    _do(demo, instance, "manager_approval", "sales_head", _reject())
    _do(demo, instance, "revise_card", "manager1", {**org_card(inn="123"), "action": "stop"})
    instance = _refresh(instance)
    assert instance.outcome == "stopped"
    assert not Company.objects.filter(created_by_instance=instance).exists()


def test_the_starter_stops_through_the_api_and_nobody_else_may(process, api_client):
    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    for stranger in ("manager2", "sales_head", "findir"):
        response = api_client(stranger).post(
            f"/api/v1/instances/{instance.pk}/stop", {"reason": "нет"}, content_type="application/json"
        )
        assert response.status_code in (403, 404), stranger
        assert _refresh(instance).status == "running"
    response = api_client("manager1").post(
        f"/api/v1/instances/{instance.pk}/stop", {"reason": "Клиент передумал"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "stopped"
    assert not Assignment.objects.filter(instance=instance, status=AssignmentStatus.OPEN).exists()
    assert Assignment.objects.get(instance=instance, key="manager_approval").status == AssignmentStatus.CANCELLED
    again = api_client("manager1").post(
        f"/api/v1/instances/{instance.pk}/stop", {"reason": "ещё"}, content_type="application/json"
    )
    assert again.status_code == 409


# --------------------------------------------------------------------------- the rework loops


def test_manager_rejects_and_the_responsible_revises(process):
    demo = process
    instance = _start(demo)
    _submit(demo, instance, city="Москва")
    _do(demo, instance, "manager_approval", "sales_head", _reject("Укажите бизнес-группу"))
    revise = _open(instance, "revise_card")
    assert revise.assignee.username == "manager1"
    assert revise.title == "Внести правки в карточку контрагента"
    # The revision form is pre-filled with the last card.
    from api.processes import assignment_form

    form, context = assignment_form(revise)
    values = {field["id"]: field["value"] for field in form}
    assert values["inn"] == org_card()["inn"] and values["city"] == "Москва"
    assert values["contacts"][0]["name"] == "Иванов Иван"
    assert values["action"] is None
    comments = [step["data"].get("comment") for step in context["steps"] if step["key"] == "manager_approval"]
    assert comments == ["Укажите бизнес-группу"]

    _submit(demo, instance, key="revise_card", business_group="Ромашка-Холдинг")
    _approve_both(demo, instance)
    company = Company.objects.get(created_by_instance=instance)
    assert company.business_group == "Ромашка-Холдинг"
    assert _refresh(instance).outcome == "approved"


def test_revision_of_the_own_card_is_not_a_duplicate_of_itself(process):
    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    _do(demo, instance, "manager_approval", "sales_head", _reject())
    _submit(demo, instance, key="revise_card")  # same ИНН as its own earlier card: fine
    assert _open(instance).key == "manager_approval"


def test_finance_rejects_needs_changes_loops_back_to_the_revision(process):
    demo = process
    instance = _at_finance(demo)
    _do(demo, instance, "finance_approval", "findir", _reject("Банк не тот"))
    reason = _open(instance, "rejection_reason")
    assert reason.assignee.username == "findir"
    with pytest.raises(Invalid) as refused:
        actions.complete(reason.pk, by=_user(demo, "findir"), data={"reason": "needs_changes"})
    assert "comment" in refused.value.errors
    _do(demo, instance, "rejection_reason", "findir", {"reason": "needs_changes", "comment": "Исправьте банк"})
    _open(instance, "revise_card")
    _submit(demo, instance, key="revise_card", **_other_bank())
    _approve_both(demo, instance)
    company = Company.objects.get(created_by_instance=instance)
    assert company.bank_bik == "044525187"
    assert _refresh(instance).outcome == "approved"


def test_a_manager_cannot_name_themselves_the_approving_manager(process):
    demo = process
    instance = _start(demo)
    for manager in ("manager1", "manager2"):  # the starter, and the responsible named on the card
        with pytest.raises(Invalid) as refused:
            _submit(demo, instance, responsible="manager2", responsible_manager=manager)
        assert set(refused.value.errors) == {"responsible_manager"}, refused.value.errors
    assert _open(instance).key == "fill_card"
    _submit(demo, instance, responsible="manager2", responsible_manager="manager3")
    assert _open(instance, "manager_approval").assignee.username == "manager3"


def test_the_head_of_sales_adding_a_counterparty_is_approved_by_the_director(process):
    # The manager left empty: the responsible's line manager (never the starter) approves first.
    demo = process
    instance = _start(demo, "sales_head")
    _submit(demo, instance, username="sales_head", responsible_manager="")
    approval = _open(instance, "manager_approval")
    assert approval.assignee.username == "director"
    with pytest.raises(Invalid):  # nor may the director hand it back to the one who filled the card
        actions.delegate(approval.pk, by=_user(demo, "director"), to="sales_head")


def test_the_finance_director_adding_a_counterparty_does_not_approve_it(process):
    demo = process
    instance = _start(demo, "findir")
    _submit(demo, instance, username="findir", responsible_manager="director")
    _do(demo, instance, "manager_approval", "director", APPROVE)
    assert _open(instance, "finance_approval").assignee.username == "director"  # findir's line manager


def _other_bank() -> dict[str, str]:
    from crm.demo import bank

    return bank("044525187", "Банк ВТБ (ПАО)", tail="11100022233")


def test_finance_rejects_not_needed_ends_rejected_without_a_company(process):
    demo = process
    instance = _at_finance(demo)
    _do(demo, instance, "finance_approval", "findir", _reject("Не работаем с ними"))
    _do(demo, instance, "rejection_reason", "findir", {"reason": "not_needed", "comment": "Не наш профиль"})
    instance = _refresh(instance)
    assert instance.status == "finished" and instance.outcome == "rejected"
    assert not Company.objects.filter(created_by_instance=instance).exists()
    assert not Company.objects.filter(inn=org_card()["inn"]).exists()


def test_a_reject_needs_a_comment(process):
    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    step = _open(instance, "manager_approval")
    with pytest.raises(Invalid) as refused:
        actions.complete(step.pk, by=_user(demo, "sales_head"), data={"decision": "reject"})
    assert list(refused.value.errors) == ["comment"]


# --------------------------------------------------------------------------- who does what


def test_a_manager_cannot_complete_another_managers_card(process):
    demo = process
    instance = _start(demo)
    step = _open(instance, "fill_card")
    with pytest.raises(Forbidden):
        actions.complete(step.pk, by=_user(demo, "manager2"), data={**org_card(), "action": "submit"})
    assert _open(instance, "fill_card").pk == step.pk
    assert _refresh(instance).variables.get("inn") is None


def test_a_manager_cannot_complete_it_through_the_api_either(process, api_client):
    demo = process
    instance = _start(demo)
    step = _open(instance, "fill_card")
    response = api_client("manager2").post(
        f"/api/v1/assignments/{step.pk}/complete",
        {"data": {**org_card(), "action": "submit"}},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert _open(instance, "fill_card").pk == step.pk


def test_the_starter_cannot_be_chosen_by_a_start_variable(process):
    demo = process
    instance = _start(demo, variables={"starter": "manager2", "name": "Заготовка"})
    assert _open(instance, "fill_card").assignee.username == "manager1"
    assert _refresh(instance).variables["name"] == "Заготовка"  # a start variable pre-fills the card


def test_the_chosen_responsible_manager_approves_and_the_responsible_revises(process):
    demo = process
    instance = _start(demo)
    _submit(demo, instance, responsible="manager2", responsible_manager="director")
    assert _open(instance, "manager_approval").assignee.username == "director"
    _do(demo, instance, "manager_approval", "director", _reject())
    assert _open(instance, "revise_card").assignee.username == "manager2"


def test_without_a_line_manager_a_sales_head_approves(process):
    demo = process
    instance = _start(demo, "director")  # the director has no line manager
    assert _refresh(instance).variables["responsible_manager"] == ""
    _submit(demo, instance, username="director")
    assert _open(instance, "manager_approval").assignee.username == "sales_head"


def test_the_same_completion_twice_completes_once(process):
    demo = process
    instance = _start(demo)
    step = _submit(demo, instance)
    with pytest.raises(Conflict):
        actions.complete(step.pk, by=_user(demo, "manager1"), data={**org_card(), "action": "submit"})
    assert Assignment.objects.filter(instance=instance, key="manager_approval").count() == 1


# --------------------------------------------------------------------------- bad input at entry


def _refused(demo, instance, data: dict[str, Any], username: str = "manager1") -> dict[str, list[str]]:
    step = _open(instance)
    before = History.objects.filter(instance=instance, event=HistoryEvent.REFUSED).count()
    with pytest.raises(Invalid) as refused:
        actions.complete(step.pk, by=_user(demo, username), data=data)
    assert _open(instance).pk == step.pk  # nothing moved
    assert History.objects.filter(instance=instance, event=HistoryEvent.REFUSED).count() == before + 1
    return refused.value.errors


def test_a_wrong_inn_is_stopped_at_entry(process):
    demo = process
    instance = _start(demo)
    good = org_card()["inn"]
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    errors = _refused(demo, instance, {**org_card(inn=wrong), "action": "submit"})
    assert list(errors) == ["inn"]
    assert "контрольное число" in errors["inn"][0]
    assert not Company.objects.filter(inn=wrong).exists()
    assert _refresh(instance).variables.get("inn") is None


@pytest.mark.parametrize(
    ("card", "field", "words"),
    [
        (ip_card(inn="7708111220"), "inn", "12 цифр"),
        (ip_card(kpp="165501001"), "kpp", "нет КПП"),
        (org_card(bank_account=""), "bank_account", "полностью"),
        (org_card(kpp=""), "kpp", "обязательное"),
        (org_card(name=""), "name", "обязательное"),
        (org_card(region="Нарния"), "region", "Регион"),
        (org_card(contacts=[{"name": "Пётр", "email": "не-почта"}]), "contacts.0.email", "E-mail"),
        (org_card(documents=[{"title": "Договор", "url": "ftp://x"}]), "documents.0.url", "Ссылка"),
    ],
)
def test_each_bad_field_is_named(process, card, field, words):
    demo = process
    instance = _start(demo)
    errors = _refused(demo, instance, {**card, "action": "submit"})
    assert field in errors, errors
    assert words.lower() in " ".join(errors[field]).lower()


def test_several_errors_are_reported_at_once(process):
    demo = process
    instance = _start(demo)
    errors = _refused(
        demo, instance, {**ip_card(inn="7708111220", kpp="165501001", bank_bik="044525225"), "action": "submit"}
    )
    assert {"inn", "kpp", "bank_name", "bank_account", "bank_corr_account"} <= set(errors)


def test_a_card_without_an_action_is_refused_with_its_card_errors(process):
    demo = process
    instance = _start(demo)
    errors = _refused(demo, instance, {"name": "Ромашка"})
    assert "action" in errors and "inn" in errors


# --------------------------------------------------------------------------- duplicates


def test_same_inn_and_kpp_as_an_existing_company_is_an_error_linking_to_it(process):
    demo = process
    existing = Company.objects.get(name="Автодеталь-Центр")  # a demo company
    instance = _start(demo)
    errors = _refused(demo, instance, {**org_card(inn=existing.inn, kpp=existing.kpp), "action": "submit"})
    assert "Автодеталь-Центр" in errors["inn"][0]


def test_same_inn_with_another_kpp_is_a_branch_not_a_duplicate(process):
    demo = process
    existing = Company.objects.get(name="Автодеталь-Центр")
    instance = _start(demo)
    _submit(demo, instance, inn=existing.inn, kpp="772402001", name="Автодеталь-Центр Филиал Север")
    assert _open(instance).key == "manager_approval"


def test_same_inn_as_another_running_card_is_an_error(process):
    demo = process
    first = _start(demo)
    _submit(demo, first)
    second = _start(demo, "manager2")
    errors = _refused(demo, second, {**org_card(name="Другая Ромашка"), "action": "submit"}, username="manager2")
    assert "уже добавляется" in errors["inn"][0]
    # Once the first process ends without a company, the ИНН is free again.
    actions.stop(first.pk, by=_user(demo, "manager1"), reason="дубль")
    _submit(demo, second, username="manager2", name="Другая Ромашка")
    assert _open(second).key == "manager_approval"


def test_an_ip_duplicate_is_found_by_inn_alone(process):
    demo = process
    existing = Company.objects.get(legal_form="ip")
    instance = _start(demo)
    errors = _refused(demo, instance, {**ip_card(inn=existing.inn), "action": "submit"})
    assert "inn" in errors


def test_a_similar_name_is_a_warning_to_confirm(process):
    demo = process
    instance = _start(demo)
    step = _open(instance, "fill_card")
    data = {**org_card(name="ООО «Автодеталь Центр»"), "action": "submit"}
    with pytest.raises(Invalid) as unconfirmed:
        actions.complete(step.pk, by=_user(demo, "manager1"), data=data, confirm_warnings=False)
    assert unconfirmed.value.errors == {}
    assert "Автодеталь-Центр" in unconfirmed.value.warnings["name"][0]
    assert _open(instance).pk == step.pk
    actions.complete(step.pk, by=_user(demo, "manager1"), data=data, confirm_warnings=True)
    assert _open(instance).key == "manager_approval"


def test_a_similar_name_of_another_legal_form_is_no_warning(process):
    demo = process
    instance = _start(demo)
    step = _open(instance, "fill_card")
    data = {**org_card(name="Автодеталь-Центр", legal_form="ao"), "action": "submit"}
    actions.complete(step.pk, by=_user(demo, "manager1"), data=data, confirm_warnings=False)
    assert _open(instance).key == "manager_approval"


# --------------------------------------------------------------------------- exactly once


def test_the_create_step_retried_creates_one_company(process):
    from engine.hooks import SERVICE_HOOKS, ServiceContext

    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    _approve_both(demo, instance)
    instance = _refresh(instance)
    hook = SERVICE_HOOKS["create_company"]
    again = hook(ServiceContext(instance=instance, variables=dict(instance.variables), topic="create_company"))
    assert again == {"company_id": instance.variables["company_id"]}
    assert Company.objects.filter(inn=org_card()["inn"]).count() == 1
    assert Notification.objects.filter(kind=Kind.COMPANY_CREATED).count() == 1


def test_two_hook_calls_for_one_instance_make_one_company(process):
    from engine.hooks import SERVICE_HOOKS, ServiceContext

    demo = process
    instance = _start(demo)
    _submit(demo, instance)
    instance = _refresh(instance)
    hook = SERVICE_HOOKS["create_company"]
    results = [
        hook(ServiceContext(instance=instance, variables=dict(instance.variables), topic="create_company"))
        for _ in range(2)
    ]
    assert results[0] == results[1]
    assert Company.objects.filter(created_by_instance=instance).count() == 1


def test_a_company_that_appeared_meanwhile_blocks_the_approval(process):
    from crm import services as crm

    demo = process
    instance = _at_finance(demo)
    # An administrator entered the same counterparty in the meantime.
    crm.create_company(crm.validate_card(org_card(name="Ромашка (админ)")).cleaned, actor=demo["admin"])
    errors = _refused(demo, instance, APPROVE, username="findir")
    assert "Ромашка (админ)" in errors["decision"][0]
    # Rejecting (to send the card back) is still possible.
    _do(demo, instance, "finance_approval", "findir", _reject("Уже есть в базе"))
    assert _open(instance).key == "rejection_reason"


def test_a_race_past_the_checks_is_refused_by_the_database_and_saves_nothing(process):
    from crm import services as crm

    demo = process
    first, second = _start(demo), _start(demo, "manager2")
    _submit(demo, first)
    # The second card was submitted at the same moment: model it by writing its variables directly.
    second_vars = {**_refresh(second).variables, **crm.validate_card(org_card(name="Ромашка 2")).cleaned}
    Instance.objects.filter(pk=second.pk).update(variables=second_vars)
    first_company, created = crm.create_company_for_instance(_refresh(first), _refresh(first).variables)
    assert created
    with pytest.raises(crm.DuplicateCompany) as duplicate:
        crm.create_company_for_instance(_refresh(second), second_vars)
    assert duplicate.value.entries[0]["id"] == first_company.pk
    assert Company.objects.filter(inn=org_card()["inn"]).count() == 1


# --------------------------------------------------------------------------- the file


def test_the_file_is_the_contract_of_processes_md(process):
    from lxml import etree

    from crm.tests.factories import PROCESS_FILE
    from engine.definitions import validate

    model = validate(PROCESS_FILE.read_bytes())
    assert model.key == "add_counterparty" and model.name == "Добавление контрагента"
    assert model.properties["start_roles"] == "*"
    tasks = model.user_tasks
    assert set(tasks) == {"fill_card", "manager_approval", "finance_approval", "revise_card", "rejection_reason"}
    assert tasks["fill_card"].assignee == "employee(starter)"
    manager_rule = "employee(responsible_manager) or role('sales_head') or role('director')"
    assert tasks["manager_approval"].assignee == manager_rule
    # Four eyes: the two approvals never go to whoever filled or revised the card, nor to the starter.
    for key in ("manager_approval", "finance_approval"):
        assert tasks[key].approval and tasks[key].self_approval == "forbidden"
        assert tasks[key].approves == ("fill_card", "revise_card")
    assert not any(tasks[key].approval for key in ("fill_card", "revise_card", "rejection_reason"))
    assert tasks["finance_approval"].assignee == "role('finance_director')"
    assert tasks["revise_card"].assignee == "employee(responsible)"
    assert tasks["rejection_reason"].assignee == "performer('finance_approval')"
    card_ids = [f.id for f in tasks["fill_card"].form.fields]
    assert card_ids == [f.id for f in tasks["revise_card"].form.fields]
    assert set(card_ids) == {*FIELDS, "action"}
    assert all(f.default == f.id for f in tasks["revise_card"].form.fields if f.id != "action")
    for key in ("fill_card", "revise_card"):
        assert tasks[key].validator == "crm.card"
        assert tasks[key].properties["form_template"] == "crm/card_form.html"
    decision = tasks["finance_approval"].form.field("decision")
    assert [o.id for o in decision.options] == ["approve", "reject"]
    assert [o.id for o in tasks["rejection_reason"].form.field("reason").options] == ["needs_changes", "not_needed"]
    assert set(model.end_outcomes.values()) == {"approved", "rejected", "stopped"}
    # Every flow has an edge with waypoints, so a modeler draws it where we put it.
    root = etree.fromstring(PROCESS_FILE.read_bytes())
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
    flows = {f.get("id") for f in root.iterfind(".//bpmn:sequenceFlow", ns)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", ns) if len(e) >= 2}
    assert flows == edges
