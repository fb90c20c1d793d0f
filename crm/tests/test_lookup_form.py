"""«Заполнить по ИНН» on the card form, and the register's warning through the add_counterparty process."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from base.errors import Invalid
from crm.models import Company, CompanyStatus
from crm.tests.factories import deploy_counterparty_process, org_card
from crm.tests.fake_dadata import ACTIVE, BROKEN, LIQUIDATED
from engine import actions
from engine.models import Assignment, AssignmentStatus


def _fill(client, data: dict[str, Any]):
    return client.post("/companies/lookup-fill/", data)


def _oob_value(html: str, field_id: str) -> str | None:
    """The value of the input re-rendered out of band for ``field_id``, or None when it is not."""
    match = re.search(rf'<input id="card-{field_id}" hx-swap-oob="true"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def _typed_card(**values: Any) -> dict[str, Any]:
    """A card as the form posts it: the ИНН typed, the name typed, the rest still empty."""
    empty = dict.fromkeys(
        ("short_name", "full_name", "kpp", "ogrn", "legal_address", "region", "city", "legal_form"), ""
    )
    return {**org_card(contacts="", documents=""), **empty, **values}


def test_empty_fields_fill_in_and_typed_ones_are_kept_until_asked(demo, login, dadata):
    client = login("manager1")
    html = _fill(client, _typed_card(inn=ACTIVE, name="Моя Ромашка")).content.decode()
    assert _oob_value(html, "full_name") == "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА»"
    assert _oob_value(html, "legal_address") == "125009, г Москва, ул Тверская, д 1"
    assert _oob_value(html, "kpp") == "770801001"
    assert 'id="card-legal_form" hx-swap-oob="true"' in html
    assert _oob_value(html, "name") is None  # typed: never replaced without asking
    assert "«Моя Ромашка» → «РОМАШКА»" in html and "Заменить значениями из реестра" in html
    assert "Заполнено по данным DaData" in html
    again = _fill(client, {**_typed_card(inn=ACTIVE, name="Моя Ромашка"), "_overwrite": "name"}).content.decode()
    assert _oob_value(again, "name") == "РОМАШКА"
    assert len(dadata.requests) == 1  # the second press used the kept answer


def test_the_same_value_typed_differently_is_no_difference(demo, login, dadata):
    html = _fill(login("manager1"), _typed_card(inn=ACTIVE, name="ромашка", region="77")).content.decode()
    assert "Заменить значениями из реестра" not in html
    assert _oob_value(html, "region") is None


def test_a_liquidated_company_is_a_warning_under_the_inn(demo, login, dadata):
    html = _fill(login("manager1"), _typed_card(inn=LIQUIDATED)).content.decode()
    assert "компания ликвидирована, дата: 15.03.2024" in html
    assert 'id="card-err-inn" class="field-feedback" hx-swap-oob="true"' in html


def test_a_provider_that_is_down_changes_nothing(demo, login, dadata):
    html = _fill(login("manager1"), _typed_card(inn=BROKEN)).content.decode()
    assert "Справочник компаний не отвечает" in html
    assert "hx-swap-oob" not in html


def test_without_a_token_the_button_is_hidden_and_the_fill_says_why(demo, login, settings, dadata):
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user, variables={})
    assignment = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    client = login("manager1")
    page = client.get(reverse("assignment", args=[assignment.pk])).content.decode()
    assert "Заполнить по ИНН" in page and "/companies/lookup-fill/" in page
    settings.COMPANY_LOOKUP_TOKEN = ""
    page = client.get(reverse("assignment", args=[assignment.pk])).content.decode()
    assert "Заполнить по ИНН" not in page
    assert "COMPANY_LOOKUP_TOKEN" in _fill(client, _typed_card(inn=ACTIVE)).content.decode()


def _register_card(**overrides: Any) -> dict[str, Any]:
    """The card as the button leaves it for LIQUIDATED (the register's names and address)."""
    return org_card(
        inn=LIQUIDATED,
        kpp="770801001",
        name="Ликвидированная",
        short_name="ООО «ЛИК»",
        full_name="ООО «ЛИКВИДИРОВАННАЯ»",
        legal_address="125009, г Москва, ул Тверская, д 1",
        **overrides,
    )


@pytest.mark.django_db
def test_the_process_warns_at_submit_and_approval_and_the_company_remembers_the_source(demo, login, dadata):
    deploy_counterparty_process()
    users = {name: demo[name].user for name in ("manager1", "sales_head", "findir")}
    instance = actions.start("add_counterparty", by=users["manager1"], variables={})
    _fill(login("manager1"), _typed_card(inn=LIQUIDATED))  # the button: the answer is kept
    card = {**_register_card(), "action": "submit"}
    card["ogrn"] = dadata.parties[LIQUIDATED]["data"]["ogrn"]

    def complete(key: str, who: str, data: dict[str, Any]) -> None:
        assignment = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN, key=key)
        with pytest.raises(Invalid) as refused:
            actions.complete(assignment.pk, by=users[who], data=data, confirm_warnings=False)
        assert "компания ликвидирована" in refused.value.warnings["inn"][0]
        actions.complete(assignment.pk, by=users[who], data=data, confirm_warnings=True)

    complete("fill_card", "manager1", card)
    complete("manager_approval", "sales_head", {"decision": "approve"})
    complete("finance_approval", "findir", {"decision": "approve"})
    company = Company.objects.get(inn=LIQUIDATED)
    assert company.status == CompanyStatus.LIQUIDATED and str(company.liquidation_date) == "2024-03-15"
    created = company.changes.get()
    assert created.action == "created" and created.source == "dadata"
    assert len(dadata.requests) == 1  # submit and approvals read the kept answer
