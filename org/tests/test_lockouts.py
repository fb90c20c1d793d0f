"""The lock-outs beyond one username from one address: a username from anywhere, an address over
many usernames, the client's address behind trusted proxies, and how long to wait (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from base.errors import TooManyRequests
from org.auth import client_address
from soglasie.middleware import RefusalPagesMiddleware

TOKEN = "/api/v1/auth/token"


def _login(username: str, password: str, address: str = "10.0.0.1", **headers: str):
    return Client().post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _token(username: str, password: str, address: str = "10.0.0.1", **headers: str):
    body = {"username": username, "password": password}
    return Client().post(TOKEN, body, content_type="application/json", REMOTE_ADDR=address, **headers)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    return time_machine


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.10"),
        (0, "203.0.113.5", "192.0.2.10"),  # no proxy configured: the header is anyone's to send
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.66, 203.0.113.5", "203.0.113.5"),  # what the client wrote itself is ignored
        (2, "198.51.100.66, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        (2, "203.0.113.5", "192.0.2.10"),  # fewer entries than proxies: not through them all
        (1, "not-an-address", "192.0.2.10"),
        (1, "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # a host's whole /64 is one client
        (1, "::ffff:203.0.113.5", "203.0.113.5"),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/login/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_behind_a_proxy_five_failures_lock_only_the_client_that_made_them(demo, settings, frozen):
    """The issue's row: keyed on REMOTE_ADDR, everybody behind the proxy shared one lock."""
    settings.TRUSTED_PROXIES = 1
    proxy = "10.9.9.9"
    for _ in range(5):
        _login("manager1", "wrong", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert _login("manager1", "demo", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Changing what it writes in front of the proxy's entry does not free the attacker ...
    assert _login("manager1", "demo", proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5").status_code == 429
    # ... and the owner, another client of the same proxy, logs in.
    assert _login("manager1", "demo", proxy, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lock(demo, frozen):
    for number in range(5):
        _login("manager1", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert _login("manager1", "demo", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_one_username_guessed_from_many_addresses_is_locked_for_all(demo, frozen):
    for number in range(20):  # four from each address: under the lock of one address
        _token("manager2", "wrong", f"203.0.113.{number // 4}")
    locked = _token("manager2", "demo", "198.51.100.7")
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert _login("manager2", "demo", "198.51.100.8").status_code == 429
    assert _login("manager1", "demo", "198.51.100.7").status_code == 302  # other people are not locked


def test_spraying_one_password_over_many_usernames_locks_the_address(demo, frozen):
    for number in range(20):
        _login(f"someone{number}", "Winter2026!", "203.0.113.66")
    sprayed = _login("manager3", "demo", "203.0.113.66")
    assert sprayed.status_code == 429 and sprayed["Retry-After"] == "900"
    assert "Слишком много неудачных попыток входа" in sprayed.content.decode()
    assert _token("manager3", "demo", "203.0.113.66").status_code == 429
    assert _login("manager3", "demo", "203.0.113.67").status_code == 302  # another address is not locked


def test_retry_after_counts_down_to_the_end_of_the_lock(demo, frozen):
    for minute in range(5):
        frozen.move_to(f"2026-11-28 10:0{minute}:00+00:00", tick=False)
        _token("manager1", "wrong")
    # The lock lifts when the first of the five (10:00) leaves the 15-minute window, at 10:15.
    frozen.move_to("2026-11-28 10:10:00+00:00", tick=False)
    locked = _token("manager1", "demo")
    assert locked.status_code == 429 and locked["Retry-After"] == "300"
    assert locked.json()["detail"] == "Слишком много неудачных попыток входа. Повторите через 5 мин."
    frozen.move_to("2026-11-28 10:14:30+00:00", tick=False)
    locked = _login("manager1", "demo")
    assert locked.status_code == 429 and locked["Retry-After"] == "30"
    assert "Повторите через 1 мин." in locked.content.decode()
    frozen.move_to("2026-11-28 10:15:00+00:00", tick=False)
    assert _token("manager1", "demo").status_code == 200


def test_the_admin_log_in_page_goes_through_the_same_lock(demo, frozen):
    for _ in range(5):
        _login("admin", "wrong")
    credentials = {"username": "admin", "password": "demo"}
    answer = Client().post("/admin/login/?next=/admin/", credentials, REMOTE_ADDR="10.0.0.1")
    assert answer.status_code == 302 and answer["Location"] == "/login/?next=/admin/"
    assert _login("admin", "demo").status_code == 429


def test_a_page_refused_for_too_many_requests_says_when_to_retry(db):
    request = RequestFactory().get("/somewhere/")
    request.user = None
    answer = RefusalPagesMiddleware(lambda r: None).process_exception(request, TooManyRequests("Подождите.", 42))
    assert answer.status_code == 429 and answer["Retry-After"] == "42"
    assert "Подождите." in answer.content.decode()
