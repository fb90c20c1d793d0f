"""The company pages, the card form template and its htmx field check, and the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string

from base.errors import Invalid
from crm.models import Company, CompanyChange
from crm.tests.factories import deploy_counterparty_process, org_card
from crm.validation import TEXT_FIELDS
from engine import actions
from engine.models import Assignment, Instance


def _html(response) -> str:
    return response.content.decode()


def _started(demo) -> tuple[Instance, Assignment]:
    """``add_counterparty`` deployed and started by manager1: the instance and its open «fill_card» step."""
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    return instance, Assignment.objects.get(instance=instance, status="open")


# --------------------------------------------------------------------------- list and card


def test_the_list_shows_companies_and_searches_by_name_and_inn(demo, login):
    client = login("manager1")
    page = _html(client.get("/companies/"))
    assert "Автодеталь-Центр" in page and "ТрансЛогистик" in page
    found = _html(client.get("/companies/", {"q": "транслог"}))
    assert "ТрансЛогистик" in found and "Автодеталь-Центр" not in found
    company = Company.objects.get(name="Мотор-Сервис Казань")
    by_inn = _html(client.get("/companies/", {"q": company.inn}))
    assert "Мотор-Сервис Казань" in by_inn and "ТрансЛогистик" not in by_inn
    assert "Ничего не найдено" in _html(client.get("/companies/", {"q": "zzz"}))


def test_the_list_answers_htmx_with_the_results_only(demo, login):
    response = login("manager1").get("/companies/", {"q": "авто"}, headers={"HX-Request": "true"})
    html = _html(response)
    assert html.startswith('<div id="company-results"') and "<html" not in html
    assert "Автодеталь-Центр" in html


def test_pages_need_a_login(db, client):
    assert client.get("/companies/").status_code == 302
    assert client.post("/companies/check-field/?field=inn").status_code == 302


def test_the_card_shows_requisites_contacts_documents_history_and_origin(demo, login):
    company = Company.objects.get(name="Автодеталь-Центр")
    html = _html(login("manager2").get(f"/companies/{company.pk}/"))
    for text in (
        company.inn,
        company.kpp,
        company.ogrn,
        company.bank_account,
        "Кириллов Павел Андреевич",
        "Договор поставки",
        "История изменений",
        "Внесён администратором",
    ):
        assert text in html, text
    assert login("manager2").get("/companies/999999/").status_code == 404


def test_the_card_links_the_instance_that_created_it_for_those_who_may_see_it(demo, login, outsider):
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    for key, who, data in (
        ("fill_card", "manager1", {**org_card(), "action": "submit"}),
        ("manager_approval", "sales_head", {"decision": "approve"}),
        ("finance_approval", "findir", {"decision": "approve"}),
    ):
        step = Assignment.objects.get(instance=instance, key=key, status="open")
        actions.complete(step.pk, by=demo[who].user, data=data)
    company = Company.objects.get(created_by_instance=instance)
    html = _html(login("manager1").get(f"/companies/{company.pk}/"))
    assert f'href="/instances/{instance.pk}/"' in html and "Белова Ирина Сергеевна" in html
    other = _html(login("outsider").get(f"/companies/{company.pk}/"))
    assert f'href="/instances/{instance.pk}/"' not in other and f"№{instance.pk}" in other


# --------------------------------------------------------------------------- the htmx field check


def _check(client, field: str, data: dict[str, Any]):
    return client.post(f"/companies/check-field/?field={field}", data)


def test_leaving_a_wrong_inn_shows_its_error(demo, login):
    good = org_card()["inn"]
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    html = _html(_check(login("manager1"), "inn", {**org_card(inn=wrong), "contacts.0.name": ""}))
    assert 'id="card-err-inn"' in html and "контрольное число" in html
    ok = _html(_check(login("manager1"), "inn", org_card(contacts="", documents="")))
    assert "errorlist" not in ok


def test_a_duplicate_inn_links_to_the_company(demo, login):
    existing = Company.objects.get(name="Автодеталь-Центр")
    html = _html(_check(login("manager1"), "inn", {"legal_form": "ooo", "inn": existing.inn, "kpp": existing.kpp}))
    assert f'href="/companies/{existing.pk}/"' in html


def test_a_similar_name_warns_links_and_offers_the_confirmation(demo, login):
    existing = Company.objects.get(name="Автодеталь-Центр")
    html = _html(_check(login("manager1"), "name", {"name": "Автодеталь Центр", "legal_form": "ooo"}))
    assert "warninglist" in html and f'href="/companies/{existing.pk}/"' in html
    assert 'name="confirm_warnings"' in html


def test_changing_the_legal_form_rechecks_the_filled_identifiers_out_of_band(demo, login):
    html = _html(
        _check(login("manager1"), "legal_form", {"legal_form": "ip", "inn": org_card()["inn"], "kpp": "770801001"})
    )
    assert 'id="card-err-legal_form"' in html
    assert 'id="card-err-inn" class="field-feedback" hx-swap-oob="true"' in html and "12 цифр" in html
    assert "нет КПП" in html
    # An empty dependent is only cleared, not told it is required before the user gets there.
    assert 'id="card-err-ogrn" class="field-feedback" hx-swap-oob="true">\n\n\n\n\n</div>' in html or (
        "ОГРН" not in html.split('id="card-err-ogrn"')[1]
    )


def test_a_row_field_is_checked_in_place(demo, login):
    html = _html(
        _check(
            login("manager1"),
            "contacts.1.email",
            {"contacts.0.name": "", "contacts.1.name": "Пётр", "contacts.1.email": "нет"},
        )
    )
    assert 'id="card-err-contacts-1-email"' in html and "E-mail" in html


def test_the_field_check_refuses_unknown_fields_and_get(demo, login):
    client = login("manager1")
    assert _check(client, "password", {}).status_code == 400
    assert client.get("/companies/check-field/?field=inn").status_code == 405


def test_a_revision_field_check_ignores_its_own_running_card(demo, login):
    _instance, step = _started(demo)
    actions.complete(step.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    client = login("manager1")
    card = {"legal_form": "ooo", "inn": org_card()["inn"], "kpp": org_card()["kpp"]}
    assert "уже добавляется" in _html(_check(client, "inn", card))
    assert "errorlist" not in _html(_check(client, "inn", {**card, "_assignment": str(step.pk)}))
    # An assignment the user may not see gives no exemption.
    assert "уже добавляется" in _html(_check(login("manager2"), "inn", {**card, "_assignment": str(step.pk)}))


# --------------------------------------------------------------------------- the card form template


def _render_form(assignment: Assignment, errors=None, warnings=None) -> str:
    from api.processes import assignment_form

    fields, context = assignment_form(assignment)
    return render_to_string(
        "crm/card_form.html",
        {
            "assignment": assignment,
            "fields": fields,
            "errors": errors or {},
            "warnings": warnings or {},
            "context": context,
        },
    )


def test_the_fill_form_has_every_card_field_with_its_defaults_and_htmx_checks(demo):
    _instance, fill = _started(demo)
    html = _render_form(fill)
    assert "<form" not in html
    for field_id in ("created_on", *TEXT_FIELDS):
        assert f'name="{field_id}"' in html, field_id
    assert 'name="contacts.0.name"' in html and 'name="contacts.1.email"' in html
    assert 'name="documents.0.title"' in html and 'name="documents.1.url"' in html
    assert '<option value="manager1" selected>' in html  # responsible = the starter
    assert '<option value="sales_head" selected>' in html  # responsible_manager = the line manager
    assert 'value="Россия"' in html and 'value="Отдел продаж"' in html
    assert 'hx-post="/companies/check-field/?field=inn" hx-trigger="blur"' in html
    assert 'name="action" value="submit"' in html and 'name="action" value="stop"' in html
    assert "Замечания согласующих" not in html


def test_the_card_form_does_not_offer_its_starter_as_the_approving_manager(demo):
    _instance, fill = _started(demo)
    html = _render_form(fill)
    manager_select = html.split('name="responsible_manager"')[1].split("</select>")[0]
    responsible_select = html.split('name="responsible"')[1].split("</select>")[0]
    assert 'value="manager1"' not in manager_select  # four eyes: the starter never approves the card
    assert 'value="manager2"' in manager_select
    assert 'value="manager1"' in responsible_select


def test_a_refused_card_shows_errors_and_duplicate_links_inline(demo):
    existing = Company.objects.get(name="Автодеталь-Центр")
    instance, step = _started(demo)
    with pytest.raises(Invalid) as refused:
        actions.complete(
            step.pk, by=demo["manager1"].user, data={**org_card(inn=existing.inn, kpp=existing.kpp), "action": "submit"}
        )
    # The page re-renders the form with the submitted values; model that with the variables.
    instance.variables.update({"inn": existing.inn, "kpp": existing.kpp, "name": "Ромашка"})
    instance.save(update_fields=["variables"])
    html = _render_form(Assignment.objects.get(pk=step.pk), errors=refused.value.errors)
    assert "такой контрагент уже есть" in html and f'href="/companies/{existing.pk}/"' in html
    assert 'aria-invalid="true"' in html


def test_the_revision_form_shows_the_reviewers_comments_above_the_prefilled_card(demo):
    instance, step = _started(demo)
    actions.complete(step.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    step = Assignment.objects.get(instance=instance, status="open")
    actions.complete(step.pk, by=demo["sales_head"].user, data={"decision": "reject", "comment": "Нет ОГРН в уставе"})
    revise = Assignment.objects.get(instance=instance, status="open", key="revise_card")
    html = _render_form(revise)
    assert html.index("Замечания согласующих") < html.index('name="name"')
    assert "Нет ОГРН в уставе" in html and "Морозов Дмитрий Алексеевич" in html
    assert f'value="{org_card()["inn"]}"' in html and 'value="Иванов Иван"' in html
    assert f'"_assignment": "{revise.pk}"' in html


def test_through_the_pages_if_the_assignment_page_exists(demo, login):
    """The walk from the start to an approved company through the pages (the assignment page is another
    room's, work/; this posts the card the way the card form names its inputs)."""
    instance, fill = _started(demo)
    manager = login("manager1")
    page = manager.get(f"/assignments/{fill.pk}/")
    assert page.status_code == 200 and 'hx-post="/companies/check-field/?field=inn"' in _html(page)
    form = {k: v for k, v in org_card().items() if k not in ("contacts", "documents")}
    form.update({"contacts.0.name": "Иванов Иван", "contacts.0.email": "ivanov@romashka.example", "action": "submit"})
    manager.post(f"/assignments/{fill.pk}/", form)
    for who in ("sales_head", "findir"):
        step = Assignment.objects.get(instance=instance, status="open")
        login(who).post(f"/assignments/{step.pk}/", {"decision": "approve"})
    company = Company.objects.get(created_by_instance=instance)
    assert "Иванов Иван" in _html(manager.get(f"/companies/{company.pk}/"))


# --------------------------------------------------------------------------- admin


def _admin_form(company: Company | None = None, **changes: Any) -> dict[str, Any]:
    card = org_card() if company is None else {**{k: v for k, v in org_card().items()}, **_model_card(company)}
    data = {k: v for k, v in card.items() if k not in ("contacts", "documents")}
    data.update(changes)
    data.setdefault("created_on", "2026-01-15")
    for prefix in ("contacts", "documents", "changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def _model_card(company: Company) -> dict[str, Any]:
    from crm.services import card_of

    card = card_of(company)
    card["responsible"] = company.responsible_id or ""
    card["responsible_manager"] = company.responsible_manager_id or ""
    return card


def test_an_administrator_adds_a_company_with_the_same_checks(demo, login):
    admin = login("admin")
    refused = admin.post("/admin/crm/company/add/", _admin_form(inn="7707083890"))
    assert refused.status_code == 200 and "контрольное число" in _html(refused)
    existing = Company.objects.get(name="Автодеталь-Центр")
    duplicate = admin.post("/admin/crm/company/add/", _admin_form(inn=existing.inn, kpp=existing.kpp))
    assert "такой контрагент уже есть" in _html(duplicate)
    created = admin.post("/admin/crm/company/add/", _admin_form(inn=" ".join(org_card()["inn"]), region="77"))
    assert created.status_code == 302, _html(created)[:3000]
    company = Company.objects.get(name="Ромашка")
    assert company.inn == org_card()["inn"] and company.region == "Москва"
    assert CompanyChange.objects.get(company=company).actor == demo["admin"]


def test_an_administrator_edit_is_recorded_and_nobody_deletes(demo, login):
    admin = login("admin")
    company = Company.objects.get(name="Мотор-Сервис Казань")
    response = admin.post(f"/admin/crm/company/{company.pk}/change/", _admin_form(company, city="Набережные Челны"))
    assert response.status_code == 302, _html(response)[:3000]
    change = CompanyChange.objects.filter(company=company, action="updated").get()
    assert change.changes["city"]["new"] == "Набережные Челны" and change.actor == demo["admin"]
    assert admin.post(f"/admin/crm/company/{company.pk}/delete/", {"post": "yes"}).status_code == 403
    assert login("manager1").get("/admin/crm/company/").status_code == 302


def test_the_assignment_page_shows_the_card_form_and_the_comments_on_revision(demo, login):
    instance, fill = _started(demo)
    manager = login("manager1")
    wrong = org_card()["inn"][:-1] + str((int(org_card()["inn"][-1]) + 1) % 10)
    refused = manager.post(
        f"/assignments/{fill.pk}/", {**org_card(inn=wrong, contacts="", documents=""), "action": "submit"}
    )
    assert refused.status_code == 400 and "контрольное число" in _html(refused)
    assert f'value="{wrong}"' in _html(refused)  # the typed value is shown again
    manager.post(f"/assignments/{fill.pk}/", {**org_card(contacts="", documents=""), "action": "submit"})
    step = Assignment.objects.get(instance=instance, status="open")
    login("sales_head").post(f"/assignments/{step.pk}/", {"decision": "reject", "comment": "Уточните адрес"})
    revise = Assignment.objects.get(instance=instance, status="open")
    html = _html(manager.get(f"/assignments/{revise.pk}/"))
    assert revise.key == "revise_card"
    assert html.index("Уточните адрес") < html.index('name="legal_address"')
    stopped = manager.post(f"/assignments/{revise.pk}/", {"action": "stop"})
    assert stopped.status_code in (200, 302)
    instance.refresh_from_db()
    assert instance.outcome == "stopped"
