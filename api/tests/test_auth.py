"""The API's authentication: tokens (good, wrong, revoked), sessions, 401 everywhere else."""

from __future__ import annotations

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
