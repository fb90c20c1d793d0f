"""seed_demo: the org chart of api.md, and the same data however often it runs."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command, load_command_class

from org.models import Department, Employee, RoleCode

LOGINS = {"director", "findir", "sales_head", "sales_admin", "accountant", "manager1", "manager2", "manager3", "admin"}


def test_seed_creates_the_demo_company(demo):
    assert set(demo) == LOGINS
    assert {d.name for d in Department.objects.exclude(parent=None)} == {
        "Дирекция",
        "Отдел продаж",
        "Финансовая служба",
    }
    for code in RoleCode.values:
        holders = Employee.objects.filter(roles__code=code)
        if code == RoleCode.SALES_MANAGER:
            assert holders.count() == 3
        else:
            assert holders.count() == 1, code
    assert get_user_model().objects.get(username="admin").is_staff
    assert not get_user_model().objects.get(username="manager1").is_staff
    assert all(" " in e.full_name and e.full_name[0] in "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ" for e in demo.values())


def test_seed_twice_gives_the_same_data(demo):
    def snapshot():
        return sorted(
            (
                e.user.username,
                e.full_name,
                e.manager.user.username if e.manager else None,
                e.department.name,
                tuple(sorted(e.role_codes())),
            )
            for e in Employee.objects.select_related("user", "manager__user", "department")
        )

    before = snapshot()
    counts = (get_user_model().objects.count(), Department.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == before
    assert (get_user_model().objects.count(), Department.objects.count()) == counts


def test_seed_password_option_and_existing_passwords_kept(demo, client):
    call_command("seed_demo", stdout=io.StringIO())
    assert client.login(username="manager1", password="demo")
    call_command("seed_demo", password="secret-2", stdout=io.StringIO())
    assert client.login(username="manager1", password="secret-2")


def test_the_demo_password_is_set_although_the_password_rules_refuse_it(demo, client):
    """The validators (10 characters and more) are for people choosing a password, not for the demo."""
    with pytest.raises(ValidationError):
        validate_password("demo", demo["manager1"].user)
    call_command("seed_demo", password="demo", stdout=io.StringIO())
    assert client.login(username="manager1", password="demo")
    parser = load_command_class("org", "seed_demo").create_parser("manage.py", "seed_demo")
    assert "не применяются" in parser.format_help()  # and its help says so


def test_seed_prints_the_logins(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for login in LOGINS:
        assert login in text
