"""The demo company «Аксиома»: its departments, people and org chart (see api.md, "Demo logins")."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

COMPANY = "Аксиома"

DEPARTMENTS = ["Дирекция", "Отдел продаж", "Финансовая служба"]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    position: str
    department: str
    manager: str | None
    roles: tuple[str, ...]
    admin: bool = False


PEOPLE: list[DemoPerson] = [
    DemoPerson("director", "Соколов Андрей Викторович", "Генеральный директор", "Дирекция", None, ("director",)),
    DemoPerson(
        "findir",
        "Белова Ирина Сергеевна",
        "Финансовый директор",
        "Финансовая служба",
        "director",
        ("finance_director",),
    ),
    DemoPerson(
        "sales_head",
        "Морозов Дмитрий Алексеевич",
        "Руководитель отдела продаж",
        "Отдел продаж",
        "director",
        ("sales_head",),
    ),
    DemoPerson(
        "sales_admin",
        "Кузнецова Ольга Николаевна",
        "Администратор отдела продаж",
        "Отдел продаж",
        "sales_head",
        ("sales_admin",),
    ),
    DemoPerson("accountant", "Павлова Елена Игоревна", "Бухгалтер", "Финансовая служба", "findir", ("accountant",)),
    DemoPerson(
        "manager1", "Смирнов Алексей Петрович", "Менеджер по продажам", "Отдел продаж", "sales_head", ("sales_manager",)
    ),
    DemoPerson(
        "manager2",
        "Васильева Мария Андреевна",
        "Менеджер по продажам",
        "Отдел продаж",
        "sales_head",
        ("sales_manager",),
    ),
    DemoPerson(
        "manager3", "Новиков Игорь Сергеевич", "Менеджер по продажам", "Отдел продаж", "sales_head", ("sales_manager",)
    ),
    DemoPerson("admin", "Администратор системы", "Администратор", "Дирекция", None, (), admin=True),
]

ROLE_NOTE = _("ровно один сотрудник на каждую роль, кроме менеджеров по продажам")
