"""The org questions the engine asks: line manager, role holders, active people, deactivation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from org import directory
from org.models import Employee


def test_line_manager_follows_the_org_chart(demo):
    assert directory.line_manager(demo["manager1"]) == demo["sales_head"]
    assert directory.line_manager(demo["sales_admin"]) == demo["sales_head"]
    assert directory.line_manager(demo["sales_head"]) == demo["director"]
    assert directory.line_manager(demo["accountant"]) == demo["findir"]
    assert directory.line_manager(demo["director"]) is None


def test_line_manager_skips_a_deactivated_manager(demo):
    directory.deactivate(demo["sales_head"])
    assert directory.line_manager(demo["manager1"]) == demo["director"]


def test_role_holders_are_active_people_with_that_role(demo):
    assert list(directory.role_holders("finance_director")) == [demo["findir"]]
    managers = set(directory.role_holders("sales_manager"))
    assert managers == {demo["manager1"], demo["manager2"], demo["manager3"]}
    directory.deactivate(demo["manager2"])
    assert set(directory.role_holders("sales_manager")) == {demo["manager1"], demo["manager3"]}


def test_deactivation_keeps_the_person_and_stops_their_log_in(demo, client):
    directory.deactivate(demo["manager3"])
    person = Employee.objects.get(pk=demo["manager3"].pk)
    assert not person.is_active and not person.user.is_active
    assert person not in directory.active_employees()
    assert not client.login(username="manager3", password="demo")


def test_deactivation_signals_once(demo):
    received = []

    def listener(sender, employee, by, **kwargs):
        received.append((employee.pk, by))

    directory.employee_deactivated.connect(listener)
    try:
        directory.deactivate(demo["manager1"], by=demo["admin"])
        directory.deactivate(demo["manager1"], by=demo["admin"])
    finally:
        directory.employee_deactivated.disconnect(listener)
    assert received == [(demo["manager1"].pk, demo["admin"])]


def test_is_above_and_reports(demo):
    assert directory.is_above(demo["director"], demo["manager1"])
    assert directory.is_above(demo["sales_head"], demo["manager2"])
    assert not directory.is_above(demo["findir"], demo["manager2"])
    assert set(directory.reports_of(demo["sales_head"])) == {
        demo["sales_admin"],
        demo["manager1"],
        demo["manager2"],
        demo["manager3"],
    }


def test_a_manager_chain_cannot_loop(demo):
    director = demo["director"]
    director.manager = demo["manager1"]
    with pytest.raises(ValidationError) as caught:
        director.full_clean()
    assert "manager" in caught.value.message_dict


def test_deputy_may_act_for_owner(demo):
    owner = demo["manager1"]
    owner.deputy = demo["manager2"]
    owner.save()
    assert directory.may_act_for(demo["manager2"], owner)
    assert not directory.may_act_for(demo["manager3"], owner)
