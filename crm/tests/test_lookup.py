"""The company lookup by ИНН against a fake DaData server: the connector, the API, the card check."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from crm import lookup
from crm.models import CompanyStatus, LookupUsage, PartyRecord
from crm.tests.factories import org_card
from crm.tests.fake_dadata import ACTIVE, BROKEN, LIQUIDATED, MISSING, SLOW, TOKEN
from crm.validation import check_inn

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- the connector


def test_an_active_company_comes_back_as_card_fields_and_the_request_is_dadatas(dadata):
    answer = lookup.find_party(ACTIVE, "770801001")
    assert isinstance(answer, lookup.Found)
    party = answer.party
    assert party.status == CompanyStatus.ACTIVE and party.active and party.liquidation_date is None
    assert party.card() == {
        "name": "РОМАШКА",
        "legal_form": "ooo",
        "short_name": "ООО «РОМАШКА»",
        "full_name": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА»",
        "inn": ACTIVE,
        "kpp": "770801001",
        "ogrn": party.ogrn,
        "legal_address": "125009, г Москва, ул Тверская, д 1",
        "region": "Москва",
        "city": "Москва",
    }
    [request] = dadata.requests
    assert request["path"].endswith("/findById/party")
    assert request["headers"]["Authorization"] == f"Token {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {"query": ACTIVE, "kpp": "770801001", "branch_type": "MAIN", "count": 1}
    kept = PartyRecord.objects.get(inn=ACTIVE, kpp="770801001")
    assert kept.found and kept.status == "active" and kept.card["ogrn"] == party.ogrn


def test_a_liquidated_company_has_its_date_and_a_warning(dadata):
    answer = lookup.find_party(LIQUIDATED)
    assert isinstance(answer, lookup.Found)
    party = answer.party
    assert party.status == CompanyStatus.LIQUIDATED
    assert party.liquidation_date == dt.date(2024, 3, 15)  # the Moscow day of DaData's timestamp
    warning = lookup.status_warning(party.inn, party.status, party.liquidation_date)
    assert warning == f"ИНН {LIQUIDATED}: компания ликвидирована, дата: 15.03.2024 (по данным DaData)"
    assert "kpp" not in dadata.requests[0]["body"]


def test_not_found_is_an_answer_and_is_kept(dadata):
    assert lookup.find_party(MISSING) == lookup.Missing(MISSING, "")
    assert PartyRecord.objects.get(inn=MISSING).found is False


def test_a_slow_provider_is_a_timeout_sentence_within_the_timeout(dadata):
    started = time.monotonic()
    answer = lookup.find_party(SLOW)
    assert time.monotonic() - started < 3
    assert isinstance(answer, lookup.Refusal) and answer.reason == lookup.TIMEOUT
    assert answer.message == "Справочник компаний не отвечает; заполните карточку вручную или попробуйте позже."
    assert not PartyRecord.objects.filter(inn=SLOW).exists()


def test_a_500_is_retried_later_and_nothing_is_kept(dadata):
    answer = lookup.find_party(BROKEN)
    assert isinstance(answer, lookup.Refusal) and answer.reason == lookup.SERVER_ERROR
    assert answer.retry_after == lookup.RETRY_SOON
    assert not PartyRecord.objects.exists()


@pytest.mark.parametrize(
    ("status", "reason"), [(401, lookup.UNAUTHORIZED), (403, lookup.QUOTA), (429, lookup.RATE_LIMITED)]
)
def test_401_403_429_are_refusals_with_a_sentence(dadata, status, reason):
    dadata.status = status
    answer = lookup.find_party(ACTIVE)
    assert isinstance(answer, lookup.Refusal) and answer.reason == reason and answer.message


def test_a_bad_token_is_401(dadata, settings):
    settings.COMPANY_LOOKUP_TOKEN = "wrong"
    answer = lookup.find_party(ACTIVE)
    assert isinstance(answer, lookup.Refusal) and answer.reason == lookup.UNAUTHORIZED


def test_nothing_is_asked_without_a_token_or_with_a_bad_inn(dadata, settings):
    bad = ACTIVE[:-1] + str((int(ACTIVE[-1]) + 1) % 10)
    assert check_inn(bad) is not None
    assert lookup.find_party(bad).reason == lookup.BAD_INN
    settings.COMPANY_LOOKUP_TOKEN = ""
    assert not lookup.configured()
    assert lookup.find_party(ACTIVE).reason == lookup.NOT_CONFIGURED
    assert dadata.requests == []


def test_the_days_limit_is_shared_and_kept(dadata, settings):
    settings.COMPANY_LOOKUP_DAILY_LIMIT = 2
    assert isinstance(lookup.find_party(ACTIVE), lookup.Found)
    assert isinstance(lookup.find_party(MISSING), lookup.Missing)
    over = lookup.find_party(LIQUIDATED)
    assert isinstance(over, lookup.Refusal) and over.reason == lookup.OVER_LIMIT
    assert len(dadata.requests) == 2 and lookup.spent_today() == 2
    assert LookupUsage.objects.get().requests == 2


# --------------------------------------------------------------------------- the API


def test_api_lookup_found(demo, api_client, dadata):
    body = api_client("manager1").get("/api/v1/companies/lookup", {"inn": LIQUIDATED}).json()
    assert body["found"] is True and body["status"] == "liquidated" and body["source"] == "dadata"
    assert body["liquidation_date"] == "2024-03-15"
    assert body["card"]["inn"] == LIQUIDATED and body["card"]["short_name"] == "ООО «ЛИК»"
    assert "ликвидирована" in body["warning"]


def test_api_lookup_not_found(demo, api_client, dadata):
    response = api_client("manager1").get("/api/v1/companies/lookup", {"inn": MISSING})
    assert response.status_code == 200
    assert response.json() == {
        "found": False,
        "card": {},
        "status": None,
        "liquidation_date": None,
        "warning": None,
        "source": "dadata",
    }


def test_api_lookup_refuses_a_bad_checksum(demo, api_client, dadata):
    bad = ACTIVE[:-1] + str((int(ACTIVE[-1]) + 1) % 10)
    response = api_client("manager1").get("/api/v1/companies/lookup", {"inn": bad})
    assert response.status_code == 400
    assert response.json()["errors"] == {"inn": ["Неверное контрольное число ИНН"]}
    assert dadata.requests == []


def test_api_lookup_without_a_provider_is_503_with_a_sentence(demo, api_client, settings):
    settings.COMPANY_LOOKUP_TOKEN = ""
    response = api_client("manager1").get("/api/v1/companies/lookup", {"inn": ACTIVE})
    assert response.status_code == 503
    assert "COMPANY_LOOKUP_TOKEN" in response.json()["detail"]


def test_api_lookup_when_the_provider_is_down_is_503_with_retry_after(demo, api_client, dadata):
    response = api_client("manager1").get("/api/v1/companies/lookup", {"inn": BROKEN})
    assert response.status_code == 503
    assert response["Retry-After"] == "3600"


def test_check_warns_on_inn_when_the_company_is_not_active(demo, api_client, dadata):
    client = api_client("manager1")
    card = org_card(inn=LIQUIDATED)
    body = client.post("/api/v1/companies/check", card, content_type="application/json").json()
    assert body["errors"] == {}
    assert body["warnings"]["inn"] == [f"ИНН {LIQUIDATED}: компания ликвидирована, дата: 15.03.2024 (по данным DaData)"]
    active = client.post("/api/v1/companies/check", org_card(inn=ACTIVE), content_type="application/json").json()
    assert "inn" not in active["warnings"]
    # Checked again within the day: the kept answer, no second request.
    client.post("/api/v1/companies/check", card, content_type="application/json")
    assert [r["body"]["query"] for r in dadata.requests] == [LIQUIDATED, ACTIVE]


def test_check_with_the_provider_down_has_no_warning_and_no_error(demo, api_client, dadata):
    body = (
        api_client("manager1")
        .post("/api/v1/companies/check", org_card(inn=BROKEN), content_type="application/json")
        .json()
    )
    assert body["errors"] == {} and "inn" not in body["warnings"]
