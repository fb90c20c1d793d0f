"""Test fixtures shared by every app: the demo company and its people as personas.

The personas are built by the real ``seed_demo`` command, so the tests exercise the same org chart a
new installation gets.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

#: The real SMTP server of the e-mail tests (``smtp``, ``smtp_port``), for every app's tests.
pytest_plugins = ["notify.tests.mailbox"]

DEMO_PASSWORD = "demo"  # noqa: S105
ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    """Password hashing is deliberately slow and tests log in hundreds of times; static files are
    served from the app folders rather than from a collected manifest; stored files go to a
    directory of the test's own (``tmp_path / "files"``), never to ``var/``."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture(autouse=True)
def _site_language() -> Any:
    """Every test starts in the site's language: a request of an English reader activates English
    for its thread (as every request does for its own), which must not leak into the next test."""
    from django.utils import translation

    translation.activate("ru")
    yield
    translation.activate("ru")


@pytest.fixture
def demo(db: Any) -> dict[str, Any]:
    """The seeded demo company: ``demo["manager1"]`` is that login's Employee."""
    from org.models import Employee

    call_command("seed_demo", password=DEMO_PASSWORD, stdout=_Sink())
    return {e.user.username: e for e in Employee.objects.select_related("user")}


@pytest.fixture
def outsider(demo: dict[str, Any]) -> Any:
    """An active employee outside the sales chain, holding no role."""
    from django.contrib.auth import get_user_model

    from org.models import Employee

    user = get_user_model().objects.create_user("outsider", password=DEMO_PASSWORD)
    return Employee.objects.create(user=user, full_name="Посторонний Пётр Петрович", position="Кладовщик")


@pytest.fixture
def login(client: Client) -> Callable[[str], Client]:
    """``login("manager1")`` returns a client logged in as that person."""

    def _login(username: str) -> Client:
        fresh = Client()
        assert fresh.login(username=username, password=DEMO_PASSWORD), username
        return fresh

    return _login


@pytest.fixture
def api_client(demo: dict[str, Any]) -> Callable[[str], Client]:
    """``api_client("director")`` returns a client sending that person's bearer token."""

    def _api(username: str) -> Client:
        response = Client().post(
            "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return Client(headers={"Authorization": f"Bearer {response.json()['token']}"})

    return _api


class _Sink:
    def write(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.fixture
def processes(demo: dict[str, Any]) -> dict[str, Any]:
    """The engine's small test processes, deployed; ``processes["t_approval"]`` is the version."""
    from engine.tests.flows import deploy_test_processes

    return deploy_test_processes()


@pytest.fixture
def manage_py() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``manage_py("check", env=environment)`` runs this checkout's ``manage.py`` in a new Python with that
    environment and returns the finished process, its output captured as text; the test judges its exit status."""

    def _run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  (our own manage.py, arguments from the test)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return _run
