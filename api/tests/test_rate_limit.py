"""The per-token rate limit of the API: a script in a loop gets 429 with Retry-After, nobody else does."""

from __future__ import annotations

import pytest


@pytest.fixture
def small_limit(settings, time_machine):
    """10 requests a second, bursts of 20, and a clock that stands still until a test moves it."""
    settings.API_RATE_LIMIT, settings.API_RATE_BURST = 10, 20
    time_machine.move_to("2026-11-28 10:00:00+00:00", tick=False)
    return time_machine


def test_the_defaults_are_300_a_second_with_bursts_of_1000(settings):
    assert (settings.API_RATE_LIMIT, settings.API_RATE_BURST) == (300, 1000)


def test_a_runaway_token_is_refused_with_a_sentence_and_retry_after(api_client, small_limit):
    script = api_client("manager1")
    assert all(script.get("/api/v1/me").status_code == 200 for _ in range(20))  # the burst
    refused = script.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert "Слишком много запросов с одним токеном" in refused.json()["detail"]
    # Waiting refills the bucket at the rate: half a second is five requests, not six.
    small_limit.move_to("2026-11-28 10:00:00.5+00:00", tick=False)
    assert [script.get("/api/v1/me").status_code for _ in range(6)] == [200] * 5 + [429]


def test_other_tokens_and_browser_sessions_are_not_held_back(api_client, login, small_limit):
    script = api_client("manager1")
    for _ in range(21):
        script.get("/api/v1/me")
    assert script.get("/api/v1/me").status_code == 429
    assert api_client("manager2").get("/api/v1/me").status_code == 200
    assert login("manager1").get("/api/v1/me").status_code == 200


def test_a_limit_of_zero_turns_it_off(api_client, settings, small_limit):
    settings.API_RATE_LIMIT = 0
    script = api_client("manager1")
    assert all(script.get("/api/v1/me").status_code == 200 for _ in range(40))
