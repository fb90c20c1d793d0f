"""A process with a rework loop, parallel steps and a reminder, walked through the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import sweeps
from engine.models import Assignment

URL = "https://docs.example.com/registry"


def start(client, key="t_approval", **variables):
    return client.post(f"/api/v1/processes/{key}/start", {"variables": variables}, content_type="application/json")


def complete(client, assignment_id, data):
    return client.post(f"/api/v1/assignments/{assignment_id}/complete", {"data": data}, content_type="application/json")


def my_open(client, **filters):
    response = client.get("/api/v1/assignments", {"assignee": "me", "status": "open", **filters})
    assert response.status_code == 200
    return response.json()


def test_processes_list_says_who_may_start(processes, api_client):
    items = {p["key"]: p for p in api_client("manager1").get("/api/v1/processes").json()}
    assert items["t_approval"]["version"] == 1 and items["t_approval"]["manual_start"] is True


def test_walk_with_a_rework_loop(processes, api_client):
    manager, head, director = api_client("manager1"), api_client("sales_head"), api_client("director")
    response = start(manager, quarter="2027-Q1")
    assert response.status_code == 201
    instance = response.json()
    assert instance["status"] == "running" and instance["started_by"] == "manager1"

    listing = my_open(head)
    assert listing["count"] == 1
    attach = listing["items"][0]
    assert attach["title"] == "Прикрепить документ на 2027-Q1" and attach["overdue"] is False

    detail = head.get(f"/api/v1/assignments/{attach['id']}").json()
    assert [f["id"] for f in detail["form"]] == ["document_url", "comment"]
    assert detail["form"][0]["type"] == "url" and detail["form"][0]["required"] is True

    bad = complete(head, attach["id"], {"document_url": "ftp://nope"})
    assert bad.status_code == 400 and "document_url" in bad.json()["errors"]
    assert complete(director, attach["id"], {"document_url": URL}).status_code == 403
    assert complete(head, attach["id"], {"document_url": URL}).status_code == 200
    again = complete(head, attach["id"], {"document_url": URL})
    assert again.status_code == 409 and again.json()["detail"]

    approve = my_open(director)["items"][0]
    no_comment = complete(director, approve["id"], {"decision": "reject"})
    assert no_comment.status_code == 400 and list(no_comment.json()["errors"]) == ["comment"]
    assert complete(director, approve["id"], {"decision": "reject", "comment": "Пересчитать"}).status_code == 200

    revise = my_open(head)["items"][0]
    form = head.get(f"/api/v1/assignments/{revise['id']}").json()
    assert form["key"] == "revise"
    assert form["form"][0]["value"] == URL  # pre-filled with the last link
    assert any(step["data"].get("comment") == "Пересчитать" for step in form["context"]["steps"])
    complete(head, revise["id"], {"document_url": URL + "?v=2"})
    approve = my_open(director)["items"][0]
    complete(director, approve["id"], {"decision": "approve"})

    final = manager.get(f"/api/v1/instances/{instance['id']}").json()
    assert final["status"] == "finished" and final["outcome"] == "approved"
    events = [h["event"] for h in final["history"]]
    assert events[0] == "started" and events[-1] == "finished" and "refused" in events
    assert [a["key"] for a in final["assignments"]] == ["attach", "approve_doc", "revise", "approve_doc"]


def test_completing_answers_what_reading_it_again_would(processes, api_client):
    """The answer is built from what the step wrote, not read back: it must not differ from a read."""
    start(api_client("manager1"), quarter="2027-Q1")
    head = api_client("sales_head")
    attach = my_open(head)["items"][0]
    done = complete(head, attach["id"], {"document_url": URL})
    assert done.status_code == 200
    assert done.json() == head.get(f"/api/v1/assignments/{attach['id']}").json()
    assert done.json()["status"] == "done" and done.json()["completed_by"] == "sales_head"


def test_completing_an_assignment_one_may_not_see_is_404_and_changes_nothing(processes, api_client):
    instance = start(api_client("manager1"), quarter="2027-Q1").json()
    attach = Assignment.objects.get(instance_id=instance["id"])
    refused = complete(api_client("manager2"), attach.pk, {"document_url": URL})
    assert refused.status_code == 404
    assert complete(api_client("director"), attach.pk, {"document_url": URL}).status_code == 403  # sees it
    attach.refresh_from_db()
    assert attach.status == "open" and not attach.history.filter(event="refused").exists()


def test_a_short_list_of_ones_own_costs_one_query(processes, api_client, django_assert_num_queries):
    """No org chart for one's own assignments, no COUNT for a list that ends on its first page."""
    start(api_client("manager1"), quarter="2027-Q1")
    head = api_client("sales_head")
    my_open(head)  # the token's last_used_at is written at most once a minute: now, not below
    with django_assert_num_queries(2):  # the token; the rows
        assert my_open(head)["count"] == 1


def test_parallel_steps_through_the_api(processes, api_client):
    instance = start(api_client("manager1"), key="t_parallel").json()
    for who in ("sales_admin", "accountant"):
        client = api_client(who)
        item = my_open(client, instance=instance["id"])["items"][0]
        assert complete(client, item["id"], {}).status_code == 200
    director = api_client("director")
    final = my_open(director, instance=instance["id"])["items"][0]
    assert final["key"] == "final"
    complete(director, final["id"], {})
    assert api_client("manager1").get(f"/api/v1/instances/{instance['id']}").json()["outcome"] == "completed"


def test_filters_title_search_is_case_insensitive_in_cyrillic(processes, api_client, demo):
    admin = api_client("admin")
    start(api_client("manager1"), quarter="2027-Q1")
    start(api_client("manager1"), key="t_parallel")
    for query, expected in (("ПРИКРЕПИТЬ", 1), ("документ", 1), ("ветка", 2), ("нет такого", 0)):
        assert admin.get("/api/v1/assignments", {"name": query}).json()["count"] == expected, query
    assert admin.get("/api/v1/assignments", {"process": "t_parallel"}).json()["count"] == 2
    assert admin.get("/api/v1/assignments", {"assignee": "accountant"}).json()["count"] == 1
    assert admin.get("/api/v1/assignments", {"limit": 501}).status_code == 400


def test_overdue_filter_after_the_deadline(processes, api_client, demo, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    start(api_client("manager1"), key="t_reminder")
    admin = api_client("admin")
    assert admin.get("/api/v1/assignments", {"overdue": "true"}).json()["count"] == 0
    time_machine.move_to("2026-11-07T07:00:01+00:00")
    sweeps.fire_due()
    listing = admin.get("/api/v1/assignments", {"overdue": "true"}).json()
    assert listing["count"] == 1 and listing["items"][0]["overdue"] is True
    notes = api_client("sales_admin").get("/api/v1/notifications", {"unread": "true"}).json()
    kinds = [n["kind"] for n in notes["items"]]
    assert "overdue" in kinds and "reminder" in kinds


def test_visibility_and_stop(processes, api_client):
    manager1, manager2 = api_client("manager1"), api_client("manager2")
    instance = start(manager1, quarter="2027-Q1").json()
    assert manager2.get(f"/api/v1/instances/{instance['id']}").status_code == 404
    assert api_client("director").get(f"/api/v1/instances/{instance['id']}").status_code == 200  # above manager1
    attach = Assignment.objects.get(instance_id=instance["id"])
    assert manager2.get(f"/api/v1/assignments/{attach.pk}").status_code == 404
    assert (
        api_client("sales_head")
        .post(f"/api/v1/instances/{instance['id']}/stop", {"reason": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    stopped = manager1.post(
        f"/api/v1/instances/{instance['id']}/stop", {"reason": "Передумал"}, content_type="application/json"
    )
    assert stopped.status_code == 200 and stopped.json()["outcome"] == "stopped"
    assert (
        manager1.post(
            f"/api/v1/instances/{instance['id']}/stop", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 409
    )
    mine = manager1.get("/api/v1/instances", {"started_by": "me"}).json()
    assert mine["count"] == 1 and manager2.get("/api/v1/instances").json()["count"] == 0


def test_delegate_and_notifications_read(processes, api_client):
    start(api_client("manager1"), quarter="2027-Q1")
    head = api_client("sales_head")
    attach = my_open(head)["items"][0]
    response = head.post(
        f"/api/v1/assignments/{attach['id']}/delegate",
        {"to": "manager2", "comment": "Сделай"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["assignee"] == "manager2"
    manager2 = api_client("manager2")
    unread = manager2.get("/api/v1/notifications", {"unread": "true"}).json()
    assert unread["count"] == 1 and unread["items"][0]["kind"] == "reassigned"
    note = unread["items"][0]["id"]
    assert manager2.post(f"/api/v1/notifications/{note}/read").status_code == 200
    assert manager2.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 0
    assert head.post(f"/api/v1/notifications/{note}/read").status_code == 404


@pytest.mark.parametrize("key", ["nope"])
def test_unknown_process_is_404(processes, api_client, key):
    assert start(api_client("manager1"), key=key).status_code == 404


def test_reminder_timeline_through_the_api(processes, api_client, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    instance = start(api_client("manager1"), key="t_reminder").json()
    created = Assignment.objects.get(instance_id=instance["id"]).created_at
    sweeps.fire_due(created + timedelta(days=4))
    history = api_client("manager1").get(f"/api/v1/instances/{instance['id']}").json()["history"]
    assert [h["event"] for h in history][-1] == "reminder"


def test_people_come_with_their_full_names_beside_the_usernames(processes, api_client, demo):
    """A client shows names, not logins: every username of an instance has its ФИО beside it."""
    manager, head = api_client("manager1"), api_client("sales_head")
    instance = start(manager, quarter="2027-Q1").json()
    assert (instance["started_by"], instance["started_by_name"]) == ("manager1", demo["manager1"].full_name)
    attach = my_open(head)["items"][0]
    assert (attach["assignee"], attach["assignee_name"]) == ("sales_head", demo["sales_head"].full_name)
    assert complete(head, attach["id"], {"document_url": URL}).status_code == 200
    detail = head.get(f"/api/v1/instances/{instance['id']}").json()
    done = next(a for a in detail["assignments"] if a["id"] == attach["id"])
    assert done["completed_by_name"] == demo["sales_head"].full_name and done["instead_of_name"] is None
    completed = next(h for h in detail["history"] if h["event"] == "completed")
    assert (completed["actor"], completed["actor_name"]) == ("sales_head", demo["sales_head"].full_name)
