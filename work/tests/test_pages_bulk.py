"""«Автоматизация» bulk work and export: check boxes, the common form, the result table, the XLSX of
what the page shows."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from base import clock, words
from engine import actions
from engine.models import Assignment, AssignmentStatus


def _start(demo, quarter="2027-Q1", by="sales_head"):
    return actions.start("t_approval", by=demo[by].user, variables={"quarter": quarter}).assignments.get()


def test_the_list_has_a_box_per_open_row_and_exports_its_filters(processes, demo, login):
    first, second = _start(demo), _start(demo, "2027-Q2")
    actions.complete(first.pk, by=demo["sales_head"].user, data={"document_url": "https://d.example/1"})
    page = login("sales_head").get("/assignments/", {"status": "any", "q": "2027"}).content.decode()
    assert f'name="ids" value="{second.pk}" form="bulk-form"' in page
    assert f'name="ids" value="{first.pk}"' not in page  # done: nothing to do with it
    assert 'href="/assignments/export.xlsx?assignee=me&amp;status=any&amp;q=2027"' in page


def test_the_export_holds_what_the_page_shows(processes, demo, login, time_machine):
    time_machine.move_to("2027-03-01 09:00:00+03:00")
    for quarter in ("2027-Q1", "2027-Q2", "2027-Q3"):
        _start(demo, quarter)
    late = Assignment.objects.order_by("pk").last()
    Assignment.objects.filter(pk=late.pk).update(due_at=clock.now() - timedelta(hours=1))
    client = login("sales_head")
    for query in ({}, {"due": "overdue"}, {"q": "q2"}, {"status": "done"}, {"due": "week", "status": "any"}):
        shown = [words.quarters_in(a.title) for a, _overdue in client.get("/assignments/", query).context["rows"]]
        response = client.get("/assignments/export.xlsx", query)
        assert response.status_code == 200 and 'filename="assignments.xlsx"' in response["Content-Disposition"]
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert rows[0] == ("Задание", "Процесс", "Ответственный", "Срок", "Состояние")
        assert [r[0] for r in rows[1:]] == shown, query
    overdue = list(load_workbook(io.BytesIO(client.get("/assignments/export.xlsx", {"due": "overdue"}).content)).active)
    assert overdue[1][4].value == "открыто, просрочено"
    assert overdue[1][3].value.strftime("%d.%m.%Y %H:%M") == "01.03.2027 08:00"  # Moscow time


def test_bulk_complete_shows_the_common_form_then_a_result_table(processes, demo, login):
    ids = [_start(demo, q).pk for q in ("2027-Q1", "2027-Q2")]
    closed = _start(demo, "2027-Q3")
    actions.complete(closed.pk, by=demo["sales_head"].user, data={"document_url": "https://d.example/0"})
    client = login("sales_head")
    chosen = client.post("/assignments/bulk/", {"action": "complete", "ids": [*ids, closed.pk]})
    assert chosen.status_code == 200
    html = chosen.content.decode()
    assert "Выбрано 3 задани" in html and 'name="document_url"' in html
    refused = client.post("/assignments/bulk/", {"action": "complete", "ids": ids, "_apply": "1", "document_url": ""})
    assert refused.status_code == 400 and "Обязательное поле" in refused.content.decode()
    assert not Assignment.objects.filter(pk__in=ids, status=AssignmentStatus.DONE).exists()
    applied = client.post(
        "/assignments/bulk/",
        {"action": "complete", "ids": [*ids, closed.pk], "_apply": "1", "document_url": "https://d.example/2"},
    )
    assert applied.status_code == 200
    results = applied.context["results"]
    assert [(r["id"], r["done"]) for r in results] == [(ids[0], True), (ids[1], True), (closed.pk, False)]
    assert "уже выполнено" in results[2]["reason"]
    assert "Сделано: 2 задани" in applied.content.decode()  # the plural form is the catalogue's
    assert Assignment.objects.filter(pk__in=ids, status=AssignmentStatus.DONE).count() == 2


def test_bulk_refuses_mixed_forms_and_nothing(processes, demo, login):
    attach = _start(demo)
    left = actions.start("t_parallel", by=demo["sales_head"].user).assignments.get(key="left")
    response = login("admin").post("/assignments/bulk/", {"action": "complete", "ids": [attach.pk, left.pk]})
    assert response.status_code == 400 and "разными формами" in response.content.decode()
    assert login("sales_head").post("/assignments/bulk/", {"action": "complete"}).status_code == 400
    assert login("sales_head").post("/assignments/bulk/", {"action": "complete", "ids": ["x"]}).status_code == 400
    assert login("sales_head").post("/assignments/bulk/", {"action": "burn", "ids": [attach.pk]}).status_code == 400
    assert login("sales_head").get("/assignments/bulk/").status_code == 405


def test_bulk_delegate_from_the_page(processes, demo, login):
    ids = [_start(demo, q).pk for q in ("2027-Q1", "2027-Q2")]
    client = login("sales_head")
    form = client.post("/assignments/bulk/", {"action": "delegate", "ids": ids})
    assert 'id="delegate-to"' in form.content.decode()
    unknown = client.post("/assignments/bulk/", {"action": "delegate", "ids": ids, "_apply": "1", "to": "nobody"})
    assert unknown.status_code == 400 and "Сотрудник не найден" in unknown.content.decode()
    done = client.post(
        "/assignments/bulk/", {"action": "delegate", "ids": ids, "_apply": "1", "to": "manager3", "comment": "Вам"}
    )
    assert [r["done"] for r in done.context["results"]] == [True, True]
    assert set(Assignment.objects.filter(pk__in=ids).values_list("assignee__user__username", flat=True)) == {
        "manager3"
    }
