"""Valid counterparty cards for tests, completed with the rule book's own checks (see crm.demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from crm.demo import bank, inn10, inn12, ogrn13, ogrnip15

PROCESS_FILE = Path(settings.BASE_DIR) / "processes" / "add_counterparty.bpmn"


def deploy_counterparty_process() -> Any:
    """Deploy the production file the production way (a no-op when it is already current)."""
    from engine.definitions import deploy

    version, _created = deploy(PROCESS_FILE.read_bytes(), filename=PROCESS_FILE.name)
    return version


def org_card(**overrides: Any) -> dict[str, Any]:
    """A complete, valid ООО card that duplicates none of the demo companies."""
    card = {
        "name": "Ромашка",
        "kind": "client",
        "legal_form": "ooo",
        "country": "Россия",
        "region": "77",
        "city": "Москва",
        "short_name": "ООО «Ромашка»",
        "full_name": "Общество с ограниченной ответственностью «Ромашка»",
        "inn": inn10("770811122"),
        "kpp": "770801001",
        "ogrn": ogrn13("117774611122"),
        "legal_address": "125009, г. Москва, ул. Тверская, д. 1",
        **bank("044525225", "ПАО Сбербанк", tail="38000099999"),
        "contacts": [
            {
                "name": "Иванов Иван",
                "position": "Директор",
                "phone": "+7 495 111-22-33",
                "email": "ivanov@romashka.example",
            }
        ],
        "documents": [{"title": "Устав", "url": "https://docs.example/romashka/ustav.pdf"}],
    }
    card.update(overrides)
    return card


def ip_card(**overrides: Any) -> dict[str, Any]:
    """A complete, valid ИП card."""
    card = {
        "name": "ИП Лесков Олег Петрович",
        "kind": "service",
        "legal_form": "ip",
        "country": "Россия",
        "region": "Республика Татарстан",
        "city": "Казань",
        "short_name": "ИП Лесков О. П.",
        "full_name": "Индивидуальный предприниматель Лесков Олег Петрович",
        "inn": inn12("1655987654"),
        "kpp": "",
        "ogrn": ogrnip15("31916900012345"),
        "legal_address": "420111, г. Казань, ул. Баумана, д. 5",
    }
    card.update(overrides)
    return card
