"""Settings from the environment: good values parsed, bad ones named in one sentence."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from soglasie import env

ROOT = Path(__file__).resolve().parents[2]


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env.env_bool("X_BOOL") is True
    assert env.env_int("X_INT", 1) == 42
    assert env.env_list("X_LIST", []) == ["a", "b", "c"]
    assert env.env_int("X_MISSING", 7) == 7


@pytest.mark.parametrize(
    ("name", "value", "call"),
    [
        ("X_BOOL", "maybe", lambda: env.env_bool("X_BOOL")),
        ("X_INT", "eight", lambda: env.env_int("X_INT", 1)),
        ("X_INT", "70000", lambda: env.env_int("X_INT", 1, minimum=1, maximum=65535)),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, call):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        call()


def test_sqlite_is_the_default_with_wal_and_immediate(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.env_database("DATABASE_URL", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "soglasie.sqlite_backend"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] > 0


def test_postgres_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://soglasie:pw@127.0.0.1:5433/sales")
    config = env.env_database("DATABASE_URL", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == ("sales", "127.0.0.1", 5433, "soglasie")


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host:port/db", "postgres://127.0.0.1:5432/", "nonsense"])
def test_bad_database_url(monkeypatch, tmp_path, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.env_database("DATABASE_URL", tmp_path / "db.sqlite3")


def test_secret_key_generated_once(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = env.secret_key("SECRET_KEY", tmp_path / "secret_key")
    assert len(first) >= 50
    assert env.secret_key("SECRET_KEY", tmp_path / "secret_key") == first
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env.secret_key("SECRET_KEY", tmp_path / "secret_key")


def test_the_secret_key_file_is_private_from_its_creation(monkeypatch, tmp_path):
    """Mode 600 as it is created, not made so afterwards: with every chmod doing nothing (a file
    system that ignores it, or a crash between the write and the chmod) the file is still private."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    previous = os.umask(0o022)
    try:
        key = env.secret_key("SECRET_KEY", tmp_path / "secret_key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_processes_starting_together_share_one_secret_key(monkeypatch, tmp_path):
    """gunicorn's workers and the background worker start at once: they must agree on the key."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    start = threading.Barrier(12)
    keys: list[str] = []

    def read_key() -> None:
        start.wait()
        keys.append(env.secret_key("SECRET_KEY", tmp_path / "var" / "secret_key"))

    threads = [threading.Thread(target=read_key) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 12 and len(set(keys)) == 1
    assert [path.name for path in (tmp_path / "var").iterdir()] == ["secret_key"]


@pytest.mark.parametrize(("name", "value"), [("DATABASE_URL", "postgres://h:notaport/db"), ("PORT", "eighty")])
def test_manage_py_says_one_sentence_without_traceback(tmp_path, manage_py, name, value):
    environment = {**os.environ, name: value, "SOGLASIE_VAR_DIR": str(tmp_path)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    result = manage_py("check", env=environment)
    assert result.returncode != 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_times_are_utc_shown_in_moscow_and_russian_first(settings):
    assert settings.USE_TZ and settings.TIME_ZONE == "Europe/Moscow"
    assert settings.LANGUAGE_CODE == "ru"
    assert [code for code, _ in settings.LANGUAGES] == ["ru", "en"]
    assert (ROOT / "locale/en/LC_MESSAGES/django.mo").exists()
