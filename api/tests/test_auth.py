"""The API's authentication: tokens (good, wrong, revoked), sessions, 401 everywhere else."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.models import ApiToken, hash_token


def _token(client: Client, username: str, password: str = "demo"):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )


def test_every_demo_login_gets_a_token_that_works(demo, client):
    for username in demo:
        response = _token(client, username)
        assert response.status_code == 200
        raw = response.json()["token"]
        me = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
        assert me.status_code == 200 and me.json()["username"] == username


def test_tokens_are_stored_hashed(demo, client):
    raw = _token(client, "director").json()["token"]
    stored = ApiToken.objects.get(user__username="director")
    assert stored.key_hash == hash_token(raw) and raw not in stored.key_hash


def test_wrong_password_is_401_with_nothing_else(demo, client):
    response = _token(client, "director", "nope")
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert _token(client, "nobody", "nope").json() == response.json()


def test_revoked_or_unknown_token_is_401(demo, client):
    raw = _token(client, "findir").json()["token"]
    authed = Client(headers={"Authorization": f"Bearer {raw}"})
    assert authed.get("/api/v1/me").status_code == 200
    ApiToken.objects.get(user__username="findir").revoke()
    assert authed.get("/api/v1/me").status_code == 401
    assert Client(headers={"Authorization": "Bearer made-up"}).get("/api/v1/me").status_code == 401


def test_every_endpoint_but_the_token_one_answers_401_anonymously(db, client):
    from api.api import api

    checked = 0
    for router_prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                url = "/api/v1" + (router_prefix and "/" + router_prefix.strip("/")) + "/" + path.lstrip("/")
                url = url.replace("{", "").replace("}", "")  # any placeholder value will do
                for method in operation.methods:
                    response = client.generic(method, url.replace("//", "/"), "{}", content_type="application/json")
                    if path.endswith("auth/token"):
                        assert response.status_code != 401 or response.json()["detail"]
                        continue
                    assert response.status_code == 401, (method, url, response.status_code)
                    assert "detail" in response.json()
                    checked += 1
    assert checked >= 1


def test_session_auth_needs_csrf(demo):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="manager1", password="demo")
    assert client.get("/api/v1/me").status_code == 200


def test_openapi_and_docs(demo, client, api_client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/auth/token" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_invalid_body_is_400_with_errors_by_field(db, client):
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert "detail" in body and "password" in body["errors"]


def test_asking_again_replaces_the_token_of_that_client_instead_of_piling_up(demo, client):
    first = _token(client, "manager1").json()
    second = _token(client, "manager1").json()
    assert first["client"] == second["client"] == "api"
    assert ApiToken.objects.filter(user__username="manager1").count() == 1
    assert Client(headers={"Authorization": f"Bearer {first['token']}"}).get("/api/v1/me").status_code == 401
    assert Client(headers={"Authorization": f"Bearer {second['token']}"}).get("/api/v1/me").status_code == 200


def test_each_client_program_has_a_token_of_its_own(demo, client):
    body = {"username": "manager1", "password": "demo", "client": "Выгрузка в 1С"}
    export = client.post("/api/v1/auth/token", body, content_type="application/json").json()
    plain = _token(client, "manager1").json()
    assert export["client"] == "Выгрузка в 1С" and plain["client"] == "api"
    for raw in (export["token"], plain["token"]):
        assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 200
    assert sorted(ApiToken.objects.filter(user__username="manager1").values_list("client", flat=True)) == [
        "api",
        "Выгрузка в 1С",
    ]


@pytest.mark.parametrize("name", ["", "   ", "bad\nname", "x" * 101, "<script>"])
def test_a_bad_client_name_is_400_naming_the_field(demo, client, name):
    body = {"username": "manager1", "password": "demo", "client": name}
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["client"]
    assert not ApiToken.objects.exists()


def test_a_token_expires_after_api_token_days(demo, client, time_machine):
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    answer = _token(client, "director").json()
    assert answer["expires_at"] == "2027-02-26T10:00:00Z"  # 90 days
    authed = Client(headers={"Authorization": f"Bearer {answer['token']}"})
    time_machine.move_to("2027-02-26 09:59:59+00:00", tick=False)
    assert authed.get("/api/v1/me").status_code == 200
    time_machine.move_to("2027-02-26 10:00:00+00:00", tick=False)
    expired = authed.get("/api/v1/me")
    assert expired.status_code == 401 and expired.json()["detail"]
    # Logging in again gives a fresh token with a fresh expiry.
    renewed = _token(client, "director").json()
    assert renewed["expires_at"] == "2027-05-27T10:00:00Z"
    assert Client(headers={"Authorization": f"Bearer {renewed['token']}"}).get("/api/v1/me").status_code == 200


def test_api_token_days_sets_the_expiry(demo, client, settings, time_machine):
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    settings.API_TOKEN_DAYS = 7
    assert _token(client, "director").json()["expires_at"] == "2026-12-05T10:00:00Z"


def test_the_admin_shows_client_and_expiry(demo, client, login):
    body = {"username": "manager1", "password": "demo", "client": "robot-crm"}
    client.post("/api/v1/auth/token", body, content_type="application/json")
    page = login("admin").get("/admin/api/apitoken/").content.decode()
    assert "robot-crm" in page and "Действует до" in page and "Программа" in page


def test_the_openapi_document_has_no_duplicate_keys(db, client):
    """A key twice in one object (two "200" answers of one operation) is a parse error to Swagger UI
    and every YAML-based reader: the docs page would show nothing but the error."""

    def once(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=once)


def test_a_bearer_token_needs_no_csrf_token_but_a_session_post_does(demo, api_client):
    """CSRF guards what a browser sends by itself (its cookies); a token is never sent by itself."""
    bearer = api_client("manager1")
    bearer.handler.enforce_csrf_checks = True
    body = {"title": "Позвонить", "responsible": "manager1"}
    assert bearer.post("/api/v1/tasks", body, content_type="application/json").status_code == 201

    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="manager1", password="demo")
    refused = browser.post("/api/v1/tasks", body, content_type="application/json")
    assert refused.status_code == 403
    browser.get("/")  # the page sets the CSRF cookie, as a browser's first visit does
    token = browser.cookies["csrftoken"].value
    allowed = browser.post("/api/v1/tasks", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert allowed.status_code == 201


def test_last_used_at_is_written_at_most_once_a_minute(demo, api_client, time_machine):
    """Every request would otherwise write a row, and on SQLite every write waits for the others."""
    time_machine.move_to("2026-12-04 10:00:00+00:00", tick=False)
    client = api_client("manager1")
    client.get("/api/v1/me")
    first = ApiToken.objects.get(user__username="manager1").last_used_at
    assert first is not None
    time_machine.move_to("2026-12-04 10:00:59+00:00", tick=False)
    client.get("/api/v1/me")
    assert ApiToken.objects.get(user__username="manager1").last_used_at == first
    time_machine.move_to("2026-12-04 10:01:01+00:00", tick=False)
    client.get("/api/v1/me")
    assert ApiToken.objects.get(user__username="manager1").last_used_at > first


def test_the_token_brings_its_user_and_employee_in_one_query(demo, api_client, django_assert_num_queries):
    client = api_client("manager1")
    client.get("/api/v1/me")  # the minute's last_used_at write is behind us
    # The token with its user and employee; the one row asked for; the count (a full page, or none).
    with django_assert_num_queries(3):
        assert client.get("/api/v1/notifications", {"limit": 1}).status_code == 200


def test_the_token_of_a_deactivated_person_stops_working(demo, api_client):
    client = api_client("manager2")
    assert client.get("/api/v1/me").status_code == 200
    get_user_model().objects.filter(username="manager2").update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401
