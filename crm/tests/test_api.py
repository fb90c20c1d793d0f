"""The companies endpoints of api.md, and the walk from the start button to a company through the API."""

from __future__ import annotations

import pytest

from crm.models import Company, CompanyChange
from crm.tests.factories import deploy_counterparty_process, ip_card, org_card
from crm.validation import FIELDS


@pytest.fixture
def process(demo):
    deploy_counterparty_process()
    return demo


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_list_searches_by_name_in_any_case_and_by_inn(demo, api_client):
    client = api_client("manager1")
    everything = client.get("/api/v1/companies").json()
    assert everything["count"] == Company.objects.count() == 5
    found = client.get("/api/v1/companies", {"q": "автодеталь"}).json()
    assert [c["name"] for c in found["items"]] == ["Автодеталь-Центр"]
    company = Company.objects.get(name="Автодеталь-Центр")
    by_inn = client.get("/api/v1/companies", {"inn": company.inn}).json()
    assert by_inn["count"] == 1 and by_inn["items"][0]["id"] == company.pk
    by_digits = client.get("/api/v1/companies", {"q": company.inn[:6]}).json()
    assert company.pk in [c["id"] for c in by_digits["items"]]
    assert client.get("/api/v1/companies", {"q": "нет такой"}).json() == {"items": [], "count": 0}
    assert client.get("/api/v1/companies", {"limit": 0}).status_code == 400


def test_a_company_has_the_card_fields_and_its_origin(demo, api_client):
    company = Company.objects.get(name="Автодеталь-Центр")
    body = api_client("manager2").get(f"/api/v1/companies/{company.pk}").json()
    expected = {*FIELDS, "id", "created_at", "created_by_instance"}
    assert expected <= set(body)
    assert body["responsible"] == "manager1" and body["created_by_instance"] is None
    assert body["contacts"][0]["email"] == "kirillov@avtodetal.example"
    assert body["history"][0]["action"] == "created"
    assert api_client("manager2").get("/api/v1/companies/999999").status_code == 404


def test_check_answers_errors_warnings_and_duplicates_and_saves_nothing(demo, api_client):
    client = api_client("manager1")
    before = Company.objects.count()
    ok = _post(client, "/api/v1/companies/check", org_card()).json()
    assert ok == {"errors": {}, "warnings": {}, "duplicates": []}
    existing = Company.objects.get(name="Автодеталь-Центр")
    body = _post(
        client, "/api/v1/companies/check", org_card(name="Автодеталь Центр", inn=existing.inn, kpp=existing.kpp)
    ).json()
    assert "inn" in body["errors"]
    assert body["duplicates"][0]["id"] == existing.pk and body["duplicates"][0]["reason"] == "same_inn"
    assert set(body["duplicates"][0]) >= {"id", "name", "inn", "kpp", "reason"}
    similar = _post(client, "/api/v1/companies/check", org_card(name='ООО "Автодеталь Центр"')).json()
    assert similar["errors"] == {} and "name" in similar["warnings"]
    assert similar["duplicates"][0]["reason"] == "similar_name"
    bad = _post(
        client, "/api/v1/companies/check", ip_card(inn="7708111220", kpp="165501001", bank_bik="044525225")
    ).json()
    assert {"inn", "kpp", "bank_name", "bank_account", "bank_corr_account"} <= set(bad["errors"])
    assert Company.objects.count() == before


def test_check_of_a_revision_skips_its_own_instance_and_hides_others(process, api_client):
    from engine import actions

    demo = process
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    step = instance.assignments.get(status="open")
    actions.complete(step.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    client = api_client("manager1")
    assert "inn" in _post(client, "/api/v1/companies/check", org_card()).json()["errors"]
    own = _post(client, f"/api/v1/companies/check?instance={instance.pk}", org_card()).json()
    assert own["errors"] == {}
    # Someone who cannot see the instance cannot use it either.
    assert (
        _post(api_client("manager2"), f"/api/v1/companies/check?instance={instance.pk}", org_card()).status_code == 404
    )


def test_nobody_but_an_administrator_posts_a_company(demo, api_client):
    for username in ("manager1", "sales_head", "director", "findir"):
        response = _post(api_client(username), "/api/v1/companies", org_card())
        assert response.status_code == 403, username
    assert not Company.objects.filter(inn=org_card()["inn"]).exists()
    admin = api_client("admin")
    refused = _post(admin, "/api/v1/companies", org_card(inn="123"))
    assert refused.status_code == 400 and "inn" in refused.json()["errors"]
    created = _post(admin, "/api/v1/companies", org_card())
    assert created.status_code == 201, created.content
    company = Company.objects.get(pk=created.json()["id"])
    assert CompanyChange.objects.get(company=company).actor.username == "admin"
    again = _post(admin, "/api/v1/companies", org_card())
    assert again.status_code == 400 and "inn" in again.json()["errors"]
    assert Company.objects.filter(inn=org_card()["inn"]).count() == 1


def test_unauthenticated_is_401(db, client):
    assert client.get("/api/v1/companies").status_code == 401
    assert _post(client, "/api/v1/companies/check", org_card()).status_code == 401


def test_from_the_start_button_to_an_approved_company_through_the_api(process, api_client):
    manager, head, findir = api_client("manager1"), api_client("sales_head"), api_client("findir")
    processes = manager.get("/api/v1/processes").json()
    assert any(p["key"] == "add_counterparty" and p["manual_start"] for p in processes)
    started = _post(manager, "/api/v1/processes/add_counterparty/start", {"variables": {}})
    assert started.status_code == 201, started.content
    instance_id = started.json()["id"]

    def open_step(client, key):
        items = client.get("/api/v1/assignments", {"assignee": "me", "status": "open", "instance": instance_id}).json()[
            "items"
        ]
        assert [a["key"] for a in items] == [key]
        return items[0]["id"]

    fill = open_step(manager, "fill_card")
    form = {f["id"]: f for f in manager.get(f"/api/v1/assignments/{fill}").json()["form"]}
    assert form["country"]["value"] == "Россия" and form["responsible"]["value"] == "manager1"
    assert [o["id"] for o in form["legal_form"]["options"]] == ["ooo", "ao", "pao", "ip", "foreign"]
    assert [o["id"] for o in form["action"]["options"]] == ["submit", "stop"]
    assert [c["id"] for c in form["contacts"]["fields"]] == ["name", "position", "phone", "email"]
    # A wrong ИНН is stopped at entry, with the field named.
    wrong = org_card(inn=org_card()["inn"][:-1] + "0" if org_card()["inn"][-1] != "0" else org_card()["inn"][:-1] + "1")
    refused = _post(manager, f"/api/v1/assignments/{fill}/complete", {"data": {**wrong, "action": "submit"}})
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["inn"]
    done = _post(manager, f"/api/v1/assignments/{fill}/complete", {"data": {**org_card(), "action": "submit"}})
    assert done.status_code == 200, done.content
    for client, key in ((head, "manager_approval"), (findir, "finance_approval")):
        step = open_step(client, key)
        response = _post(client, f"/api/v1/assignments/{step}/complete", {"data": {"decision": "approve"}})
        assert response.status_code == 200, response.content
    instance = manager.get(f"/api/v1/instances/{instance_id}").json()
    assert instance["outcome"] == "approved" and instance["company"]
    company = manager.get(f"/api/v1/companies/{instance['company']}").json()
    assert company["created_by_instance"] == instance_id and company["inn"] == org_card()["inn"]
    notes = manager.get("/api/v1/notifications").json()["items"]
    assert any(n["kind"] == "company_created" for n in notes)
