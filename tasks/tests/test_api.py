"""The Tasks API of api.md: list, read, create, complete, comment; who sees and who completes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from base import clock
from notify.models import Notification
from org import directory
from tasks.models import Task, TaskComment
from tasks.services import create_task

FIELDS = {
    "id",
    "title",
    "description",
    "responsible",
    "created_by",
    "created_at",
    "deadline",
    "status",
    "completed_at",
    "instance",
}


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_create_a_task_for_a_colleague(demo, api_client):
    deadline = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    response = post(
        api_client("manager1"),
        "/api/v1/tasks",
        {
            "title": "  Подготовить КП  ",
            "description": "Для «Ромашки»",
            "responsible": "manager2",
            "deadline": deadline.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= FIELDS
    assert (body["title"], body["responsible"], body["created_by"], body["status"]) == (
        "Подготовить КП",
        "manager2",
        "manager1",
        "open",
    )
    assert body["instance"] is None and body["completed_at"] is None
    task = Task.objects.get(pk=body["id"])
    assert task.deadline == deadline
    notice = Notification.objects.get(kind="task", recipient=demo["manager2"])
    assert notice.task == task and notice.url == f"/tasks/{task.pk}/"


def test_a_naive_deadline_is_moscow_time(demo, api_client):
    response = post(
        api_client("manager1"),
        "/api/v1/tasks",
        {"title": "Отчёт", "responsible": "manager1", "deadline": "2099-03-01T18:00:00"},
    )
    assert response.status_code == 201
    assert response.json()["deadline"].startswith("2099-03-01T15:00:00")  # UTC


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "responsible": "manager2"}, "title"),
        ({"title": "   ", "responsible": "manager2"}, "title"),
        ({"title": "Задача", "responsible": ""}, "responsible"),
        ({"title": "Задача", "responsible": "nobody"}, "responsible"),
        ({"title": "Задача", "responsible": "manager3", "_deactivate": True}, "responsible"),
        ({"title": "Задача", "responsible": "manager2", "deadline": "2020-01-01T10:00:00+03:00"}, "deadline"),
        ({"title": "Задача", "responsible": "manager2", "deadline": "завтра"}, "deadline"),
        ({"title": "Задача", "responsible": "manager2", "instance": 999999}, "instance"),
        ({"title": "x" * 301, "responsible": "manager2"}, "title"),
    ],
)
def test_bad_input_is_a_field_error_and_creates_nothing(demo, api_client, body, field):
    if body.pop("_deactivate", False):
        directory.deactivate(demo["manager3"], by=demo["admin"])
    response = post(api_client("manager1"), "/api/v1/tasks", body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not Task.objects.exists()
    assert not Notification.objects.filter(kind="task").exists()


def test_a_task_links_to_a_process_instance_the_author_may_see(demo, api_client, processes):
    from engine import actions

    mine = actions.start("t_parallel", by=demo["manager1"].user)
    others = actions.start("t_parallel", by=demo["accountant"].user)
    client = api_client("manager1")
    ok = post(client, "/api/v1/tasks", {"title": "Проверить", "responsible": "manager1", "instance": mine.pk})
    assert ok.status_code == 201 and ok.json()["instance"] == mine.pk
    refused = post(client, "/api/v1/tasks", {"title": "Проверить", "responsible": "manager1", "instance": others.pk})
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["instance"]
    listed = client.get("/api/v1/tasks", {"instance": mine.pk}).json()
    assert [t["id"] for t in listed["items"]] == [ok.json()["id"]]


def test_who_sees_a_task(demo, api_client, outsider, task):
    for who in ("manager2", "manager1", "sales_head", "director", "admin"):
        response = api_client(who).get(f"/api/v1/tasks/{task.pk}")
        assert response.status_code == 200, who
        assert set(response.json()) >= FIELDS
        assert api_client(who).get("/api/v1/tasks").json()["count"] == 1, who
    for who in ("manager3", "accountant", "findir", "outsider"):
        assert api_client(who).get(f"/api/v1/tasks/{task.pk}").status_code == 404, who
        assert api_client(who).get("/api/v1/tasks").json() == {"items": [], "count": 0}, who
    assert Client().get(f"/api/v1/tasks/{task.pk}").status_code == 401


def test_list_filters(demo, api_client, task):
    own = create_task(title="Себе", responsible=demo["manager1"], created_by=demo["manager1"])
    client = api_client("manager1")
    assert [t["id"] for t in client.get("/api/v1/tasks", {"responsible": "me"}).json()["items"]] == [own.pk]
    assert client.get("/api/v1/tasks", {"responsible": "manager2"}).json()["count"] == 1
    assert client.get("/api/v1/tasks", {"created_by": "me"}).json()["count"] == 2
    assert client.get("/api/v1/tasks", {"status": "done"}).json()["count"] == 0
    assert client.get("/api/v1/tasks", {"status": "open"}).json()["count"] == 2
    bad = client.get("/api/v1/tasks", {"status": "closed"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["status"]


def test_only_the_responsible_completes_once(demo, api_client, task):
    url = f"/api/v1/tasks/{task.pk}/complete"
    author = post(api_client("manager1"), url)
    assert author.status_code == 403  # the author sees it but is not the responsible person
    assert post(api_client("sales_head"), url).status_code == 403  # nor is the manager
    assert post(api_client("manager3"), url).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"
    done = post(api_client("manager2"), url)
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["completed_by"]) == ("done", "manager2") and body["completed_at"]
    again = post(api_client("manager2"), url)
    assert again.status_code == 409
    task.refresh_from_db()
    assert task.completed_by == demo["manager2"]


def test_an_administrator_or_a_deputy_completes_too(demo, api_client, task):
    assert post(api_client("admin"), f"/api/v1/tasks/{task.pk}/complete").status_code == 200
    demo["manager2"].deputy = demo["manager3"]
    demo["manager2"].save(update_fields=["deputy"])
    second = create_task(title="Ещё", responsible=demo["manager2"], created_by=demo["manager1"])
    assert post(api_client("manager3"), f"/api/v1/tasks/{second.pk}/complete").status_code == 200


def test_comments(demo, api_client, task):
    client = api_client("manager2")
    created = post(client, f"/api/v1/tasks/{task.pk}/comments", {"text": "  Позвонил, перезвонят завтра "})
    assert created.status_code == 201
    assert created.json()["text"] == "Позвонил, перезвонят завтра" and created.json()["author"] == "manager2"
    empty = post(client, f"/api/v1/tasks/{task.pk}/comments", {"text": "  "})
    assert empty.status_code == 400 and list(empty.json()["errors"]) == ["text"]
    assert post(api_client("manager3"), f"/api/v1/tasks/{task.pk}/comments", {"text": "x"}).status_code == 404
    listed = api_client("manager1").get(f"/api/v1/tasks/{task.pk}/comments").json()
    assert listed["count"] == 1
    assert api_client("manager1").get(f"/api/v1/tasks/{task.pk}").json()["comments"][0]["author"] == "manager2"
    assert TaskComment.objects.count() == 1
