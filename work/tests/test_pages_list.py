"""The «Автоматизация» list: defaults, every filter, counts, htmx fragment, paging, and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from base import clock
from engine import actions
from engine.models import Assignment, AssignmentStatus


def _start(demo, username="sales_head", quarter="2027-Q1"):
    return actions.start("t_approval", by=demo[username].user, variables={"quarter": quarter})


def _titles(response) -> list[str]:
    return [a.title for a, _overdue in response.context["rows"]]


def test_it_shows_my_open_assignments_by_default(processes, demo, login):
    _start(demo)
    actions.start("t_parallel", by=demo["sales_head"].user)  # sales_admin and accountant get one each
    response = login("sales_head").get("/assignments/")
    assert response.status_code == 200
    assert _titles(response) == ["Прикрепить документ на 2027-Q1"]
    assert _titles(login("sales_admin").get("/assignments/")) == ["Левая ветка"]
    assert _titles(login("director").get("/assignments/")) == []
    assert "Открытых заданий у вас нет." in login("director").get("/assignments/").content.decode()


def test_it_filters_by_title_in_any_case_cyrillic_included(processes, demo, login):
    _start(demo, quarter="2027-Q1")
    _start(demo, quarter="2027-Q2")
    client = login("sales_head")
    assert len(_titles(client.get("/assignments/", {"q": "ПРИКРЕПИТЬ"}))) == 2
    assert _titles(client.get("/assignments/", {"q": "q2"})) == ["Прикрепить документ на 2027-Q2"]
    assert _titles(client.get("/assignments/", {"q": "согласовать"})) == []


def test_it_filters_by_status_process_and_counts_each_choice(processes, demo, login):
    first = _start(demo)
    actions.complete(
        first.assignments.get().pk, by=demo["sales_head"].user, data={"document_url": "https://a.example"}
    )
    _start(demo, quarter="2027-Q2")
    client = login("sales_head")
    done = client.get("/assignments/", {"status": "done"})
    assert _titles(done) == ["Прикрепить документ на 2027-Q1"]
    counts = {chip["value"]: chip["count"] for chip in done.context["status_chips"]}
    assert counts == {"open": 1, "done": 1, "cancelled": 0, "any": 2}
    assert len(_titles(client.get("/assignments/", {"status": "any", "process": "t_approval"}))) == 2
    assert _titles(client.get("/assignments/", {"status": "any", "process": "t_parallel"})) == []


def test_it_filters_by_deadline_and_marks_overdue_rows(processes, demo, login, time_machine):
    time_machine.move_to("2027-03-01 09:00:00+03:00")  # a Monday
    instance = _start(demo)
    other = _start(demo, quarter="2027-Q2")
    # due P3D → 4 March; make one of them overdue and one due today
    Assignment.objects.filter(instance=other).update(due_at=clock.now() - timedelta(hours=1))
    client = login("sales_head")
    overdue = client.get("/assignments/", {"due": "overdue"})
    assert _titles(overdue) == ["Прикрепить документ на 2027-Q2"]
    assert 'class="assignment-row overdue"' in overdue.content.decode()
    assert _titles(client.get("/assignments/", {"due": "today"})) == ["Прикрепить документ на 2027-Q2"]
    assert len(_titles(client.get("/assignments/", {"due": "week"}))) == 2
    in_range = client.get("/assignments/", {"due": "range", "due_from": "2027-03-04", "due_to": "2027-03-04"})
    assert _titles(in_range) == ["Прикрепить документ на 2027-Q1"]
    Assignment.objects.filter(instance=instance).update(due_at=None)
    no_deadline = client.get("/assignments/", {"due": "none"})
    assert _titles(no_deadline) == ["Прикрепить документ на 2027-Q1"]
    counts = {chip["value"]: chip["count"] for chip in no_deadline.context["due_chips"]}
    assert counts == {"": 2, "overdue": 1, "today": 1, "week": 1, "range": 1, "none": 1}


def test_managers_see_their_reports_and_administrators_everyone(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    actions.delegate(attach.pk, by=demo["sales_head"].user, to="manager1")
    head = login("sales_head")
    assert _titles(head.get("/assignments/")) == []
    assert _titles(head.get("/assignments/", {"assignee": "manager1"})) == [attach.title]
    assert _titles(head.get("/assignments/", {"assignee": "all"})) == [attach.title]
    assert _titles(login("admin").get("/assignments/", {"assignee": "all"})) == [attach.title]
    # manager2 is not above manager1: nothing of manager1's, however the URL is written
    assert _titles(login("manager2").get("/assignments/", {"assignee": "manager1"})) == []
    assert _titles(login("manager2").get("/assignments/", {"assignee": "all"})) == []


def test_htmx_request_gets_only_the_results_and_a_link_shows_the_same_list(processes, demo, login):
    _start(demo)
    client = login("sales_head")
    fragment = client.get("/assignments/", {"q": "прикрепить"}, headers={"HX-Request": "true", "HX-Target": "results"})
    text = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in text and "Прикрепить документ на I квартал 2027 г." in text
    page = client.get("/assignments/?q=%D0%BF%D1%80%D0%B8%D0%BA%D1%80%D0%B5%D0%BF%D0%B8%D1%82%D1%8C")
    assert "<html" in page.content.decode() and 'value="прикрепить"' in page.content.decode()
    assert _titles(page) == _titles(fragment)


def test_it_refuses_other_methods(demo, login):
    assert login("manager1").post("/assignments/").status_code == 405


def _bulk_assignments(instance, assignee, count: int) -> None:
    now = clock.now()
    Assignment.objects.bulk_create(
        Assignment(
            instance=instance,
            task_id=f"bulk-{i}",
            key="attach",
            title=f"Массовое задание {i}",
            title_search=f"массовое задание {i}",
            assignee=assignee,
            status=AssignmentStatus.OPEN,
            due_at=now + timedelta(hours=i - count // 2),
        )
        for i in range(count)
    )


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/assignments/", params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"assignee": "all", "q": "массовое", "due": "week", "status": "any"}])
def test_the_same_number_of_queries_for_10_and_10000_rows(processes, demo, login, params):
    instance = _start(demo)
    client = login("sales_head")
    _bulk_assignments(instance, demo["sales_head"], 10)
    small = _queries(client, params)
    Assignment.objects.filter(task_id__startswith="bulk-").delete()
    _bulk_assignments(instance, demo["sales_head"], 10_000)
    large = _queries(client, params)
    assert small == large, (small, large)


def test_pages_of_fifty_sorted_by_deadline(processes, demo, login):
    instance = _start(demo)
    _bulk_assignments(instance, demo["sales_head"], 60)
    client = login("sales_head")
    first = client.get("/assignments/")
    rows = [a for a, _ in first.context["rows"]]
    assert len(rows) == 50
    dues = [a.due_at for a in rows]
    assert dues == sorted(dues)
    second = client.get("/assignments/", {"page": 2})
    assert len(second.context["rows"]) == 11  # 60 bulk + the real one
    assert second.context["page"].count == 61


def _people(response) -> dict[str, str]:
    select = next(s for s in response.context["selects"] if s["name"] == "assignee")
    return dict(select["options"])


def test_the_responsible_list_has_everyone_whose_work_the_head_sees(processes, demo, login):
    # The accountant is outside the sales department, but holds a step of a process its head started:
    # «Все, кого я вижу» lists that step, so «Ответственный» lists its holder too.
    actions.start("t_parallel", by=demo["sales_head"].user)
    head = login("sales_head")
    people = _people(head.get("/assignments/"))
    assert people["accountant"] == "Павлова Елена Игоревна"
    assert {"manager1", "manager2", "manager3", "sales_admin", "sales_head"} <= set(people)
    assert "findir" not in people and "director" not in people
    assert len(_titles(head.get("/assignments/", {"assignee": "accountant"}))) == 1
    # A manager who sees only their own work gets no one else to pick.
    assert set(_people(login("manager2").get("/assignments/"))) == {"me", "all"}


def test_the_date_fields_wait_for_the_range_choice(demo, login):
    text = login("sales_head").get("/assignments/").content.decode()
    assert text.count('data-shown-when="filter-due=range"') == 2


def test_a_chip_counts_up_to_its_limit_and_the_chosen_one_exactly(processes, demo, login, monkeypatch):
    from work import assignment_list

    monkeypatch.setattr(assignment_list, "CHIP_LIMIT", 3)
    instance = _start(demo)
    _bulk_assignments(instance, demo["sales_head"], 5)  # 6 open in all
    response = login("sales_head").get("/assignments/")
    chips = {chip["value"]: (chip["count"], chip["more"]) for chip in response.context["status_chips"]}
    assert chips == {"open": (6, False), "done": (0, False), "cancelled": (0, False), "any": (3, True)}
    assert response.context["page"].count == 6
    assert '<span class="count" data-count="any">3+</span>' in response.content.decode()
