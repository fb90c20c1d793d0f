"""The duplicate lookup behind every card check, company creation exactly once, history, demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from crm import services
from crm.models import Company, CompanyChange
from crm.queries import CompanyFilter
from crm.tests.factories import deploy_counterparty_process, ip_card, org_card
from crm.validation import validate_card


def _save(card, actor=None):
    return services.create_company(validate_card(card).cleaned, actor=actor)


def test_demo_companies_are_valid_and_seeding_twice_adds_nothing(demo):
    assert Company.objects.count() == 5
    for company in Company.objects.all():
        check = validate_card(services.card_of(company))
        assert check.ok, (company.name, check.errors)
    assert {c.legal_form for c in Company.objects.all()} == {"ooo", "ao", "ip", "foreign"}
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Company.objects.count() == 5
    assert CompanyChange.objects.count() == 5


def test_exact_duplicate_by_inn_and_kpp(demo):
    existing = Company.objects.get(name="Автодеталь-Центр")
    check = services.check_card(org_card(inn=existing.inn, kpp=existing.kpp))
    assert [d["id"] for d in check.duplicates] == [existing.pk]
    assert check.duplicates[0]["url"] == f"/companies/{existing.pk}/"
    assert "Автодеталь-Центр" in check.errors["inn"][0]


def test_another_kpp_is_a_branch_but_a_missing_kpp_does_not_tell_apart(demo):
    existing = Company.objects.get(name="Автодеталь-Центр")
    assert services.check_card(org_card(inn=existing.inn, kpp="772402001")).errors == {}
    assert services.company_duplicates({"inn": existing.inn, "kpp": ""})[0]["id"] == existing.pk


def test_an_ip_is_a_duplicate_by_inn(demo):
    existing = Company.objects.get(legal_form="ip")
    assert "inn" in services.check_card(ip_card(inn=existing.inn)).errors


def test_a_foreign_company_is_a_duplicate_by_country_and_registration_number(demo):
    existing = Company.objects.get(legal_form="foreign")
    card = {**services.card_of(existing), "name": "Другое имя", "reg_number": "hrb 765432"}
    check = services.check_card(card)
    assert "reg_number" in check.errors and check.duplicates[0]["id"] == existing.pk
    assert services.check_card({**card, "country": "Австрия"}).errors.get("reg_number") is None


def test_an_edited_company_is_not_a_duplicate_of_itself(demo):
    existing = Company.objects.get(name="Автодеталь-Центр")
    card = services.card_of(existing)
    assert services.check_card(card, company=existing.pk).ok
    assert not services.check_card(card).ok


@pytest.mark.parametrize(
    "name",
    [
        "ООО «Автодеталь Центр»",
        "автодеталь-центр",
        'Общество с ограниченной ответственностью "Автодеталь-Центр"',
        "Центр Автодеталь",
        "Автодеталь-Цетнр",
    ],
)
def test_fuzzy_names_of_the_same_legal_form_are_a_warning(demo, name):
    existing = Company.objects.get(name="Автодеталь-Центр")
    check = services.check_card(org_card(name=name))
    assert check.ok
    assert [d["id"] for d in check.duplicates] == [existing.pk]
    assert check.duplicates[0]["reason"] == "similar_name"
    assert "Автодеталь-Центр" in check.warnings["name"][0]


@pytest.mark.parametrize(
    ("name", "legal_form"), [("Автодеталь-Центр", "ao"), ("Автодеталь Плюс Север", "ooo"), ("ООО", "ooo")]
)
def test_other_names_or_forms_are_no_warning(demo, name, legal_form):
    check = services.check_card(org_card(name=name, legal_form=legal_form))
    assert "name" not in check.warnings


def test_the_short_name_is_compared_too(demo):
    check = services.check_card(org_card(name="Мотор Сервис"))
    assert "name" in check.warnings  # the demo company is «Мотор-Сервис Казань», short name «ООО «Мотор-Сервис»»


def test_an_exact_duplicate_is_not_also_a_name_warning(demo):
    existing = Company.objects.get(name="Автодеталь-Центр")
    check = services.check_card(org_card(name=existing.name, inn=existing.inn, kpp=existing.kpp))
    assert "inn" in check.errors and "name" not in check.warnings
    assert len(check.duplicates) == 1


def test_running_duplicates_count_only_submitted_cards_of_running_instances(demo):
    from engine import actions

    deploy_counterparty_process()
    started_only = actions.start("add_counterparty", by=demo["manager2"].user, variables={"inn": org_card()["inn"]})
    assert services.check_card(org_card()).ok  # a start variable is not a submitted card
    submitted = actions.start("add_counterparty", by=demo["manager1"].user)
    step = submitted.assignments.get(status="open")
    actions.complete(step.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    found = services.check_card(org_card()).duplicates
    assert [d["instance"] for d in found] == [submitted.pk]
    assert found[0]["reason"] == "same_inn_running" and found[0]["url"] == f"/instances/{submitted.pk}/"
    assert services.check_card(org_card(), instance=submitted.pk).ok
    assert started_only.pk != submitted.pk


def test_create_records_history_and_the_database_refuses_a_second_same_inn_kpp(demo):
    company = _save(org_card(), actor=demo["admin"])
    change = CompanyChange.objects.get(company=company)
    assert change.action == "created" and change.actor == demo["admin"]
    assert change.changes["inn"] == {"old": None, "new": org_card()["inn"]}
    with pytest.raises(services.DuplicateCompany):
        _save(org_card(name="Ромашка-2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(
            name="x",
            kind="client",
            legal_form="ooo",
            city="x",
            short_name="x",
            full_name="x",
            legal_address="x",
            inn=company.inn,
            kpp=company.kpp,
        )
    assert Company.objects.filter(inn=company.inn).count() == 1


def test_update_writes_what_changed(demo):
    company = Company.objects.get(name="Автодеталь-Центр")
    card = services.card_of(company)
    card["city"] = "Зеленоград"
    card["contacts"] = [*card["contacts"], {"name": "Новый", "position": "", "phone": "", "email": ""}]
    services.update_company(company, validate_card(card).cleaned, actor=demo["admin"])
    change = CompanyChange.objects.filter(company=company, action="updated").get()
    assert set(change.changes) == {"city", "contacts"}
    assert change.changes["city"] == {"old": "Москва", "new": "Зеленоград"}
    assert services.update_company(company, validate_card(services.card_of(company)).cleaned, actor=None)
    assert CompanyChange.objects.filter(company=company, action="updated").count() == 1  # nothing changed


def test_search_by_cyrillic_name_in_any_case_and_by_inn(demo):
    company = Company.objects.get(name="ТрансЛогистик")
    assert list(CompanyFilter(q="транслогистик").apply()) == [company]
    assert list(CompanyFilter(q="ТРАНС").apply()) == [company]
    assert list(CompanyFilter(inn=company.inn).apply()) == [company]
    assert list(CompanyFilter(q=company.inn[:5]).apply()) == [company]
