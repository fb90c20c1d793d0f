"""Absences through the API and the page «Отсутствия»: who may enter one, each refusal with its
sentence and field, taking one back (deleted before it starts, ended today once under way), the
lists, and the substitution chain itself. Personas of the demo company; a real database."""

from __future__ import annotations

from datetime import date

import pytest

from org import absences, directory
from org.models import Absence

BODY = {
    "employee": "manager1",
    "starts": "2026-11-10",
    "ends": "2026-11-20",
    "substitute": "manager2",
    "reason": "vacation",
}


#: ``BODY`` as ``org.absences.create`` takes it (dates, not text).
ENTERED = {**BODY, "starts": date(2026, 11, 10), "ends": date(2026, 11, 20)}


@pytest.fixture(autouse=True)
def _today(time_machine):
    """Today is 05.11.2026 in Moscow (already the 5th there while it is the 4th in UTC)."""
    time_machine.move_to("2026-11-04T22:30:00+00:00")


def post(client, **changes):
    return client.post("/api/v1/absences", {**BODY, **changes}, content_type="application/json")


def test_an_employee_enters_their_own_absence(api_client, demo):
    answer = post(api_client("manager1"))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert {k: body[k] for k in BODY} == BODY
    assert (body["employee_name"], body["substitute_name"]) == ("Смирнов Алексей Петрович", "Васильева Мария Андреевна")
    assert (body["created_by"], body["active"]) == ("manager1", False)
    absence = Absence.objects.get(pk=body["id"])
    assert (absence.employee, absence.created_by, absence.moved_at) == (demo["manager1"], demo["manager1"], None)


@pytest.mark.parametrize("who", ["sales_head", "director", "admin"])
def test_a_line_manager_above_and_an_administrator_enter_one_for_an_employee(api_client, demo, who):
    assert post(api_client(who)).status_code == 201


@pytest.mark.parametrize("who", ["manager2", "accountant", "findir"])
def test_anyone_else_is_refused_with_403(api_client, demo, who):
    answer = post(api_client(who))
    assert answer.status_code == 403
    assert (
        answer.json()["detail"]
        == "Отсутствие может внести или изменить сам сотрудник, его руководитель или администратор."
    )
    assert not Absence.objects.exists()


def test_overlapping_absences_of_one_employee_are_refused(api_client, demo):
    client = api_client("manager1")
    assert post(client).status_code == 201
    answer = post(client, starts="2026-11-20", ends="2026-11-25", substitute="manager3")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "starts": [
            "У сотрудника Смирнов Алексей Петрович уже есть отсутствие с 10.11.2026 по 20.11.2026: "
            "периоды не могут пересекаться."
        ]
    }
    assert post(client, starts="2026-11-21", ends="2026-11-25").status_code == 201  # the day after is free
    assert Absence.objects.count() == 2


def test_an_inactive_substitute_is_refused(api_client, demo):
    directory.deactivate(demo["manager2"])
    answer = post(api_client("manager1"))
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "substitute": ["Васильева Мария Андреевна больше не работает в компании: выберите другого замещающего."]
    }


def test_the_employee_as_their_own_substitute_is_refused(api_client, demo):
    answer = post(api_client("manager1"), substitute="manager1")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"substitute": ["Сотрудник не может замещать сам себя: выберите другого."]}


def test_a_last_day_before_the_first_is_refused(api_client, demo):
    answer = post(api_client("manager1"), starts="2026-11-20", ends="2026-11-19")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"ends": ["Последний день не может быть раньше первого."]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"employee": "nobody"}, "employee"),
        ({"substitute": "nobody"}, "substitute"),
        ({"reason": "holiday"}, "reason"),
        ({"starts": "tomorrow"}, "starts"),
        ({"ends": "1900-01-01"}, "ends"),
    ],
)
def test_unknown_people_reasons_and_dates_are_field_errors(api_client, demo, changes, field):
    answer = post(api_client("admin"), **changes)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]


def test_the_list_shows_what_the_caller_may_see_and_filters_by_employee_and_today(api_client, demo):
    for by, employee, starts, ends, substitute in (
        ("manager1", "manager1", date(2026, 11, 1), date(2026, 11, 6), "manager2"),
        ("sales_head", "manager3", date(2026, 12, 1), date(2026, 12, 5), "manager1"),
        ("director", "findir", date(2026, 11, 1), date(2026, 11, 30), "accountant"),
    ):
        absences.create(
            by=demo[by].user, employee=employee, starts=starts, ends=ends, substitute=substitute, reason="other"
        )

    def employees(client, query=""):
        answer = client.get(f"/api/v1/absences{query}")
        assert answer.status_code == 200, answer.content
        return sorted(item["employee"] for item in answer.json()["items"])

    assert employees(api_client("manager1")) == ["manager1", "manager3"]  # mine, and where I substitute
    assert employees(api_client("manager2")) == ["manager1"]  # I substitute there
    assert employees(api_client("sales_head")) == ["manager1", "manager3"]  # my reports'
    assert employees(api_client("accountant")) == ["findir"]
    assert employees(api_client("admin")) == ["findir", "manager1", "manager3"]
    assert employees(api_client("admin"), "?active=true") == ["findir", "manager1"]
    assert employees(api_client("admin"), "?active=false") == ["manager3"]
    assert employees(api_client("manager1"), "?employee=me") == ["manager1"]
    assert employees(api_client("admin"), "?employee=findir&active=true") == ["findir"]
    assert api_client("admin").get("/api/v1/absences?active=maybe").status_code == 400


def test_delete_removes_an_absence_not_yet_begun_and_ends_one_under_way_today(api_client, demo):
    client = api_client("manager1")
    future = post(client).json()["id"]
    begun = post(client, starts="2026-11-01", ends="2026-11-08").json()["id"]

    assert client.delete(f"/api/v1/absences/{future}").status_code == 204
    assert not Absence.objects.filter(pk=future).exists()
    assert client.delete(f"/api/v1/absences/{begun}").status_code == 204
    assert Absence.objects.get(pk=begun).ends == date(2026, 11, 5)  # today in Moscow
    assert client.delete(f"/api/v1/absences/{begun}").status_code == 204  # again: it still ends today
    assert Absence.objects.get(pk=begun).ends == date(2026, 11, 5)


def test_delete_by_the_substitute_is_403_and_by_a_stranger_404(api_client, demo):
    absence = post(api_client("manager1")).json()["id"]
    assert api_client("manager2").delete(f"/api/v1/absences/{absence}").status_code == 403
    assert api_client("manager3").delete(f"/api/v1/absences/{absence}").status_code == 404
    assert api_client("manager3").delete("/api/v1/absences/999999").status_code == 404
    assert api_client("sales_head").delete(f"/api/v1/absences/{absence}").status_code == 204


def test_the_chain_of_three_substitutes_and_its_loop(demo):
    day = date(2026, 11, 5)
    for who, substitute in (("manager1", "manager2"), ("manager2", "manager3"), ("manager3", "sales_admin")):
        Absence.objects.create(employee=demo[who], substitute=demo[substitute], starts=day, ends=day, reason="other")
    assert absences.taker(demo["manager1"], day) == demo["sales_admin"]
    assert absences.taker(demo["manager1"], date(2026, 11, 6)) == demo["manager1"]  # the day after: back
    Absence.objects.create(
        employee=demo["sales_admin"], substitute=demo["manager1"], starts=day, ends=day, reason="other"
    )
    assert absences.taker(demo["manager1"], day) == demo["sales_head"]  # a loop: manager1's line manager


# --------------------------------------------------------------------------- the page


def test_the_page_lists_with_full_names_and_dates_and_offers_the_deputy(login, demo):
    demo["manager1"].deputy = demo["manager3"]
    demo["manager1"].save(update_fields=["deputy"])
    absences.create(by=demo["manager1"].user, **ENTERED)
    page = login("manager1").get("/absences/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Смирнов Алексей Петрович" in html and "10.11.2026 — 20.11.2026" in html
    assert "Васильева Мария Андреевна" in html and "отпуск" in html
    form = page.context["form"]
    assert (form["employee"].value(), form["substitute"].value()) == ("manager1", "manager3")
    assert list(form.fields["employee"].queryset) == [demo["manager1"]]  # only for myself
    assert '<option value="manager3" selected>' in html
    assert 'href="/absences/"' in html  # the navigation entry


def test_a_manager_enters_one_for_a_report_on_the_page_and_sees_the_refusal_next_to_the_field(login, demo):
    client = login("sales_head")
    page = client.get("/absences/")
    choices = {e.username for e in page.context["form"].fields["employee"].queryset}
    assert choices == {"sales_head", "sales_admin", "manager1", "manager2", "manager3"}

    done = client.post("/absences/", {**BODY, "starts": "2026-11-10", "ends": "2026-11-20"}, follow=True)
    assert "Отсутствие сотрудника Смирнов Алексей Петрович с 10.11.2026 по 20.11.2026 внесено." in done.content.decode()
    refused = client.post("/absences/", {**BODY, "starts": "2026-11-15", "ends": "2026-11-16"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["starts"] == [
        "У сотрудника Смирнов Алексей Петрович уже есть отсутствие с 10.11.2026 по 20.11.2026: "
        "периоды не могут пересекаться."
    ]
    stranger = client.post("/absences/", {**BODY, "employee": "accountant"})
    assert stranger.status_code == 400  # not among the choices: the form says so
    assert "employee" in stranger.context["form"].errors
    assert Absence.objects.count() == 1


def test_the_button_deletes_or_ends_today(login, demo):
    client = login("manager1")
    future = absences.create(by=demo["manager1"].user, **ENTERED)
    begun = absences.create(
        by=demo["manager1"].user, **{**ENTERED, "starts": date(2026, 11, 1), "ends": date(2026, 11, 8)}
    )
    html = client.get("/absences/").content.decode()
    assert "Удалить" in html and "Закончить сегодня" in html
    client.post(f"/absences/{future.pk}/withdraw/")
    gone = client.post(f"/absences/{begun.pk}/withdraw/", follow=True)
    assert "Отсутствие заканчивается 05.11.2026." in gone.content.decode()
    assert list(Absence.objects.values_list("pk", "ends")) == [(begun.pk, date(2026, 11, 5))]
    assert login("manager3").post(f"/absences/{begun.pk}/withdraw/").status_code == 404
    assert client.get(f"/absences/{begun.pk}/withdraw/").status_code == 405
