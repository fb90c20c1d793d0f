"""Log-in and log-out pages, and the lock-out after repeated failures (page and API alike)."""

from __future__ import annotations

import pytest
from django.test import Client

from org.models import LoginFailure


def _post_login(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login_page_is_russian_and_anonymous_is_redirected(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    page = client.get("/login/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'lang="ru"' in text
    assert "Вход в Soglasie" in text and "Пароль" in text


def test_login_and_logout(demo, client):
    response = _post_login(client, "manager1", "demo")
    assert response.status_code == 302
    home = client.get("/")
    assert "Смирнов Алексей Петрович" in home.content.decode()
    out = client.post("/logout/")
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_says_nothing_more(demo, client):
    response = _post_login(client, "manager1", "wrong")
    assert response.status_code == 200
    text = response.content.decode()
    assert "правильные имя пользователя и пароль" in text  # Django's own Russian message
    assert "manager1" not in text.replace('value="manager1"', "")


def test_five_failures_lock_the_username_for_that_address(demo, client, time_machine):
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    for _ in range(5):
        _post_login(client, "manager1", "wrong")
    locked = _post_login(client, "manager1", "demo")
    # The sentence is shown next to the form, and the answer says 429 and when to come back.
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert "Слишком много неудачных попыток входа. Повторите через 15 мин." in locked.content.decode()
    assert 'name="password"' in locked.content.decode()
    # Another address is not locked out, and another username from the same address neither.
    assert _post_login(Client(), "manager1", "demo", address="10.0.0.2").status_code == 302
    assert _post_login(Client(), "manager2", "demo").status_code == 302


def test_lock_covers_the_token_endpoint_and_expires(demo, client, time_machine):
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    for _ in range(5):
        client.post("/api/v1/auth/token", {"username": "manager1", "password": "x"}, content_type="application/json")
    response = client.post(
        "/api/v1/auth/token", {"username": "manager1", "password": "demo"}, content_type="application/json"
    )
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert _post_login(Client(), "manager1", "demo", address="127.0.0.1").status_code == 429  # the page too
    time_machine.move_to("2026-11-28 10:16:00+00:00")
    response = client.post(
        "/api/v1/auth/token", {"username": "manager1", "password": "demo"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert not LoginFailure.objects.filter(username="manager1").exists()


@pytest.mark.parametrize("username", ["director", "manager1", "admin"])
def test_header_shows_the_users_name_and_navigation(login, demo, username):
    page = login(username).get("/").content.decode()
    assert demo[username].full_name in page
    assert "Лента" in page
    assert ("Администрирование" in page) == (username == "admin")


def test_language_switch_to_english(demo, login):
    client = login("manager1")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Feed" in page


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("director", True),
        ("findir", True),
        ("sales_head", True),
        ("admin", True),
        ("manager1", False),
        ("accountant", False),
    ],
)
def test_the_figures_link_only_for_those_who_may_see_them(login, demo, username, sees):
    page = login(username).get("/").content.decode()
    assert ('href="/analytics/"' in page) == sees


def test_russian_even_when_the_browser_prefers_english(demo, login):
    client = login("manager1")
    page = client.get("/", headers={"accept-language": "en-US,en;q=0.9"}).content.decode()
    assert 'lang="ru"' in page and "Лента" in page
