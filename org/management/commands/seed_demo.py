"""``seed_demo``: the demo company «Аксиома». Idempotent: run it any number of times."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from org.demo import COMPANY, DEPARTMENTS, PEOPLE
from org.models import Department, Employee, Role, RoleCode

DEFAULT_PASSWORD = "demo"  # noqa: S105 - the documented demo password


class Command(BaseCommand):
    help = "Создаёт демонстрационную компанию «Аксиома»: оргструктуру, сотрудников и контрагентов."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=None,
            help="пароль для всех демо-входов; без него новые входы получают пароль demo, "
            "а существующие сохраняют свой. Требования к паролям (не короче 10 знаков и др.) к нему "
            "не применяются: они для людей, задающих себе пароль, а это пароль демонстрации",
        )

    def handle(self, *args: Any, password: str | None, **options: Any) -> None:
        with transaction.atomic():
            self.seed_people(password)
            for hook in self.extra_seeders():
                hook()
        shown = password or DEFAULT_PASSWORD
        self.stdout.write(f"Демо-компания «{COMPANY}» готова. Входы (пароль: {shown}):")
        for person in PEOPLE:
            self.stdout.write(f"  {person.username:<12} {person.full_name} — {person.position}")

    def seed_people(self, password: str | None) -> None:
        for code in RoleCode.values:  # normally made by a migration; a flushed database lacks them
            Role.objects.get_or_create(code=code)
        root, _created = Department.objects.get_or_create(name=COMPANY, parent=None)
        departments = {}
        for name in DEPARTMENTS:
            departments[name], _created = Department.objects.get_or_create(name=name, parent=root)
        user_model = get_user_model()
        employees: dict[str, Employee] = {}
        for person in PEOPLE:
            user, created = user_model.objects.get_or_create(username=person.username)
            parts = person.full_name.split()
            user.last_name, user.first_name = parts[0], " ".join(parts[1:2])
            user.email = f"{person.username}@axioma.example"
            user.is_staff = user.is_superuser = person.admin
            user.is_active = True
            if password or created:
                user.set_password(password or DEFAULT_PASSWORD)
            user.save()
            employee, _created = Employee.objects.get_or_create(user=user, defaults={"full_name": person.full_name})
            employee.full_name = person.full_name
            employee.position = person.position
            employee.department = departments[person.department]
            employee.is_active = True
            employee.save()
            employee.roles.set(Role.objects.filter(code__in=person.roles))
            employees[person.username] = employee
        for person in PEOPLE:
            employee = employees[person.username]
            employee.manager = employees[person.manager] if person.manager else None
            employee.save(update_fields=["manager"])

    def extra_seeders(self) -> list[Any]:
        """Other apps add demo data here once they exist (companies, for one)."""
        hooks = []
        for config in apps.get_app_configs():
            seeder = getattr(config, "seed_demo", None)
            if callable(seeder):
                hooks.append(seeder)
        return hooks
