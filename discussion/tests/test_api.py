"""``/api/v1/instances/{id}/comments`` and ``/api/v1/companies/{id}/comments`` (api.md, "Files and
discussion"): post, read and correct a comment over HTTP with bearer tokens, attachments uploaded
through ``POST /api/v1/files`` and downloaded by whoever sees the thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from base import clock
from base.texts import MAX_TEXT
from discussion.models import Comment

from .conftest import PDF


def _upload(client, name="Акт сверки.pdf", content=PDF) -> dict:
    response = client.post("/api/v1/files", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 201, response.content
    return response.json()


def _post(client, url, text, files=()):
    return client.post(url, {"text": text, "files": list(files)}, content_type="application/json")


def test_a_comment_with_an_attachment_on_an_instance(instance, demo, api_client):
    head = api_client("sales_head")
    uploaded = _upload(head)
    url = f"/api/v1/instances/{instance.pk}/comments"
    response = _post(head, url, "Акт во вложении, @director", [uploaded["id"]])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "author", "text", "files", "created_at"}
    assert (body["author"], body["author_name"], body["text"]) == (
        "sales_head",
        "Морозов Дмитрий Алексеевич",
        "Акт во вложении, @director",
    )
    [attached] = body["files"]
    assert {k: attached[k] for k in ("id", "name", "size", "sha256")} == {
        k: uploaded[k] for k in ("id", "name", "size", "sha256")
    }
    assert attached["download"] == f"/api/v1/files/{uploaded['id']}/download"

    listed = api_client("director").get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    download = api_client("director").get(attached["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert api_client("accountant").get(attached["download"]).status_code == 404


def test_a_company_card_thread(company, api_client):
    url = f"/api/v1/companies/{company.pk}/comments"
    assert _post(api_client("accountant"), url, "Сменился банк").status_code == 201
    assert _post(api_client("manager2"), url, "Учтём").status_code == 201
    listed = api_client("manager3").get(url).json()
    assert [(c["author"], c["text"]) for c in listed["items"]] == [
        ("accountant", "Сменился банк"),
        ("manager2", "Учтём"),
    ]
    assert api_client("manager3").get("/api/v1/companies/999999/comments").status_code == 404
    assert _post(api_client("manager3"), "/api/v1/companies/999999/comments", "?").status_code == 404


def test_who_may_not_see_the_instance_gets_404_on_reading_and_writing(instance, api_client, outsider):
    url = f"/api/v1/instances/{instance.pk}/comments"
    for username in ("accountant", "manager1", "outsider"):
        client = api_client(username)
        assert client.get(url).status_code == 404
        assert _post(client, url, "Можно?").status_code == 404
    assert api_client("sales_head").get("/api/v1/instances/999999/comments").status_code == 404
    assert not Comment.objects.exists()


def test_a_mentioned_colleague_of_another_department_may_read_the_instance_from_then_on(instance, api_client):
    accountant = api_client("accountant")
    assert accountant.get(f"/api/v1/instances/{instance.pk}").status_code == 404
    assert (
        _post(api_client("sales_head"), f"/api/v1/instances/{instance.pk}/comments", "@accountant").status_code == 201
    )
    assert accountant.get(f"/api/v1/instances/{instance.pk}").status_code == 200
    assert accountant.get(f"/api/v1/instances/{instance.pk}/comments").json()["count"] == 1
    assert _post(accountant, f"/api/v1/instances/{instance.pk}/comments", "Проверила").status_code == 201


@pytest.mark.parametrize(
    ("text", "files", "field"),
    [
        ("", [], "text"),
        ("   ", [], "text"),
        ("x" * (MAX_TEXT + 1), [], "text"),
        ("ok", [999_999], "files"),
        ("ok", [0], "files"),
        ("ok", ["abc"], "files"),
    ],
)
def test_bad_input_is_a_400_on_its_field(instance, api_client, text, files, field):
    response = _post(api_client("sales_head"), f"/api/v1/instances/{instance.pk}/comments", text, files)
    assert response.status_code == 400, response.content
    assert any(key.split(".")[0] == field for key in response.json()["errors"]), response.json()
    assert not Comment.objects.exists()


def test_someone_elses_upload_is_refused(instance, api_client):
    theirs = _upload(api_client("director"))
    response = _post(api_client("sales_head"), f"/api/v1/instances/{instance.pk}/comments", "Чужой", [theirs["id"]])
    assert response.status_code == 400 and "files" in response.json()["errors"]


def test_the_author_corrects_within_15_minutes_nobody_else_and_nobody_deletes(instance, api_client):
    head = api_client("sales_head")
    url = f"/api/v1/instances/{instance.pk}/comments"
    start = clock.now()
    with time_machine.travel(start, tick=False):
        comment = _post(head, url, "Черновик").json()
    item = f"{url}/{comment['id']}"
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        response = head.patch(item, {"text": "Чистовик"}, content_type="application/json")
        assert response.status_code == 200 and response.json()["text"] == "Чистовик"
        assert response.json()["edited_at"] is not None
        other = api_client("director").patch(item, {"text": "Моё"}, content_type="application/json")
        assert other.status_code == 403
        assert api_client("accountant").patch(item, {"text": "Моё"}, content_type="application/json").status_code == 404
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        late = head.patch(item, {"text": "Поздно"}, content_type="application/json")
        assert late.status_code == 403 and "15 минут" in late.json()["detail"]
        assert head.delete(item).status_code == 405
    assert Comment.objects.get().text == "Чистовик"
    # a comment of another thread is not found under this one
    assert (
        head.patch(
            f"/api/v1/companies/1/comments/{comment['id']}", {"text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
