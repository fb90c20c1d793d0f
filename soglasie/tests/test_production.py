"""Production settings (issue 13): https everywhere when DEBUG is off and SITE_URL is https, a
Content-Security-Policy without inline scripts, sessions that end when left idle, and
``check --deploy`` without a warning.

The settings are read once, when Django starts, so the https cases run ``manage.py`` in a fresh
Python with the production environment, as a server would start.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SITE_URL": "https://soglasie.example",
    "ALLOWED_HOSTS": "soglasie.example",
    "TRUSTED_PROXIES": "1",
    "SECRET_KEY": secrets.token_urlsafe(50),
}
#: Run in the production process: the log-in page asked for over plain http and through the proxy.
PROBE = """
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="soglasie.example")
plain = client.get("/login/")
proxied = client.get("/login/", headers={"x-forwarded-proto": "https"})
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": proxied.status_code,
    "hsts": proxied.get("Strict-Transport-Security"),
    "csrf_cookie_secure": "csrftoken" in proxied.cookies and bool(proxied.cookies["csrftoken"]["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var/ directory with the static files collected, as `make run` leaves it (DEBUG off needs them)."""
    path = tmp_path_factory.mktemp("production")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=_environment(path),
        check=True,
        capture_output=True,
    )
    return path


def _environment(var_dir: Path, **changes: str) -> dict[str, str]:
    environment = {**os.environ, **PRODUCTION, "SOGLASIE_VAR_DIR": str(var_dir), **changes}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    return environment


def _probe(manage_py: Any, var_dir: Path, **changes: str) -> dict[str, Any]:
    result = manage_py("shell", "--no-imports", "-c", PROBE, env=_environment(var_dir, **changes))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_production_settings(var_dir, manage_py):
    result = manage_py("check", "--deploy", "--fail-level", "WARNING", env=_environment(var_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_over_https_redirects_sets_hsts_and_secure_cookies(var_dir, manage_py):
    answers = _probe(manage_py, var_dir)
    assert answers["plain"] == [301, "https://soglasie.example/login/"]
    assert answers["proxied"] == 200
    assert answers["hsts"] == "max-age=31536000; includeSubDomains"
    assert answers["csrf_cookie_secure"] and answers["session_cookie_secure"]


def test_without_trusted_proxies_x_forwarded_proto_is_not_believed(var_dir, manage_py):
    answers = _probe(manage_py, var_dir, TRUSTED_PROXIES="0")
    assert answers["proxied"] == 301  # anyone could send the header: still plain http


@pytest.mark.parametrize("changes", [{"SITE_URL": "http://127.0.0.1:8000"}, {"DEBUG": "1"}])
def test_plain_http_or_debug_has_none_of_it(var_dir, manage_py, changes):
    answers = _probe(manage_py, var_dir, **changes)
    assert answers["plain"] == [200, None] and answers["hsts"] is None
    assert not answers["csrf_cookie_secure"] and not answers["session_cookie_secure"]


# --------------------------------------------------------------------------- Content-Security-Policy


def _policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/login/", "/", "/assignments/", "/admin/", "/api/v1/me"])
def test_every_answer_carries_a_policy_without_inline_scripts(demo, login, url):
    policy = _policy(login("admin").get(url)["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_api_docs_page_runs_swagger_ui_from_our_own_static_files(db, client):
    """Offline, a CDN is a blank page: the docs page names no outside address, and its scripts are ours."""
    page = client.get("/api/v1/docs")
    docs = _policy(page["Content-Security-Policy"])
    assert docs["script-src"] == ["'self'"]
    body = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert not re.search(r"""(?:src|href)=["']https?://""", body)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\shx-on[:-]|javascript:", re.IGNORECASE)


def test_no_template_has_an_inline_script_the_policy_would_block():
    """An inline <script>, an on…= attribute or an hx-on (htmx evaluates it) would not run."""
    templates = [path for path in ROOT.glob("**/templates/**/*.html") if ".venv" not in path.parts]
    assert len(templates) > 20
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in templates
        for match in INLINE_SCRIPT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# ---------------------------------------------------------------------------------- idle sessions


def test_a_session_ends_after_twelve_idle_hours_and_lives_while_used(demo, login, time_machine):
    start = datetime(2026, 11, 28, 8, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    browser = login("manager1")
    for hours in (11, 22, 33):  # a page every 11 hours: never 12 idle hours in a row
        time_machine.move_to(start + timedelta(hours=hours), tick=False)
        assert browser.get("/").status_code == 200, hours
    time_machine.move_to(start + timedelta(hours=33 + 12, seconds=1), tick=False)
    answer = browser.get("/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


def test_session_idle_hours_is_the_idle_time(demo, login, settings, time_machine):
    settings.SESSION_COOKIE_AGE = 2 * 3600  # what SESSION_IDLE_HOURS=2 sets
    time_machine.move_to("2026-11-28 08:00:00+00:00", tick=False)
    browser = login("manager1")
    time_machine.move_to("2026-11-28 10:00:01+00:00", tick=False)
    assert browser.get("/").status_code == 302


def test_pages_within_a_minute_do_not_write_the_session_again(demo, login, time_machine):
    from django.contrib.sessions.models import Session

    time_machine.move_to("2026-11-28 08:00:00+00:00", tick=False)
    browser = login("manager1")
    browser.get("/")
    key = browser.cookies["sessionid"].value
    written = Session.objects.get(session_key=key).expire_date
    time_machine.move_to("2026-11-28 08:00:59+00:00", tick=False)
    browser.get("/")
    assert Session.objects.get(session_key=key).expire_date == written
    time_machine.move_to("2026-11-28 08:01:00+00:00", tick=False)
    browser.get("/")
    assert Session.objects.get(session_key=key).expire_date > written
