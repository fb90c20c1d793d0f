"""Demo counterparties of «Аксиома» with requisites that pass the card's checks.

The control digits are not typed in by hand: each number is completed by trying the digits against
`crm.validation`'s own checks, so the demo data cannot drift from the rule book. The same helpers
let tests build valid cards.
"""

from __future__ import annotations

from typing import Any

from crm.validation import (
    check_corr_account,
    check_inn,
    check_ogrn,
    check_settlement_account,
)


def _complete(prefix: str, length: int, ok: Any) -> str:
    """`prefix` padded with the digits (tried in order) that make `ok(number)` true."""
    missing = length - len(prefix)
    for n in range(10**missing):
        candidate = prefix + str(n).zfill(missing)
        if ok(candidate):
            return candidate
    raise ValueError(f"no valid completion of {prefix!r}")  # pragma: no cover - every prefix has one


def inn10(prefix: str) -> str:
    """A valid organisation ИНН from its first 9 digits."""
    return _complete(prefix, 10, lambda v: check_inn(v, "ooo") is None)


def inn12(prefix: str) -> str:
    """A valid ИП ИНН from its first 10 digits."""
    return _complete(prefix, 12, lambda v: check_inn(v, "ip") is None)


def ogrn13(prefix: str) -> str:
    """A valid ОГРН from its first 12 digits (starting 1 or 5)."""
    return _complete(prefix, 13, lambda v: check_ogrn(v, "ooo") is None)


def ogrnip15(prefix: str) -> str:
    """A valid ОГРНИП from its first 14 digits (starting 3)."""
    return _complete(prefix, 15, lambda v: check_ogrn(v, "ip") is None)


def settlement_account(bik: str, head: str, tail: str) -> str:
    """A valid р/с for `bik`: `head` (8 digits) + control key + `tail` (11 digits)."""
    for key in range(10):
        account = f"{head}{key}{tail}"
        if check_settlement_account(account, bik) is None:
            return account
    raise ValueError("no key")  # pragma: no cover


def corr_account(bik: str) -> str:
    """The bank's к/с for `bik`: 30101810 + key + 00000000 + the БИК's last three digits."""
    for key in range(10):
        account = f"30101810{key}00000000{bik[-3:]}"
        if check_corr_account(account, bik) is None:
            return account
    raise ValueError("no key")  # pragma: no cover


def bank(bik: str, name: str, head: str = "40702810", tail: str = "38000012345") -> dict[str, str]:
    """Complete, matching bank requisites."""
    return {
        "bank_bik": bik,
        "bank_name": name,
        "bank_account": settlement_account(bik, head, tail),
        "bank_corr_account": corr_account(bik),
    }


def demo_cards() -> list[dict[str, Any]]:
    """The existing counterparties of the demo company, as checked cards (responsible usernames)."""
    sber = "044525225"
    vtb = "044525187"
    return [
        {
            "name": "Автодеталь-Центр",
            "kind": "distributor",
            "legal_form": "ooo",
            "country": "Россия",
            "region": "Москва",
            "city": "Москва",
            "business_group": "Автодеталь",
            "short_name": "ООО «Автодеталь-Центр»",
            "full_name": "Общество с ограниченной ответственностью «Автодеталь-Центр»",
            "inn": inn10("772412345"),
            "kpp": "772401001",
            "ogrn": ogrn13("102770012345"),
            "legal_address": "109316, г. Москва, Волгоградский пр-т, д. 42, к. 5",
            **bank(sber, "ПАО Сбербанк"),
            "responsible": "manager1",
            "contacts": [
                {
                    "name": "Кириллов Павел Андреевич",
                    "position": "Директор по закупкам",
                    "phone": "+7 (495) 123-45-67",
                    "email": "kirillov@avtodetal.example",
                },
            ],
            "documents": [
                {"title": "Договор поставки № 12/2024", "url": "https://docs.axioma.example/contracts/12-2024"}
            ],
        },
        {
            "name": "ТрансЛогистик",
            "kind": "supplier",
            "legal_form": "ao",
            "country": "Россия",
            "region": "Санкт-Петербург",
            "city": "Санкт-Петербург",
            "business_group": "",
            "short_name": "АО «ТрансЛогистик»",
            "full_name": "Акционерное общество «ТрансЛогистик»",
            "inn": inn10("781054321"),
            "kpp": "781001001",
            "ogrn": ogrn13("103780054321"),
            "legal_address": "196084, г. Санкт-Петербург, ул. Заставская, д. 22",
            **bank(vtb, "Банк ВТБ (ПАО)", tail="55000067890"),
            "responsible": "manager2",
            "contacts": [
                {
                    "name": "Орлова Наталья Викторовна",
                    "position": "Менеджер по работе с клиентами",
                    "phone": "+7 (812) 765-43-21",
                    "email": "orlova@translog.example",
                },
            ],
            "documents": [],
        },
        {
            "name": "Мотор-Сервис Казань",
            "kind": "service",
            "legal_form": "ooo",
            "country": "Россия",
            "region": "Республика Татарстан",
            "city": "Казань",
            "business_group": "",
            "short_name": "ООО «Мотор-Сервис»",
            "full_name": "Общество с ограниченной ответственностью «Мотор-Сервис»",
            "inn": inn10("165598765"),
            "kpp": "165501001",
            "ogrn": ogrn13("116169098765"),
            "legal_address": "420088, Республика Татарстан, г. Казань, ул. Журналистов, д. 1",
            "bank_bik": "",
            "bank_name": "",
            "bank_account": "",
            "bank_corr_account": "",
            "responsible": "manager1",
            "contacts": [],
            "documents": [],
        },
        {
            "name": "ИП Громов Сергей Иванович",
            "kind": "client",
            "legal_form": "ip",
            "country": "Россия",
            "region": "Московская область",
            "city": "Подольск",
            "business_group": "",
            "short_name": "ИП Громов С. И.",
            "full_name": "Индивидуальный предприниматель Громов Сергей Иванович",
            "inn": inn12("5036123456"),
            "kpp": "",
            "ogrn": ogrnip15("31850360012345"),
            "legal_address": "142100, Московская обл., г. Подольск, ул. Кирова, д. 7, кв. 12",
            **bank(sber, "ПАО Сбербанк", head="40802810", tail="40000054321"),
            "responsible": "manager3",
            "contacts": [{"name": "Громов Сергей Иванович", "position": "", "phone": "8 916 555-12-34", "email": ""}],
            "documents": [],
        },
        {
            "name": "Autoteile Handel",
            "kind": "supplier",
            "legal_form": "foreign",
            "country": "Германия",
            "region": "",
            "city": "Штутгарт",
            "business_group": "",
            "short_name": "Autoteile Handel GmbH",
            "full_name": "Autoteile Handel GmbH",
            "inn": "",
            "kpp": "",
            "ogrn": "",
            "reg_number": "HRB 765432",
            "legal_address": "Hauptstraße 10, 70173 Stuttgart, Deutschland",
            "bank_bik": "",
            "bank_name": "",
            "bank_account": "",
            "bank_corr_account": "",
            "responsible": "manager2",
            "contacts": [
                {
                    "name": "Klaus Weber",
                    "position": "Export Manager",
                    "phone": "+49 711 1234567",
                    "email": "k.weber@autoteile.example",
                }
            ],
            "documents": [],
        },
    ]
