"""The counterparty card's rules: a table of every rule, then properties of the checksums.

The identifiers used as fixtures are real where a real one is public:
- Sberbank: ИНН 7707083893, ОГРН 1027700132195, БИК 044525225, к/с 30101810400000000225;
- Sberbank's Ural bank: БИК 046577674, к/с 30101810500000000674;
- Alfa-Bank: БИК 044525593, к/с 30101810200000000593;
- the Moscow treasury: БИК 004525988, ЕКС 40102810545370000003, счёт 03100643000000017300.
The others are built with the helpers below, which compute the control digits independently of
the module under test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.ru import ogrn as stdnum_ogrn

from crm.validation import (
    FIELDS,
    REASON_SAME_INN,
    REASON_SAME_INN_RUNNING,
    REASON_SIMILAR_NAME,
    CardCheck,
    account_key_ok,
    check_bik,
    check_corr_account,
    check_email,
    check_field,
    check_inn,
    check_kpp,
    check_ogrn,
    check_phone,
    check_region,
    check_settlement_account,
    check_url,
    validate_card,
)

# --- Independent control-digit arithmetic (what the tests trust) --------------------------------

INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
ACCOUNT_WEIGHTS = ((7, 1, 3) * 8)[:23]


def weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def inn10(body: str) -> str:
    return body + str(weighted(body, INN10_WEIGHTS) % 11 % 10)


def inn12(body: str) -> str:
    first = body + str(weighted(body, INN12_WEIGHTS_1) % 11 % 10)
    return first + str(weighted(first, INN12_WEIGHTS_2) % 11 % 10)


def ogrn13(body: str) -> str:
    return body + str(int(body) % 11 % 10)


def ogrnip15(body: str) -> str:
    return body + str(int(body) % 13 % 10)


def with_key(prefix: str, account: str) -> str:
    """`account` with its 9th digit (the control key) set so that the Bank of Russia sum is 0 mod 10."""
    for key in "0123456789":
        candidate = account[:8] + key + account[9:]
        if weighted(prefix + candidate, ACCOUNT_WEIGHTS) % 10 == 0:
            return candidate
    raise AssertionError("weight 3 at the key position is invertible mod 10: unreachable")


def settlement_account(bik: str, body: str) -> str:
    return with_key(bik[6:9], body)


def corr_account(bik: str, middle: str) -> str:
    return with_key("0" + bik[4:6], "30101" + middle + bik[-3:])


# --- Cards -------------------------------------------------------------------------------------

SBER_BIK = "044525225"
ORG_CARD: dict[str, Any] = {
    "name": "Ромашка",
    "created_on": "2026-03-02",
    "department": "Отдел продаж",
    "responsible": "manager1",
    "kind": "client",
    "legal_form": "ooo",
    "country": "Россия",
    "region": "Москва",
    "city": "Москва",
    "business_group": "",
    "short_name": "ООО «Ромашка»",
    "full_name": "Общество с ограниченной ответственностью «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "117312, г. Москва, ул. Вавилова, д. 19",
    "bank_bik": SBER_BIK,
    "bank_name": "ПАО Сбербанк",
    "bank_account": "40702810938000012345",
    "bank_corr_account": "30101810400000000225",
    "contacts": [
        {"name": "Иван Петров", "position": "Директор", "phone": "+7 (495) 123-45-67", "email": "ivan@romashka.ru"}
    ],
    "documents": [{"title": "Устав", "url": "https://docs.example.ru/romashka/ustav.pdf"}],
    "responsible_manager": "sales_head",
}
IP_CARD: dict[str, Any] = {
    **ORG_CARD,
    "name": "Иванов",
    "legal_form": "ip",
    "short_name": "ИП Иванов И. И.",
    "full_name": "Индивидуальный предприниматель Иванов Иван Иванович",
    "inn": "771234567859",
    "kpp": "",
    "ogrn": "318774600100126",
    "bank_account": "40802810838000012345",
}
FOREIGN_CARD: dict[str, Any] = {
    **ORG_CARD,
    "name": "Bosch",
    "legal_form": "foreign",
    "kind": "supplier",
    "country": "Германия",
    "region": "Baden-Württemberg",
    "city": "Stuttgart",
    "short_name": "Robert Bosch GmbH",
    "full_name": "Robert Bosch GmbH",
    "inn": "",
    "kpp": "",
    "ogrn": "",
    "reg_number": "HRB 14000",
    "legal_address": "Robert-Bosch-Platz 1, 70839 Gerlingen",
    "bank_bik": "DEUTDEFF",
    "bank_name": "Deutsche Bank",
    "bank_account": "DE89 3704 0044 0532 0130 00",
    "bank_corr_account": "",
}
BASES = {"org": ORG_CARD, "ip": IP_CARD, "foreign": FOREIGN_CARD}


def card(base: str = "org", **changes: Any) -> dict[str, Any]:
    """A copy of a valid card with some fields changed; a value of `...` removes the key."""
    data = copy.deepcopy(BASES[base])
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_base_cards_are_valid(base: str) -> None:
    result = validate_card(card(base))
    assert result.errors == {}
    assert result.ok
    assert set(result.cleaned) == set(FIELDS)


# --- Every rule: invalid examples --------------------------------------------------------------

INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    # (base card, changes, field with the error, fragment of the message)
    # required fields
    ("org", {"name": ""}, "name", "Название — обязательное поле"),
    ("org", {"name": ...}, "name", "Название — обязательное поле"),
    ("org", {"kind": ""}, "kind", "Тип контрагента — обязательное поле"),
    ("org", {"legal_form": ""}, "legal_form", "Организационно-правовая форма — обязательное поле"),
    ("org", {"country": ""}, "country", "Страна — обязательное поле"),
    ("org", {"city": "  "}, "city", "Город — обязательное поле"),
    ("org", {"short_name": ""}, "short_name", "Краткое наименование — обязательное поле"),
    ("org", {"full_name": ""}, "full_name", "Полное наименование — обязательное поле"),
    ("org", {"inn": ""}, "inn", "ИНН — обязательное поле"),
    ("ip", {"inn": ...}, "inn", "ИНН — обязательное поле"),
    ("org", {"legal_address": ""}, "legal_address", "Юридический адрес — обязательное поле"),
    ("org", {"region": ""}, "region", "Регион — обязательное поле"),
    ("ip", {"region": ...}, "region", "Регион — обязательное поле"),
    ("org", {"kpp": ""}, "kpp", "КПП — обязательное поле"),
    ("org", {"legal_form": "ao", "kpp": ""}, "kpp", "КПП — обязательное поле"),
    ("org", {"legal_form": "pao", "kpp": ...}, "kpp", "КПП — обязательное поле"),
    ("foreign", {"reg_number": ""}, "reg_number", "Регистрационный номер — обязательное поле"),
    # enums and types
    ("org", {"kind": "vip"}, "kind", "Тип контрагента: выберите одно из значений"),
    ("org", {"legal_form": "llc"}, "legal_form", "Организационно-правовая форма: выберите одно из значений"),
    ("org", {"name": ["Ромашка"]}, "name", "Название: ожидается текст"),
    ("org", {"inn": True}, "inn", "ИНН: ожидается текст"),
    ("org", {"name": "Я" * 256}, "name", "Название: не длиннее 255 символов"),
    ("org", {"created_on": "31.02.2026"}, "created_on", "Дата создания: неверная дата"),
    ("org", {"created_on": "вчера"}, "created_on", "Дата создания: неверная дата"),
    # ИНН
    ("org", {"inn": "77070838"}, "inn", "ИНН организации — 10 цифр"),
    ("org", {"inn": "770708389A"}, "inn", "ИНН организации — 10 цифр"),
    ("org", {"inn": "771234567859"}, "inn", "ИНН организации — 10 цифр; 12 цифр бывает у ИП"),
    ("org", {"inn": "7707083894"}, "inn", "Неверное контрольное число ИНН"),
    ("org", {"inn": "0000000000"}, "inn", "ИНН не может состоять из одних нулей"),
    ("ip", {"inn": "7707083893"}, "inn", "ИНН индивидуального предпринимателя — 12 цифр; 10 цифр бывает у организаций"),
    ("ip", {"inn": "7712345678"}, "inn", "ИНН индивидуального предпринимателя — 12 цифр"),
    ("ip", {"inn": "771234567858"}, "inn", "Неверное контрольное число ИНН"),
    ("ip", {"inn": "771234567849"}, "inn", "Неверное контрольное число ИНН"),
    ("ip", {"inn": "000000000000"}, "inn", "ИНН не может состоять из одних нулей"),
    ("org", {"inn": "٧٧٠٧٠٨٣٨٩٣"}, "inn", "ИНН организации — 10 цифр"),  # Arabic-Indic digits
    # КПП
    ("ip", {"kpp": "773601001"}, "kpp", "У индивидуального предпринимателя нет КПП"),
    ("org", {"kpp": "77360100"}, "kpp", "КПП — 9 знаков"),
    ("org", {"kpp": "7736010011"}, "kpp", "КПП — 9 знаков"),
    ("org", {"kpp": "773601ABC"}, "kpp", "КПП — 9 знаков"),
    ("org", {"kpp": "77A601001"}, "kpp", "КПП — 9 знаков"),
    ("org", {"kpp": "7736АВ001"}, "kpp", "латинские буквы A–Z, а не русские"),  # Cyrillic А, В
    ("org", {"kpp": "000000000"}, "kpp", "КПП не может состоять из одних нулей"),
    # ОГРН / ОГРНИП
    ("org", {"ogrn": "102770013219"}, "ogrn", "ОГРН организации — 13 цифр"),
    ("org", {"ogrn": "318774600100126"}, "ogrn", "ОГРН организации — 13 цифр; 15 цифр — это ОГРНИП"),
    ("org", {"ogrn": "2027700123450"}, "ogrn", "номер, начинающийся с 2, — это ГРН записи"),
    ("org", {"ogrn": "3027700132195"}, "ogrn", "ОГРН начинается с 1 или 5"),
    ("org", {"ogrn": "1027700132196"}, "ogrn", "Неверное контрольное число ОГРН"),
    ("org", {"ogrn": "0000000000000"}, "ogrn", "ОГРН не может состоять из одних нулей"),
    ("ip", {"ogrn": "1027700132195"}, "ogrn", "ОГРНИП индивидуального предпринимателя — 15 цифр; 13 цифр"),
    ("ip", {"ogrn": "31877460010012"}, "ogrn", "ОГРНИП индивидуального предпринимателя — 15 цифр"),
    ("ip", {"ogrn": "418774600100121"}, "ogrn", "ОГРНИП начинается с 3"),
    ("ip", {"ogrn": "318774600100127"}, "ogrn", "Неверное контрольное число ОГРНИП"),
    ("ip", {"ogrn": "000000000000000"}, "ogrn", "ОГРН не может состоять из одних нулей"),
    # БИК
    ("org", {"bank_bik": "04452522"}, "bank_bik", "БИК — 9 цифр"),
    ("org", {"bank_bik": "04452522X"}, "bank_bik", "БИК — 9 цифр"),
    ("org", {"bank_bik": "000000000"}, "bank_bik", "БИК не может состоять из одних нулей"),
    # р/с
    ("org", {"bank_account": "4070281093800001234"}, "bank_account", "Расчётный счёт — 20 цифр"),
    ("org", {"bank_account": "4070281093800001234X"}, "bank_account", "Расчётный счёт — 20 цифр"),
    ("org", {"bank_account": "40702810038000012345"}, "bank_account", "Неверный контрольный ключ расчётного счёта"),
    (  # right for Alfa-Bank (БИК 044525593), wrong for Sberbank: the key binds the account to the bank
        "org",
        {"bank_account": "40702810801300012345"},
        "bank_account",
        "счёт не соответствует БИК 044525225",
    ),
    # к/с
    ("org", {"bank_corr_account": "3010181040000000022"}, "bank_corr_account", "Корреспондентский счёт — 20 цифр"),
    ("org", {"bank_corr_account": "40702810400000000225"}, "bank_corr_account", "начинается с 30101"),
    ("org", {"bank_corr_account": "30101810400000000226"}, "bank_corr_account", "тремя последними цифрами БИК (225)"),
    (
        "org",
        {"bank_corr_account": "30101810500000000225"},
        "bank_corr_account",
        "Неверный контрольный ключ корреспондентского счёта",
    ),
    (  # Ural bank's к/с under the Moscow БИК
        "org",
        {"bank_corr_account": "30101810500000000674"},
        "bank_corr_account",
        "тремя последними цифрами БИК (225)",
    ),
    # bank fields: all or nothing
    ("org", {"bank_name": ""}, "bank_name", "Банк: банковские реквизиты заполняются полностью"),
    ("org", {"bank_bik": ...}, "bank_bik", "БИК: банковские реквизиты заполняются полностью"),
    ("org", {"bank_account": ""}, "bank_account", "Расчётный счёт: банковские реквизиты заполняются полностью"),
    (
        "org",
        {"bank_corr_account": None},
        "bank_corr_account",
        "Корреспондентский счёт: банковские реквизиты заполняются полностью",
    ),
    # region
    ("org", {"region": "Неверленд"}, "region", "Регион: укажите субъект РФ по названию"),
    ("org", {"region": "00"}, "region", "Регион: укажите субъект РФ"),
    ("org", {"region": "177"}, "region", "Регион: укажите субъект РФ"),
    ("ip", {"country": "РФ", "region": "Бавария"}, "region", "Регион: укажите субъект РФ"),
    # contacts
    ("org", {"contacts": [{"phone": "+7 495 123-45-67"}]}, "contacts.0.name", "Контакт: укажите имя"),
    ("org", {"contacts": [{"name": "Иван", "phone": "123-45-67"}]}, "contacts.0.phone", "Телефон: от 10 до 15 цифр"),
    ("org", {"contacts": [{"name": "Иван", "phone": "+7 495 123 45 6"}]}, "contacts.0.phone", "российский номер"),
    ("org", {"contacts": [{"name": "Иван", "phone": "+7 495 123 45 678"}]}, "contacts.0.phone", "российский номер"),
    ("org", {"contacts": [{"name": "Иван", "phone": "+1234567890123456"}]}, "contacts.0.phone", "от 10 до 15"),
    ("org", {"contacts": [{"name": "Иван", "phone": "позвонить Ивану"}]}, "contacts.0.phone", "Телефон: только цифры"),
    ("org", {"contacts": [{"name": "Иван", "email": "ivan@"}]}, "contacts.0.email", "E-mail: неверный адрес"),
    ("org", {"contacts": [{"name": "Иван", "email": "ivan romashka.ru"}]}, "contacts.0.email", "E-mail"),
    (  # the key is the row's position in the input, blank rows included
        "org",
        {"contacts": [{"name": "Иван"}, {"name": "", "phone": ""}, {"name": "Пётр", "email": "x"}]},
        "contacts.2.email",
        "E-mail: неверный адрес",
    ),
    ("org", {"contacts": "Иван, +7 495 123-45-67"}, "contacts", "Контакты: ожидается список"),
    ("org", {"contacts": ["Иван"]}, "contacts.0", "Контакты: строка 1 заполнена неверно"),
    ("org", {"contacts": [{"name": "Иван", "phone": 74951234567.0}]}, "contacts.0.phone", "ожидается текст"),
    # documents
    ("org", {"documents": [{"title": "Устав"}]}, "documents.0.url", "Документ: укажите ссылку или приложите файл"),
    ("org", {"documents": [{"url": "https://example.ru/a"}]}, "documents.0.title", "Документ: укажите название"),
    ("org", {"documents": [{"title": "Устав", "url": "ftp://example.ru/a"}]}, "documents.0.url", "Ссылка: нужен адрес"),
    ("org", {"documents": [{"title": "Устав", "url": "example.ru/a"}]}, "documents.0.url", "http:// или https://"),
    ("org", {"documents": [{"title": "Устав", "url": "https://"}]}, "documents.0.url", "Ссылка"),
    ("org", {"documents": [{"title": "Устав", "url": "https://exa mple.ru/"}]}, "documents.0.url", "Ссылка"),
    ("org", {"documents": [{"title": "Устав", "url": "javascript:alert(1)"}]}, "documents.0.url", "Ссылка"),
    ("org", {"documents": [{"title": "Устав", "url": "https://example.ru:port/"}]}, "documents.0.url", "Ссылка"),
    ("org", {"documents": {"title": "Устав"}}, "documents", "Документы: ожидается список"),
]


@pytest.mark.parametrize(("base", "changes", "field", "fragment"), INVALID)
def test_invalid_card(base: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    result = validate_card(card(base, **changes))
    assert not result.ok
    assert field in result.errors, result.errors
    assert any(fragment in message for message in result.errors[field]), result.errors[field]
    # the mistake is reported where it is, and nowhere else
    assert set(result.errors) == {field}, result.errors


# --- Every rule: valid examples, and what they are normalised to --------------------------------

VALID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # (base card, changes, expected cleaned values)
    ("org", {"inn": "7707 083 893", "kpp": " 7736 01 001 "}, {"inn": "7707083893", "kpp": "773601001"}),
    ("org", {"inn": 7707083893}, {"inn": "7707083893"}),
    ("org", {"legal_form": "ao"}, {"legal_form": "ao"}),
    ("org", {"legal_form": "PAO", "kind": "Distributor"}, {"legal_form": "pao", "kind": "distributor"}),
    ("org", {"inn": "5001007329", "kpp": "5001AB001"}, {"inn": "5001007329", "kpp": "5001AB001"}),
    ("org", {"kpp": "7736ab001"}, {"kpp": "7736AB001"}),
    ("org", {"ogrn": ""}, {"ogrn": ""}),
    ("org", {"ogrn": ...}, {"ogrn": ""}),
    ("org", {"ogrn": "5027700123457"}, {"ogrn": "5027700123457"}),
    ("ip", {"ogrn": "304770000000020"}, {"ogrn": "304770000000020"}),  # remainder 10 → control digit 0
    ("ip", {"kpp": ...}, {"kpp": ""}),
    # region: name, code, any case, ё, aliases; normalised to the official name
    ("org", {"region": "77"}, {"region": "Москва"}),
    ("org", {"region": "16"}, {"region": "Республика Татарстан"}),
    ("org", {"region": "татарстан"}, {"region": "Республика Татарстан"}),
    ("org", {"region": "МОСКОВСКАЯ ОБЛАСТЬ"}, {"region": "Московская область"}),
    (
        "org",
        {"region": "Ханты-Мансийский автономный округ - Югра"},
        {"region": "Ханты-Мансийский автономный округ — Югра"},
    ),
    ("org", {"region": 2}, {"region": "Республика Башкортостан"}),
    ("org", {"region": "Крым"}, {"region": "Республика Крым"}),
    # country: absent means Russia; synonyms are stored as «Россия»
    ("org", {"country": ...}, {"country": "Россия"}),
    ("org", {"country": None}, {"country": "Россия"}),
    ("org", {"country": "РФ"}, {"country": "Россия"}),
    ("org", {"country": "российская федерация"}, {"country": "Россия"}),
    # dates
    ("org", {"created_on": "01.03.2026"}, {"created_on": "2026-03-01"}),
    ("org", {"created_on": "2026-03-01"}, {"created_on": "2026-03-01"}),
    # bank: all empty is fine; treasury БИК with ЕКС and treasury account; other banks
    (
        "org",
        {"bank_bik": "", "bank_name": "", "bank_account": "", "bank_corr_account": ""},
        {"bank_bik": "", "bank_account": ""},
    ),
    ("org", {"bank_bik": ..., "bank_name": ..., "bank_account": ..., "bank_corr_account": ...}, {"bank_bik": ""}),
    (
        "org",
        {
            "bank_bik": "004525988",
            "bank_name": "ГУ Банка России по ЦФО//УФК по г. Москве",
            "bank_account": "03100643000000017300",
            "bank_corr_account": "40102810545370000003",
        },
        {"bank_bik": "004525988"},
    ),
    (
        "org",
        {
            "bank_bik": "046577674",
            "bank_account": "40702 810 4 16000001234",
            "bank_corr_account": "30101810500000000674",
        },
        {"bank_account": "40702810416000001234", "bank_corr_account": "30101810500000000674"},
    ),
    # contacts and documents: blank rows are dropped, the rest kept
    (
        "org",
        {
            "contacts": [
                {"name": "Иван", "phone": "8 900 123 45 67"},
                {"name": "", "position": "", "phone": "", "email": ""},
                {"name": "Hans", "phone": "+49 30 1234567", "email": "hans@bosch.de"},
                {"name": "Пётр", "phone": "+7 495 123-45-67 доб. 123"},
                {"name": "Анна", "phone": "(495) 123-45-67"},
            ]
        },
        {
            "contacts": [
                {"name": "Иван", "position": "", "phone": "8 900 123 45 67", "email": ""},
                {"name": "Hans", "position": "", "phone": "+49 30 1234567", "email": "hans@bosch.de"},
                {"name": "Пётр", "position": "", "phone": "+7 495 123-45-67 доб. 123", "email": ""},
                {"name": "Анна", "position": "", "phone": "(495) 123-45-67", "email": ""},
            ]
        },
    ),
    ("org", {"contacts": None, "documents": []}, {"contacts": [], "documents": []}),
    (
        "org",
        {"documents": [{"title": "Договор", "url": "http://sharepoint/docs/1"}, {"title": "", "url": ""}]},
        {"documents": [{"kind": "other", "title": "Договор", "url": "http://sharepoint/docs/1", "file": None}]},
    ),
    # foreign: no Russian identifiers, no region, free-form bank, ИНН not required
    ("foreign", {}, {"bank_account": "DE89 3704 0044 0532 0130 00", "region": "Baden-Württemberg"}),
    ("foreign", {"inn": "123"}, {"inn": "123"}),
    ("foreign", {"kpp": "—", "ogrn": "HRB 14000"}, {"kpp": "—"}),
    ("foreign", {"bank_corr_account": ..., "bank_bik": ...}, {"bank_bik": ""}),
    # a Russian ООО with a foreign country: no region required (a warning about the country instead)
    ("org", {"country": "Казахстан", "region": ""}, {"country": "Казахстан"}),
    # unknown keys (the form's `action`) are ignored
    ("org", {"action": "submit"}, {}),
    # whitespace is collapsed in text
    ("org", {"name": "  Ромашка \n Плюс "}, {"name": "Ромашка Плюс"}),
]


@pytest.mark.parametrize(("base", "changes", "expected"), VALID)
def test_valid_card(base: str, changes: dict[str, Any], expected: dict[str, Any]) -> None:
    result = validate_card(card(base, **changes))
    assert result.errors == {}
    assert result.ok
    for key, value in expected.items():
        assert result.cleaned[key] == value
    assert "action" not in result.cleaned


def test_created_on_defaults_to_today() -> None:
    assert validate_card(card(created_on=...)).cleaned["created_on"] == timezone.localdate().isoformat()
    assert validate_card(card(created_on="")).cleaned["created_on"] == timezone.localdate().isoformat()


def test_an_empty_card_names_every_required_field() -> None:
    result = validate_card({})
    assert set(result.errors) == {
        "name", "kind", "legal_form", "city", "short_name", "full_name", "inn", "legal_address", "region",
    }  # fmt: skip
    assert result.cleaned["country"] == "Россия"
    assert result.cleaned["contacts"] == []


def test_cleaned_card_is_json_serialisable() -> None:
    import json

    result = validate_card(card())
    assert json.loads(json.dumps(result.cleaned)) == result.cleaned


def test_a_field_with_an_error_keeps_what_was_typed() -> None:
    result = validate_card(card(inn="7707 083 894"))
    assert result.errors["inn"] == ["Неверное контрольное число ИНН"]
    assert result.cleaned["inn"] == "7707083894"
    assert validate_card(card(created_on="вчера")).cleaned["created_on"] == "вчера"


def test_each_mistake_of_a_bad_card_goes_to_its_own_field() -> None:
    result = validate_card(
        card(
            "ip",
            inn="7707083893",
            kpp="773601001",
            ogrn="1027700132195",
            bank_account="4070",
            contacts=[{"name": "Иван", "email": "нет"}],
        )
    )
    assert set(result.errors) == {"inn", "kpp", "ogrn", "bank_account", "contacts.0.email"}


# --- Warnings ----------------------------------------------------------------------------------

WARNINGS = [
    ("foreign", {"country": "Россия"}, "country", "для иностранной организации укажите страну"),
    ("org", {"country": "Казахстан"}, "country", "ООО, АО, ПАО и ИП регистрируются в России"),
    ("ip", {"bank_account": "40702810938000012345"}, "bank_account", "у ИП счёт обычно начинается с 40802"),
    ("org", {"bank_account": "40802810838000012345"}, "bank_account", "у организации счёт обычно начинается с 40702"),
]


@pytest.mark.parametrize(("base", "changes", "field", "fragment"), WARNINGS)
def test_warnings_do_not_block(base: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    result = validate_card(card(base, **changes))
    assert result.ok, result.errors
    assert any(fragment in message for message in result.warnings[field]), result.warnings


def test_foreign_organisation_in_russia_needs_no_region() -> None:
    result = validate_card(card("foreign", country="Россия", region=""))
    assert result.ok, result.errors


# --- The duplicates hook -----------------------------------------------------------------------


def test_exact_duplicate_is_an_error_that_links_to_the_company() -> None:
    seen: list[dict[str, Any]] = []

    def hook(cleaned: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        seen.append(cleaned)
        return [
            {"id": 7, "name": "Ромашка", "inn": cleaned["inn"], "kpp": cleaned["kpp"], "reason": REASON_SAME_INN}
        ], []

    result = validate_card(card(inn="7707 083 893"), duplicates=hook)
    assert seen[0]["inn"] == "7707083893"  # the hook gets the cleaned card
    assert not result.ok
    assert result.errors == {"inn": ["ИНН 7707083893 и КПП 773601001: такой контрагент уже есть — «Ромашка»"]}
    assert result.duplicates == [
        {"id": 7, "name": "Ромашка", "inn": "7707083893", "kpp": "773601001", "reason": REASON_SAME_INN}
    ]


def test_running_instance_duplicate_and_name_matches() -> None:
    def hook(cleaned: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        exact = [{"id": 12, "name": "Ромашка", "inn": "7707083893", "kpp": "", "reason": REASON_SAME_INN_RUNNING}]
        similar = [{"id": 3, "name": "ООО «Ромашкa»", "inn": "5001007329", "kpp": "500101001", "url": "/companies/3"}]
        return exact, similar

    result = validate_card(card(), duplicates=hook)
    assert result.errors["inn"] == ["ИНН 7707083893: контрагент «Ромашка» уже добавляется в другом процессе"]
    assert result.warnings["name"] == ["Название: похоже на контрагента «ООО «Ромашкa»» — проверьте, не дубль ли это"]
    assert [entry["reason"] for entry in result.duplicates] == [REASON_SAME_INN_RUNNING, REASON_SIMILAR_NAME]
    assert result.duplicates[1]["url"] == "/companies/3"


def test_name_matches_alone_leave_the_card_ok() -> None:
    result = validate_card(card(), duplicates=lambda cleaned: ([], [{"id": 3, "name": "Ромашка"}]))
    assert result.ok
    assert result.duplicates == [{"id": 3, "name": "Ромашка", "inn": None, "kpp": None, "reason": REASON_SIMILAR_NAME}]
    assert result.as_dict() == {"errors": {}, "warnings": result.warnings, "duplicates": result.duplicates}


def test_hook_may_name_the_field_and_the_message() -> None:
    def hook(cleaned: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return [{"id": 1, "name": "X", "inn": "1", "kpp": "2", "field": "kpp", "message": "Такой КПП уже есть"}], []

    result = validate_card(card(), duplicates=hook)
    assert result.errors == {"kpp": ["Такой КПП уже есть"]}
    assert "field" not in result.duplicates[0] and "message" not in result.duplicates[0]


# --- check_field: one field, same answer as the whole card -------------------------------------


def test_check_field_reports_one_field_in_context() -> None:
    data = card("ip", inn="7707083893")
    assert check_field("inn", data) == ["ИНН индивидуального предпринимателя — 12 цифр; 10 цифр бывает у организаций"]
    assert check_field("name", data) == []
    assert check_field("kpp", card(kpp="")) == ["КПП — обязательное поле для ООО, АО и ПАО"]
    assert check_field("kpp", card("ip", kpp="")) == []
    assert check_field("contacts.0.email", card(contacts=[{"name": "И", "email": "x"}])) == [
        "E-mail: неверный адрес, нужен вид name@example.ru"
    ]


@pytest.mark.parametrize(("base", "changes", "field", "fragment"), INVALID)
def test_check_field_agrees_with_validate_card(base: str, changes: dict[str, Any], field: str, fragment: str) -> None:
    data = card(base, **changes)
    result = validate_card(data)
    for key in (*FIELDS, *result.errors):
        assert check_field(key, data) == result.errors.get(key, [])


def test_check_field_passes_the_duplicates_hook() -> None:
    hook = lambda cleaned: ([{"id": 1, "name": "Ромашка", "inn": "7707083893", "kpp": ""}], [])  # noqa: E731
    assert check_field("inn", card(), duplicates=hook) == ["ИНН 7707083893: такой контрагент уже есть — «Ромашка»"]


# --- The single-identifier functions -----------------------------------------------------------


def test_single_checks_treat_empty_as_not_given() -> None:
    for check in (check_bik, check_region, check_phone, check_email, check_url):
        assert check("") is None
        assert check(None) is None
    assert check_inn("", "ooo") is None
    assert check_ogrn(None, "ip") is None
    assert check_kpp("", "ooo") is None
    assert check_settlement_account("", SBER_BIK) is None
    assert check_corr_account(None, SBER_BIK) is None


def test_single_checks_refuse_values_that_are_not_text() -> None:
    assert check_inn(["7707083893"], "ooo") == "ИНН организации — 10 цифр"
    assert check_region({"code": "77"}) is not None
    assert check_phone(["+7 495 123-45-67"]) is not None
    assert check_url({"url": "https://example.ru"}) is not None


def test_inn_without_a_legal_form_accepts_either_length() -> None:
    assert check_inn("7707083893") is None
    assert check_inn("771234567859", None) is None
    assert check_inn("77070838931", None) == "ИНН — 10 цифр (организация) или 12 цифр (ИП)"
    assert check_inn("7707083894", "unknown") == "Неверное контрольное число ИНН"
    assert check_inn("anything", "foreign") is None


def test_ogrn_without_a_legal_form_goes_by_length() -> None:
    assert check_ogrn("1027700132195") is None
    assert check_ogrn("318774600100126") is None
    assert check_ogrn("10277001321") == "ОГРН — 13 цифр (организация) или ОГРНИП — 15 цифр (ИП)"
    assert check_ogrn("418774600100121") == "ОГРНИП начинается с 3"


def test_accounts_are_checked_against_the_bik_only_when_it_is_valid() -> None:
    # The БИК's own error is the БИК field's: the account is then only checked for its form.
    assert check_settlement_account("40702810038000012345", "04452522") is None
    assert check_settlement_account("40702810038000012345", None) is None
    assert check_corr_account("30101810400000000999", "bad") is None
    assert check_corr_account("30201810400000000225", None) == "Корреспондентский счёт начинается с 30101"
    result = validate_card(card(bank_bik="04452522", bank_account="40702810038000012345"))
    assert set(result.errors) == {"bank_bik"}


def test_phone_email_url_forms() -> None:
    for phone in ("+7 (495) 123-45-67", "8 900 123 45 67", "+49 30 1234567", "84951234567", "+7 495 123-45-67 ext 12"):
        assert check_phone(phone) is None, phone
    for phone in ("123-45-67", "+7 495 abc-45-67", "++7 495 123 45 67", "+7 495 123-45-67 доб. "):
        assert check_phone(phone) is not None, phone
    assert check_email("ivan@romashka.ru") is None
    assert check_email("ivan@@romashka.ru") is not None
    assert check_url("https://example.ru") is None
    assert check_url("HTTP://EXAMPLE.RU/a?b=c#d") is None
    assert check_url("mailto:ivan@romashka.ru") is not None


# --- Checksums: generated identifiers and single-digit changes ----------------------------------
#
# What each checksum guarantees about a change of ONE digit (d → d', d ≠ d'):
#
# * Bank account key, weights 7,1,3: the sum changes by w·(d'−d) with w ∈ {7,1,3} coprime with 10
#   and 0 < |d'−d| ≤ 9, so w·(d'−d) ≢ 0 (mod 10): EVERY single-digit change is caught, in the
#   account and in the БИК digits the key uses.
# * ИНН-10, weights 2,4,10,3,5,9,4,6,8 then "mod 11, mod 10": each weight is nonzero mod 11 (a
#   prime), so a change moves the remainder r to some r' ≠ r; but r = 10 and r = 0 give the same
#   control digit 0. A change in the first nine digits slips through exactly when {r, r'} = {0, 10}.
# * ИНН-12: two control digits. A change in the first ten digits slips past the first one only if
#   w1·δ ≡ ±1 (mod 11), and past the second only if w2·δ ≡ ±1; both at once would need
#   w2 ≡ ±w1 (mod 11) at that position, which no position has (checked below). So EVERY
#   single-digit change of a 12-digit ИНН is caught.
# * ОГРН-13, "first 12 digits mod 11, mod 10": 10^k ≡ ±1 (mod 11), so a change moves the remainder,
#   and again slips through exactly when {r, r'} = {0, 10} (and the first digit stays 1 or 5).
# * ОГРНИП-15, "first 14 digits mod 13, mod 10": 10^k is invertible mod 13, so the remainder moves,
#   and slips through exactly when r ≡ r' (mod 10), i.e. {r, r'} is {0,10}, {1,11} or {2,12} (and
#   the first digit stays 3).

DIGITS = "0123456789"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=DIGITS, min_size=n, max_size=n)


def mutate(number: str, position: int, digit: str) -> str:
    return number[:position] + digit + number[position + 1 :]


single_change = st.tuples(st.integers(min_value=0, max_value=30), st.sampled_from(DIGITS))


@given(body=digits(9).filter(lambda s: s.strip("0")))
def test_generated_inn10_is_accepted(body: str) -> None:
    assert check_inn(inn10(body), "ooo") is None


@given(body=digits(10).filter(lambda s: s.strip("0")))
def test_generated_inn12_is_accepted(body: str) -> None:
    assert check_inn(inn12(body), "ip") is None


@given(body=digits(9).filter(lambda s: s.strip("0")), change=single_change)
def test_inn10_single_digit_change_is_caught_unless_remainders_are_0_and_10(body: str, change: tuple[int, str]) -> None:
    number = inn10(body)
    position, digit = change[0] % 10, change[1]
    assume(number[position] != digit)
    changed = mutate(number, position, digit)
    assume(changed.strip("0"))
    remainders = {weighted(number, INN10_WEIGHTS) % 11, weighted(changed, INN10_WEIGHTS) % 11}
    slips_through = position < 9 and remainders == {0, 10}
    assert (check_inn(changed, "ooo") is None) == slips_through


def test_inn10_collisions_exist() -> None:
    # r = 10 → control digit 0; the first digit 3 → 9 moves r to 0 → control digit 0 again.
    assert check_inn("3449786900", "ooo") is None
    assert check_inn("9449786900", "ooo") is None


def test_inn12_weights_never_let_both_control_digits_collide() -> None:
    for position in range(10):
        w1, w2 = INN12_WEIGHTS_1[position], INN12_WEIGHTS_2[position]
        assert w2 % 11 not in {w1 % 11, -w1 % 11}
        for delta in range(-9, 10):
            if delta:
                assert not ((w1 * delta) % 11 in {1, 10} and (w2 * delta) % 11 in {1, 10})


@given(body=digits(10).filter(lambda s: s.strip("0")), change=single_change)
def test_inn12_every_single_digit_change_is_caught(body: str, change: tuple[int, str]) -> None:
    number = inn12(body)
    position, digit = change[0] % 12, change[1]
    assume(number[position] != digit)
    assert check_inn(mutate(number, position, digit), "ip") is not None


@given(first=st.sampled_from("15"), body=digits(11))
def test_generated_ogrn_is_accepted(first: str, body: str) -> None:
    assert check_ogrn(ogrn13(first + body), "ooo") is None


@given(first=st.sampled_from("15"), body=digits(11), change=single_change)
def test_ogrn_single_digit_change_is_caught_unless_remainders_are_0_and_10(
    first: str, body: str, change: tuple[int, str]
) -> None:
    number = ogrn13(first + body)
    position, digit = change[0] % 13, change[1]
    assume(number[position] != digit)
    changed = mutate(number, position, digit)
    remainders = {int(number[:12]) % 11, int(changed[:12]) % 11}
    slips_through = changed[0] in "15" and position < 12 and remainders == {0, 10}
    assert (check_ogrn(changed, "ooo") is None) == slips_through


def test_ogrn_collisions_exist() -> None:
    assert check_ogrn("1184011070430", "ooo") is None
    assert check_ogrn("1284011070430", "ooo") is None


@given(body=digits(13))
def test_generated_ogrnip_is_accepted(body: str) -> None:
    assert check_ogrn(ogrnip15("3" + body), "ip") is None


@given(body=digits(13), remainder=st.integers(min_value=10, max_value=12))
def test_ogrnip_with_remainder_10_to_12_is_accepted_although_stdnum_refuses_it(body: str, remainder: int) -> None:
    prefix = int("3" + body)
    prefix += (remainder - prefix % 13) % 13  # move to the wanted remainder
    assume(len(str(prefix)) == 14 and str(prefix)[0] == "3")
    number = ogrnip15(str(prefix))
    assert int(number[:14]) % 13 == remainder
    assert check_ogrn(number, "ip") is None
    assert not stdnum_ogrn.is_valid(number)  # python-stdnum 2.2 compares with n % 13 itself


@given(body=digits(13), change=single_change)
def test_ogrnip_single_digit_change_is_caught_unless_remainders_agree_mod_10(
    body: str, change: tuple[int, str]
) -> None:
    number = ogrnip15("3" + body)
    position, digit = change[0] % 15, change[1]
    assume(number[position] != digit)
    changed = mutate(number, position, digit)
    before, after = int(number[:14]) % 13, int(changed[:14]) % 13
    slips_through = changed[0] == "3" and position < 14 and before % 10 == after % 10
    assert before != after or position == 14  # the remainder always moves
    assert (check_ogrn(changed, "ip") is None) == slips_through


def test_ogrnip_collisions_exist() -> None:
    assert check_ogrn("347577104656340", "ip") is None  # remainder 0
    assert check_ogrn("317577104656340", "ip") is None  # remainder 10


banks = st.builds(lambda region, rest: "04" + region + rest, digits(2), digits(5))


@given(
    bik=banks,
    body=st.sampled_from(["40702", "40802", "40701", "40817"]).flatmap(
        lambda head: digits(15).map(lambda tail: head + tail)
    ),
)
def test_generated_settlement_account_is_accepted(bik: str, body: str) -> None:
    account = settlement_account(bik, body)
    assert check_settlement_account(account, bik) is None
    assert account_key_ok(bik[6:9], account)


@given(bik=banks, middle=digits(12))
def test_generated_corr_account_is_accepted(bik: str, middle: str) -> None:
    assert check_corr_account(corr_account(bik, middle), bik) is None


@given(bik=banks, tail=digits(15), change=single_change)
def test_settlement_account_every_single_digit_change_is_caught(bik: str, tail: str, change: tuple[int, str]) -> None:
    # Accounts starting 4: one change cannot turn them into a treasury "03..." account.
    account = settlement_account(bik, "40702" + tail)
    position, digit = change[0] % 20, change[1]
    assume(account[position] != digit)
    assert check_settlement_account(mutate(account, position, digit), bik) is not None


@given(bik=banks, tail=digits(15), change=single_change)
def test_settlement_account_is_bound_to_the_bik(bik: str, tail: str, change: tuple[int, str]) -> None:
    account = settlement_account(bik, "40702" + tail)
    position, digit = 6 + change[0] % 3, change[1]  # the БИК digits 7–9 the key uses
    assume(bik[position] != digit)
    assert check_settlement_account(account, mutate(bik, position, digit)) is not None


@given(bik=banks, middle=digits(12), change=single_change)
def test_corr_account_every_single_digit_change_is_caught(bik: str, middle: str, change: tuple[int, str]) -> None:
    account = corr_account(bik, middle)
    position, digit = change[0] % 20, change[1]
    assume(account[position] != digit)
    assert check_corr_account(mutate(account, position, digit), bik) is not None


@given(bik=banks, middle=digits(12), change=single_change)
def test_corr_account_is_bound_to_the_bik(bik: str, middle: str, change: tuple[int, str]) -> None:
    account = corr_account(bik, middle)
    position, digit = 4 + change[0] % 5, change[1]  # digits 5–6 (key) and 7–9 (suffix)
    assume(bik[position] != digit)
    assert check_corr_account(account, mutate(bik, position, digit)) is not None


@given(prefix=digits(3), account=digits(20), change=single_change)
def test_account_key_catches_any_single_digit_change(prefix: str, account: str, change: tuple[int, str]) -> None:
    account = with_key(prefix, account)
    full = prefix + account
    position, digit = change[0] % 23, change[1]
    assume(full[position] != digit)
    changed = mutate(full, position, digit)
    assert not account_key_ok(changed[:3], changed[3:])


def test_the_key_binds_an_account_to_a_bank_only_up_to_one_in_ten() -> None:
    # The БИК enters the key only through 7·b7 + b8 + 3·b9 (mod 10), so two banks whose last three
    # БИК digits give the same sum accept the same accounts: Sberbank Moscow (…225: 14+2+15=31) and
    # Sberbank Ural (…674: 42+7+12=61). A single changed БИК digit is still always caught.
    account = "40702810416000001234"
    assert check_settlement_account(account, "046577674") is None
    assert check_settlement_account(account, SBER_BIK) is None
    assert check_settlement_account("40702810801300012345", "044525593") is None
    assert check_corr_account("30101810200000000593", "044525593") is None  # Alfa-Bank, real


@given(bik=banks, body=digits(18))
def test_treasury_accounts_skip_the_key(bik: str, body: str) -> None:
    assert check_settlement_account("03" + body, bik) is None


def test_card_check_ok_ignores_warnings() -> None:
    assert CardCheck(warnings={"name": ["похоже"]}).ok
    assert not CardCheck(errors={"inn": ["нет"]}).ok
