"""Small helpers that read settings from the environment.

Each helper raises ``ImproperlyConfigured`` naming the variable when its value cannot be used, so a
typo in the environment stops the process with one clear sentence instead of a traceback deep in
Django.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value, stripped, or ``default`` when it is unset."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer, optionally within ``[minimum, maximum]``."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, sqlite_path: Path) -> dict[str, Any]:
    """The ``DATABASES['default']`` entry: SQLite under ``var/`` unless ``name`` holds a URL.

    SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` transactions so that the web
    server and the worker can both write without "database is locked" errors.
    """
    url = env_str(name)
    if not url:
        return sqlite_config(sqlite_path)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"sqlite", "sqlite3"}:
        path = parts.path
        if parts.netloc:  # sqlite://relative/path is a mistake people make; accept it plainly
            path = parts.netloc + path
        if not path or path == "/":
            raise ImproperlyConfigured(f"{name} names no SQLite file: {url!r}.")
        return sqlite_config(Path(path))
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name} must start with postgres:// or sqlite:///; got {url!r}.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number: {url!r}.") from None
    database = parts.path.lstrip("/")
    if not parts.hostname and not database:
        raise ImproperlyConfigured(f"{name} names neither a host nor a database: {url!r}.")
    if not database:
        raise ImproperlyConfigured(f"{name} names no database: {url!r}.")
    try:
        import dj_database_url

        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:  # dj-database-url's own wording
        raise ImproperlyConfigured(f"{name} is not a valid database URL ({error}).") from None
    config["PORT"] = port or config.get("PORT") or ""
    config.setdefault("OPTIONS", {})
    config["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
    return config


def sqlite_config(path: Path) -> dict[str, Any]:
    """SQLite tuned for one web process and one worker writing at the same time.

    Connections are kept between requests (each gunicorn thread has its own): opening one and
    running the pragmas below cost more than a short API request's own queries (bench/http).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "soglasie.sqlite_backend",
        "NAME": str(path),
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        # The suite's database in memory, as Django makes it for its own SQLite backend (said here:
        # tools that look for that backend's name, pytest-django's, do not recognise ours).
        "TEST": {"NAME": ":memory:"},
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def secret_key(name: str, store: Path) -> str:
    """``SECRET_KEY`` from the environment, else one generated once and kept in ``store``.

    Generating it (rather than shipping a development default) means ``make run`` never runs with a
    key anyone could read in the repository, and sessions survive restarts.

    The file is private from its first byte: written to a temporary file that ``mkstemp`` creates
    with mode 600 (never written first and made private after), then linked into place, which
    fails if another process (a second gunicorn worker, the background worker) got there first;
    then everyone uses that process's key.
    """
    value = env_str(name)
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name} is too short: use at least 32 characters.")
        return value
    store.parent.mkdir(parents=True, exist_ok=True)
    if store.exists() and (stored := store.read_text().strip()):
        return stored
    value = secrets.token_urlsafe(50)
    descriptor, temporary = tempfile.mkstemp(dir=store.parent, prefix=f".{store.name}.")
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    try:
        os.link(temporary, store)
    except FileExistsError:
        if stored := store.read_text().strip():
            value = stored
        else:  # an empty file left by hand: replace it, atomically
            os.replace(temporary, store)
            return value
    os.unlink(temporary)
    return value


#: ``FILES_STORAGE`` values: where stored files (``files/``) keep their bytes.
FILE_STORAGES = ("local", "s3")


def env_files_storage(name: str, location: Path) -> dict[str, Any]:
    """The ``STORAGES['files']`` entry: a directory on this machine, or an S3-compatible bucket.

    ``local`` (the default) keeps the bytes under ``location``; ``s3`` hands them to django-storages
    (the optional ``soglasie[s3]`` extra), so several web machines share one store. Only the
    bucket is required there: without ``FILES_S3_ACCESS_KEY_ID`` the usual AWS chain (instance role,
    ``AWS_*`` variables) applies. Objects are private and never overwritten (each upload has a
    random name of its own).
    """
    kind = env_str(name, "local").lower() or "local"
    if kind not in FILE_STORAGES:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(FILE_STORAGES)}; got {kind!r}.")
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}}
    bucket = env_str("FILES_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured(f"{name}=s3 needs FILES_S3_BUCKET, the bucket's name.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": env_str("FILES_S3_PREFIX"),
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }
    optional = {
        "endpoint_url": "FILES_S3_ENDPOINT_URL",
        "region_name": "FILES_S3_REGION",
        "access_key": "FILES_S3_ACCESS_KEY_ID",
        "secret_key": "FILES_S3_SECRET_ACCESS_KEY",
    }
    options.update({option: env_str(variable) for option, variable in optional.items() if env_str(variable)})
    if urlsplit(options.get("endpoint_url", "https://")).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"FILES_S3_ENDPOINT_URL must start with https:// or http://; got {options['endpoint_url']!r}."
        )
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
