"""Absences in the engine: new work of an absent employee goes to the end of the substitution chain
(marked «вместо»), the start sweep hands open work over at 00:00 Moscow of the first day exactly
once, the absent employee still sees it (read-only) and gets it back only when it is delegated back,
and the figures count the substitute's work as the substitute's. Real database, real sweep."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics import figures
from base.errors import Forbidden
from engine import access, actions, sweeps
from engine.models import Assignment, AssignmentStatus, History
from notify.models import Notification, OutboxEmail
from org import directory
from org.models import Absence

URL = "https://docs.example.com/discounts-2027-q1"


def away(demo, who: str, substitute: str, starts: str = "2026-11-02", ends: str = "2026-11-20", **extra) -> Absence:
    """An absence entered straight in the table (the service's own checks are tested in ``org``)."""
    return Absence.objects.create(
        employee=demo[who],
        substitute=demo[substitute],
        starts=date.fromisoformat(starts),
        ends=date.fromisoformat(ends),
        reason="vacation",
        **extra,
    )


def start_approval(demo):
    return actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})


def attach_of(instance) -> Assignment:
    return Assignment.objects.select_related("assignee__user", "instead_of__user").get(instance=instance, key="attach")


def test_a_new_assignment_of_an_absent_employee_goes_to_the_substitute_instead_of_them(
    processes, demo, time_machine, login, api_client
):
    time_machine.move_to("2026-11-03T09:00:00+03:00")
    away(demo, "sales_head", "sales_admin")
    instance = start_approval(demo)
    attach = attach_of(instance)
    assert (attach.assignee, attach.instead_of) == (demo["sales_admin"], demo["sales_head"])
    assigned = instance.history.get(event="assigned")
    assert assigned.data == {"assignee": "sales_admin", "instead_of": "sales_head"}
    assert Notification.objects.filter(kind="assigned", recipient=demo["sales_admin"]).count() == 1
    assert not Notification.objects.filter(recipient=demo["sales_head"]).exists()

    page = login("sales_admin").get(f"/assignments/{attach.pk}/")
    assert "вместо Морозов Дмитрий Алексеевич" in page.content.decode()
    for path in ("/assignments/", "/", f"/instances/{instance.pk}/"):
        listed = login("sales_admin").get(path)
        assert "вместо Морозов Дмитрий Алексеевич" in listed.content.decode(), path

    api = api_client("sales_admin")
    assert api.get(f"/api/v1/assignments/{attach.pk}").json()["instead_of"] == "sales_head"
    assert [a["instead_of"] for a in api.get("/api/v1/assignments?assignee=me").json()["items"]] == ["sales_head"]
    assert api.get(f"/api/v1/instances/{instance.pk}").json()["assignments"][0]["instead_of"] == "sales_head"
    actions.complete(attach.pk, by=demo["sales_admin"].user, data={"document_url": URL})
    approve = Assignment.objects.get(instance=instance, key="approve_doc")  # the director is here
    assert api_client("director").get(f"/api/v1/assignments/{approve.pk}").json()["instead_of"] is None


def test_the_day_after_the_last_day_the_employee_gets_new_work_again(processes, demo, time_machine):
    time_machine.move_to("2026-11-20T23:59:00+03:00")
    away(demo, "sales_head", "sales_admin")
    assert attach_of(start_approval(demo)).assignee == demo["sales_admin"]
    time_machine.move_to("2026-11-21T00:00:00+03:00")
    attach = attach_of(start_approval(demo))
    assert (attach.assignee, attach.instead_of) == (demo["sales_head"], None)


def test_a_chain_of_three_substitutes_ends_with_the_first_one_present(processes, demo, time_machine):
    time_machine.move_to("2026-11-05T10:00:00+03:00")
    away(demo, "sales_head", "sales_admin")
    away(demo, "sales_admin", "manager1")
    away(demo, "manager1", "manager2")
    attach = attach_of(start_approval(demo))
    assert (attach.assignee, attach.instead_of) == (demo["manager2"], demo["sales_head"])


def test_a_loop_of_substitutes_goes_to_the_absent_employees_line_manager(processes, demo, time_machine):
    time_machine.move_to("2026-11-05T10:00:00+03:00")
    away(demo, "sales_head", "sales_admin")
    away(demo, "sales_admin", "manager1")
    away(demo, "manager1", "sales_head")  # back to the start
    attach = attach_of(start_approval(demo))
    assert (attach.assignee, attach.instead_of) == (demo["director"], demo["sales_head"])


def test_a_substitute_who_left_is_a_dead_end_and_the_line_manager_takes_the_work(processes, demo, time_machine):
    time_machine.move_to("2026-11-05T10:00:00+03:00")
    away(demo, "sales_head", "manager3")
    directory.deactivate(demo["manager3"])
    attach = attach_of(start_approval(demo))
    assert (attach.assignee, attach.instead_of) == (demo["director"], demo["sales_head"])


def test_an_absence_starting_hands_open_work_over_at_midnight_moscow_once(processes, demo, time_machine):
    time_machine.move_to("2026-11-03T12:00:00+03:00")
    instances = [start_approval(demo) for _ in range(3)]
    absence = away(demo, "sales_head", "sales_admin", starts="2026-11-05", ends="2026-11-06")

    assert sweeps.fire_due(datetime.fromisoformat("2026-11-04T23:59:59+03:00")).absences == 0
    assert all(attach_of(i).assignee == demo["sales_head"] for i in instances)

    fired = sweeps.fire_due(datetime.fromisoformat("2026-11-05T00:00:00+03:00"))
    assert fired.absences == 1 and not fired.errors
    for instance in instances:
        attach = attach_of(instance)
        assert (attach.assignee, attach.instead_of) == (demo["sales_admin"], demo["sales_head"])
        moved = instance.history.get(event="reassigned")
        assert (moved.data["from"], moved.data["to"], moved.data["instead_of"]) == (
            "sales_head",
            "sales_admin",
            "sales_head",
        )
        assert "отпуск" in moved.data["comment"] and "05.11.2026" in moved.data["comment"]
        notices = Notification.objects.filter(kind="reassigned", assignment=attach)
        assert sorted(n.recipient.username for n in notices) == ["sales_admin", "sales_head"]
    assert OutboxEmail.objects.filter(notification__kind="reassigned").count() == 6
    absence.refresh_from_db()
    assert absence.moved_at is not None

    again = sweeps.fire_due(datetime.fromisoformat("2026-11-05T08:00:00+03:00"))
    assert again.absences == 0
    assert History.objects.filter(event="reassigned").count() == 3
    assert Notification.objects.filter(kind="reassigned").count() == 6


def test_a_substitute_who_goes_away_too_passes_the_work_on_still_instead_of_its_owner(processes, demo, time_machine):
    time_machine.move_to("2026-11-03T12:00:00+03:00")
    instance = start_approval(demo)
    away(demo, "sales_head", "sales_admin", starts="2026-11-04")
    away(demo, "sales_admin", "manager2", starts="2026-11-06")
    sweeps.fire_due(datetime.fromisoformat("2026-11-04T00:00:00+03:00"))
    assert attach_of(instance).assignee == demo["sales_admin"]
    assert sweeps.fire_due(datetime.fromisoformat("2026-11-06T00:00:00+03:00")).absences == 1
    attach = attach_of(instance)
    assert (attach.assignee, attach.instead_of) == (demo["manager2"], demo["sales_head"])
    assert access.visible_assignments(demo["sales_head"].user).filter(pk=attach.pk).exists()
    assert [h.data["to"] for h in instance.history.filter(event="reassigned")] == ["sales_admin", "manager2"]


def test_the_absent_employee_sees_what_was_moved_read_only_and_gets_it_back_when_delegated_back(
    processes, demo, time_machine, login
):
    time_machine.move_to("2026-11-03T12:00:00+03:00")
    instance = start_approval(demo)
    away(demo, "sales_head", "sales_admin", starts="2026-11-04")
    sweeps.fire_due(datetime.fromisoformat("2026-11-04T00:00:00+03:00"))
    attach = attach_of(instance)
    head = demo["sales_head"].user

    assert access.visible_assignments(head).filter(pk=attach.pk).exists()
    assert access.visible_instances(head).filter(pk=instance.pk).exists()
    page = login("sales_head").get(f"/assignments/{attach.pk}/")
    assert page.status_code == 200
    assert 'name="document_url"' not in page.content.decode()  # no form: read-only
    with pytest.raises(Forbidden):
        actions.complete(attach.pk, by=head, data={"document_url": URL})
    refused = login("sales_head").post(f"/assignments/{attach.pk}/", {"document_url": URL})
    assert refused.status_code == 403
    assert attach_of(instance).status == AssignmentStatus.OPEN

    actions.delegate(attach.pk, by=demo["sales_admin"].user, to="sales_head", comment="Вернулся раньше")
    back = attach_of(instance)
    assert (back.assignee, back.instead_of) == (demo["sales_head"], None)
    actions.complete(attach.pk, by=head, data={"document_url": URL})
    assert attach_of(instance).status == AssignmentStatus.DONE


def test_the_figures_count_the_substitutes_work_as_the_substitutes(processes, demo, time_machine):
    time_machine.move_to("2026-11-05T10:00:00+03:00")
    away(demo, "sales_head", "sales_admin")
    instance = start_approval(demo)
    attach = attach_of(instance)
    actions.complete(attach.pk, by=demo["sales_admin"].user, data={"document_url": URL})
    done = attach_of(instance)
    assert (done.completed_by, done.instead_of) == (demo["sales_admin"], demo["sales_head"])
    assert instance.history.get(event="completed").actor == demo["sales_admin"]

    result = figures.compute(date(2026, 11, 1), date(2026, 11, 30))
    assert result["assignments"]["completed"] == 1
    steps = {s["key"]: s for p in result["processes"] for s in p["steps"]}
    assert steps["attach"]["count"] == 1
    assert (result["orphans"]["assignments"], result["orphans"]["instances"]) == (0, 0)
    # the substitute did it, the absent employee did nothing
    assert Assignment.objects.filter(completed_by=demo["sales_admin"]).count() == 1
    assert not Assignment.objects.filter(completed_by=demo["sales_head"]).exists()
