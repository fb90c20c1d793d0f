"""POST /api/v1/assignments/bulk and GET /api/v1/assignments.xlsx (api.md, "Approval sheet, bulk work,
export"): each assignment in its own transaction, refusals per id, the export matching the list."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from base import words
from engine import actions
from engine.models import Assignment, AssignmentStatus, History, HistoryEvent, Instance

DOCUMENT = {"document_url": "https://docs.example/registry"}


def _attach(demo: dict[str, Any], *, by: str = "sales_head", quarter: str = "2027-Q1") -> Assignment:
    """A new t_approval instance: its first assignment (attach) goes to the head of sales."""
    instance = actions.start("t_approval", by=demo[by].user, variables={"quarter": quarter})
    return instance.assignments.get()


def _bulk(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/assignments/bulk", body, content_type="application/json")


def test_bulk_on_100_assignments_with_3_not_allowed(processes, demo, api_client):
    mine = [_attach(demo, quarter=f"2027-Q{n % 4 + 1}") for n in range(97)]
    closed = _attach(demo)  # completed before: 409
    actions.complete(closed.pk, by=demo["sales_head"].user, data=DOCUMENT)
    passed_on = _attach(demo)  # handed to a report: seen (its starter is the caller), not the caller's: 403
    actions.delegate(passed_on.pk, by=demo["sales_head"].user, to="manager1")
    hidden = _attach(demo, by="director")  # the director's, handed to the accountant: not seen at all: 404
    actions.delegate(hidden.pk, by=demo["sales_head"].user, to="accountant")
    ids = [a.pk for a in mine[:50]] + [closed.pk, passed_on.pk, hidden.pk] + [a.pk for a in mine[50:]]

    response = _bulk(api_client("sales_head"), ids=ids, action="complete", data=DOCUMENT)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["done"] == [a.pk for a in mine]
    assert [(f["id"], f["status"]) for f in body["failed"]] == [(closed.pk, 409), (passed_on.pk, 403), (hidden.pk, 404)]
    assert all(f["detail"] for f in body["failed"])
    assert body["failed"][2]["detail"] == "Задание не найдено."
    done = Assignment.objects.filter(pk__in=body["done"])
    assert {(a.status, a.completed_by_id, a.data["document_url"]) for a in done} == {
        (AssignmentStatus.DONE, demo["sales_head"].pk, DOCUMENT["document_url"])
    }
    # Each went on through its own step: those instances now wait for the director's approval.
    waiting = Assignment.objects.filter(key="approve_doc", status=AssignmentStatus.OPEN)
    assert set(waiting.values_list("instance", flat=True)) == {a.instance_id for a in [*mine, closed]}
    assert Assignment.objects.get(pk=passed_on.pk).status == AssignmentStatus.OPEN
    assert Assignment.objects.get(pk=hidden.pk).status == AssignmentStatus.OPEN


def test_mixed_forms_are_refused_and_nothing_changes(processes, demo, api_client):
    attach = _attach(demo, by="admin")
    parallel = actions.start("t_parallel", by=demo["admin"].user)
    left = parallel.assignments.get(key="left")
    response = _bulk(api_client("admin"), ids=[attach.pk, left.pk], action="complete", data=DOCUMENT)
    assert response.status_code == 400
    assert "разными формами" in response.json()["errors"]["ids"][0]
    assert not Assignment.objects.filter(status=AssignmentStatus.DONE).exists()


def test_wrong_form_data_fails_each_with_its_field_errors(processes, demo, api_client):
    ids = [_attach(demo).pk, _attach(demo, quarter="2027-Q2").pk]
    body = _bulk(api_client("sales_head"), ids=ids, action="complete", data={"document_url": "ftp://x"}).json()
    assert body["done"] == [] and [f["status"] for f in body["failed"]] == [400, 400]
    assert "document_url" in body["failed"][0]["errors"]


def test_bulk_delegate_hands_all_to_one_colleague(processes, demo, api_client):
    ids = [_attach(demo, quarter=q).pk for q in ("2027-Q1", "2027-Q2", "2027-Q3")]
    client = api_client("sales_head")
    response = _bulk(client, ids=ids, action="delegate", to="manager2", comment="Пока я в отъезде")
    assert response.status_code == 200 and response.json() == {"done": ids, "failed": []}
    assert set(Assignment.objects.filter(pk__in=ids).values_list("assignee__user__username", flat=True)) == {
        "manager2"
    }
    notes = History.objects.filter(assignment__in=ids, event=HistoryEvent.DELEGATED)
    assert [n.data["comment"] for n in notes] == ["Пока я в отъезде"] * 3
    # Again: they are no longer the caller's to hand over.
    again = _bulk(client, ids=ids, action="delegate", to="manager3").json()
    assert again["done"] == [] and {f["status"] for f in again["failed"]} == {403}
    unknown = _bulk(client, ids=ids, action="delegate", to="nobody")
    assert unknown.status_code == 400 and "to" in unknown.json()["errors"]


def test_the_ids_are_bounded(processes, demo, api_client):
    client = api_client("sales_head")
    assert _bulk(client, ids=[], action="complete").status_code == 400
    assert _bulk(client, ids=list(range(1, 502)), action="complete").status_code == 400
    assert _bulk(client, ids=[0], action="complete").status_code == 400
    assert _bulk(client, ids=[1], action="approve").status_code == 400
    assert _bulk(client, ids=[10**6], action="complete").json()["failed"][0]["status"] == 404


def _rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_xlsx_export_has_the_rows_of_the_same_filter(processes, demo, api_client):
    for quarter in ("2027-Q1", "2027-Q2", "2028-Q2"):
        _attach(demo, quarter=quarter)
    first = Assignment.objects.order_by("pk").first()
    actions.complete(first.pk, by=demo["sales_head"].user, data=DOCUMENT)
    actions.start("t_parallel", by=demo["sales_head"].user)
    client = api_client("sales_head")
    for query in ("status=open&process=t_approval", "name=Q2&order=due", "assignee=me", "status=done"):
        listed = client.get(f"/api/v1/assignments?{query}&limit=500").json()["items"]
        rows = _rows(client.get(f"/api/v1/assignments.xlsx?{query}"))
        assert rows[0] == ("Задание", "Процесс", "Ответственный", "Срок", "Состояние")
        # the API gives the stored titles; the file, read by people, has them in words
        assert [r[0] for r in rows[1:]] == [words.quarters_in(item["title"]) for item in listed], query
    rows = _rows(client.get("/api/v1/assignments.xlsx?status=done"))
    assert rows[1][1].startswith("Тестовое согласование") and rows[1][2] == demo["sales_head"].full_name
    assert rows[1][4] == "выполнено"
    assert client.get("/api/v1/assignments.xlsx?status=nope").status_code == 400
    assert _rows(api_client("accountant").get("/api/v1/assignments.xlsx?process=t_approval"))[1:] == []


def test_an_export_over_the_limit_is_refused_not_cut(processes, demo, api_client, monkeypatch):
    from reports import assignments

    monkeypatch.setattr(assignments, "EXPORT_LIMIT", 1)
    _attach(demo)
    _attach(demo, quarter="2027-Q2")
    response = api_client("sales_head").get("/api/v1/assignments.xlsx")
    assert response.status_code == 400 and "не больше 1 строк" in response.json()["detail"]
    assert Instance.objects.count() == 2


def test_the_document_declares_the_file_types_and_every_status(demo, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for path, kind, statuses in (
        ("/api/v1/instances/{instance_id}/sheet.pdf", "application/pdf", {"200", "400", "401", "404", "429"}),
        ("/api/v1/instances/{instance_id}/sheet.xlsx", xlsx, {"200", "400", "401", "404", "429"}),
        ("/api/v1/assignments.xlsx", xlsx, {"200", "400", "401", "429"}),
    ):
        answers = paths[path]["get"]["responses"]
        assert set(answers) == statuses and list(answers["200"]["content"]) == [kind], path
    assert set(paths["/api/v1/assignments/bulk"]["post"]["responses"]) == {"200", "400", "401", "429"}
