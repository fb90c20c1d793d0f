"""Backups you can restore: one archive with the database and the stored files, and its manifest.

The archive (``tar.gz``) holds

- ``database.sqlite3`` (SQLite: a consistent copy made with SQLite's online backup API while the
  web server and the worker keep writing) or ``database.pgdump`` (PostgreSQL: ``pg_dump
  --format=custom`` in one snapshot, the same snapshot the manifest's migrations are read in);
- ``files/``: everything in the folder of the ``files`` storage (the stored files);
- ``manifest.json`` last: the format, the Soglasie version, the time, the database's vendor and
  applied migrations, and the SHA-256 and size of every other member.

A restore goes into an empty database only (:func:`data_present`), refuses an archive whose sums
do not match or whose migrations the code does not know (a newer release's), and never mixes
vendors. The archive is written beside its final name and renamed when complete, mode 600: it holds
everybody's data and password hashes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from base import clock
from soglasie.health import unapplied_migrations

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Tables ``migrate`` itself fills (content types, permissions, the roles, the processes deployed
#: after it) or that say nothing about the work: a database with rows only in these is empty.
SET_UP_BY_MIGRATE = {
    "contenttypes.contenttype",
    "auth.permission",
    "org.role",
    "engine.processdefinition",
    "engine.processversion",
    "engine.schedule",
    "sessions.session",
    "soglasie.workerheartbeat",
}
#: Migrations removed without ``replaces`` when migrations were folded into one per app (commit
#: 7d300fa): they changed only Python-side defaults, so a database of the release before lists them
#: as applied with the very schema of today's. They are older than the code, not newer.
RETIRED_MIGRATIONS = {
    "analytics.0002_clock_defaults",
    "api.0002_clock_defaults",
    "crm.0002_clock_defaults",
    "engine.0004_clock_defaults",
    "notify.0003_clock_defaults",
    "tasks.0002_clock_defaults",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one sentence."""


@dataclass
class Summary:
    """What ``backup`` wrote, for its one line of output."""

    path: Path
    vendor: str
    files: int
    size: int
    migrations: int


def version() -> str:
    """The installed Soglasie's version, written into the manifest so a restore can name it."""
    try:
        return importlib.metadata.version("soglasie")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def files_root() -> Path | None:
    """Where the stored files live: the folder of the ``files`` storage (``SOGLASIE_VAR_DIR/files``
    by default). None when they are kept in an S3-compatible store (``FILES_STORAGE=s3``), which
    keeps copies of its own: the archive then holds the database alone."""
    try:
        return Path(storages["files"].path(""))
    except NotImplementedError:
        return None


def vendor(alias: str = DEFAULT_DB_ALIAS) -> str:
    """``sqlite`` or ``postgresql``: the two databases a backup knows how to copy consistently."""
    name = connections[alias].vendor
    if name not in MEMBERS:
        raise BackupError(
            _("Резервное копирование поддерживает SQLite и PostgreSQL, а не %(vendor)s.") % {"vendor": name}
        )
    return name


def pg_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``, or a sentence saying what to install."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "Не найдена программа %(tool)s: установите клиент PostgreSQL (в Debian — пакет "
                "postgresql-client) той же или более новой версии, что и сервер."
            )
            % {"tool": name}
        )
    return found


def _pg_arguments(alias: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments of the Django database for the PostgreSQL client tools."""
    s = connections[alias].settings_dict
    arguments = ["--dbname", s["NAME"]]
    if s.get("HOST"):
        arguments += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        arguments += ["--port", str(s["PORT"])]
    if s.get("USER"):
        arguments += ["--username", str(s["USER"])]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    if s.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(s["OPTIONS"]["sslmode"])
    return arguments, env


def _failed(tool: str, errors: str) -> BackupError:
    return BackupError(_("%(tool)s завершился с ошибкой: %(error)s") % {"tool": tool, "error": errors.strip()[-2000:]})


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise _failed(Path(command[0]).name, done.stderr)


class _Hashing:
    """A file read through: counts and hashes what ``tarfile`` reads from it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- backup


def _snapshot_sqlite(alias: str, target: Path) -> list[str]:
    connection = connections[alias]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        applied = copy.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    finally:
        copy.close()
    return [f"{app}.{name}" for app, name in applied]


def _snapshot_postgresql(alias: str, target: Path) -> list[str]:
    pg_dump = pg_tool("pg_dump")
    arguments, env = _pg_arguments(alias)
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # The migrations are read in the very snapshot pg_dump dumps.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        applied = cursor.fetchall()
        options = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        _run([pg_dump, *arguments, *options, "--file", str(target)], env)
    return [f"{app}.{name}" for app, name in applied]


def _stored_files() -> Iterator[tuple[Path, str]]:
    root = files_root()
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, f"{FILES}/{path.relative_to(root).as_posix()}"


def _add(archive: tarfile.TarFile, path: Path, name: str, sums: dict[str, dict[str, Any]]) -> None:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as raw:
        reader = _Hashing(raw)
        try:
            archive.addfile(info, reader)
        except OSError:  # tarfile's "unexpected end of data": the file shrank while it was read
            reader.size = -1
    if reader.size != info.size:
        raise BackupError(_("Файл %(name)s изменился во время копирования; повторите.") % {"name": name})
    sums[name] = {"sha256": reader.sha256.hexdigest(), "size": reader.size}


def backup(path: Path, alias: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write the archive at ``path`` (which must not exist yet)."""
    path = Path(path)
    if path.exists():
        raise BackupError(_("%(path)s уже существует: укажите новое имя.") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("Нет папки %(folder)s.") % {"folder": path.parent})
    kind = vendor(alias)
    member = MEMBERS[kind]
    sums: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as work:
        snapshot = Path(work) / member
        applied = (_snapshot_sqlite if kind == "sqlite" else _snapshot_postgresql)(alias, snapshot)
        partial = Path(work) / "archive.tar.gz"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as archive:
            _add(archive, snapshot, member, sums)
            files = 0
            for stored, name in _stored_files():
                _add(archive, stored, name, sums)
                files += 1
            manifest = {
                "format": FORMAT,
                "soglasie": version(),
                "created_at": clock.now().isoformat(),
                "database": {"vendor": kind, "member": member},
                "migrations": applied,
                "members": sums,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(clock.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    return Summary(path=path, vendor=kind, files=files, size=path.stat().st_size, migrations=len(applied))


# --------------------------------------------------------------------------- restore


def data_present(alias: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows in the tables that hold work or people (``{"org.employee": 9, …}``): a restore needs none.

    A database without tables, or one ``migrate`` has just made (it fills :data:`SET_UP_BY_MIGRATE`),
    is empty."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    found = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SET_UP_BY_MIGRATE or model._meta.db_table not in tables or not model._meta.managed:
            continue
        count = model._default_manager.using(alias).count()
        if count:
            found[label] = count
    return found


def known_migrations() -> set[str]:
    """Every migration this code knows: its files, the ones a squash replaced, the retired ones."""
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations} | RETIRED_MIGRATIONS
    for migration in loader.disk_migrations.values():
        known.update(f"{app}.{name}" for app, name in migration.replaces)
    return known


@dataclass
class Restored:
    """What ``restore`` brought back; ``unapplied`` are the code's migrations the archive lacks."""

    vendor: str
    files: int
    created_at: str
    soglasie: str
    unapplied: list[str]


def _read(path: Path, work: Path) -> dict[str, Any]:
    """Unpack the archive into ``work`` and check it against its manifest; returns the manifest."""
    if not path.is_file():
        raise BackupError(_("Нет файла %(path)s.") % {"path": path})
    try:
        with tarfile.open(path, mode="r:*") as archive:
            archive.extractall(work, filter="data")  # no absolute paths, no "..", no links out
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(
            _("%(path)s — не архив резервной копии Soglasie (%(error)s).") % {"path": path, "error": error}
        ) from None
    try:
        manifest = json.loads((work / MANIFEST).read_text())
        members: dict[str, dict[str, Any]] = dict(manifest["members"])
        readable = isinstance(manifest["database"]["vendor"], str) and isinstance(manifest["migrations"], list)
    except (OSError, ValueError, KeyError, TypeError):
        readable = False
    if not readable:
        raise BackupError(_("В архиве %(path)s нет описания (manifest.json) или оно повреждено.") % {"path": path})
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("Архив записан в формате %(format)s, а этот Soglasie читает формат %(ours)s.")
            % {"format": manifest.get("format"), "ours": FORMAT}
        )
    present = {p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(members):
        odd = sorted(present ^ set(members))
        raise BackupError(
            _("Содержимое архива не совпадает с его описанием: %(names)s.") % {"names": ", ".join(odd[:5])}
        )
    for name, expected in sorted(members.items()):
        member = work / name
        if member.stat().st_size != expected.get("size") or sha256_of(member) != expected.get("sha256"):
            raise BackupError(_("Контрольная сумма %(name)s не совпадает: архив повреждён.") % {"name": name})
    return manifest


def restore(path: Path, alias: str = DEFAULT_DB_ALIAS) -> Restored:
    """Restore the archive at ``path`` into this (empty) database and files folder."""
    path = Path(path)
    kind = vendor(alias)
    present = data_present(alias)
    if present:
        rows = ", ".join(f"{label}: {count}" for label, count in sorted(present.items())[:5])
        raise BackupError(
            _("В базе уже есть данные (%(rows)s): восстановление возможно только в пустую базу.") % {"rows": rows}
        )
    root = files_root()
    if root is not None and root.is_dir() and any(root.iterdir()):
        raise BackupError(_("В папке файлов %(folder)s уже что-то есть: нужна пустая.") % {"folder": root})
    with tempfile.TemporaryDirectory(prefix="soglasie-restore-") as folder:
        work = Path(folder)
        manifest = _read(path, work)
        if manifest["database"]["vendor"] != kind:
            raise BackupError(
                _("Архив сделан из базы %(theirs)s, а эта база — %(ours)s: восстановите в базу того же вида.")
                % {"theirs": manifest["database"]["vendor"], "ours": kind}
            )
        unknown = sorted(set(manifest["migrations"]) - known_migrations())
        if unknown:
            raise BackupError(
                _(
                    "Архив сделан более новой версией Soglasie (%(version)s): этот код не знает миграций "
                    "%(names)s. Обновите код и повторите."
                )
                % {"version": manifest.get("soglasie"), "names": ", ".join(unknown[:5])}
            )
        if manifest["database"].get("member") != MEMBERS[kind]:
            raise BackupError(_("В архиве %(path)s нет копии базы данных.") % {"path": path})
        snapshot = work / MEMBERS[kind]
        if kind == "sqlite":
            _restore_sqlite(alias, snapshot)
        else:
            _restore_postgresql(alias, snapshot)
        files = 0
        stored = work / FILES
        if stored.is_dir() and root is not None:
            for source in sorted(stored.rglob("*")):
                if source.is_file():
                    target = root / source.relative_to(stored)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
                    files += 1
    return Restored(
        vendor=kind,
        files=files,
        created_at=manifest.get("created_at", ""),
        soglasie=manifest.get("soglasie", ""),
        unapplied=unapplied_migrations(alias),
    )


def _restore_sqlite(alias: str, snapshot: Path) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    source = sqlite3.connect(snapshot)
    try:
        source.backup(connection.connection)  # replaces every page of the (empty) database
    finally:
        source.close()
    connection.close()


def _restore_postgresql(alias: str, snapshot: Path) -> None:
    """``pg_restore``'s SQL through ``psql`` in one transaction, after dropping the tables ``migrate``
    may have made (they are empty: :func:`data_present`): a restore that fails changes nothing."""
    pg_restore, psql = pg_tool("pg_restore"), pg_tool("psql")
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    connection.close()
    prefix = "".join(f"DROP TABLE IF EXISTS {connection.ops.quote_name(t)} CASCADE;\n" for t in tables)
    arguments, env = _pg_arguments(alias)
    # Errors go to files, not pipes: a full pipe nobody reads would stall the other process.
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as apply_errors:
        restore_sql = subprocess.Popen(  # noqa: S603  (the tools found on PATH, our own arguments)
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(snapshot)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        apply = subprocess.Popen(  # noqa: S603
            [psql, *arguments, "--quiet", "--no-psqlrc", "--single-transaction", "--set=ON_ERROR_STOP=1", "--file=-"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=apply_errors,
        )
        assert restore_sql.stdout is not None and apply.stdin is not None
        try:
            apply.stdin.write(prefix.encode())
            shutil.copyfileobj(restore_sql.stdout, apply.stdin)
        except BrokenPipeError:
            pass  # psql stopped at an error: its message follows
        finally:
            apply.stdin.close()
            restore_sql.stdout.close()
        for tool, process, errors in (("psql", apply, apply_errors), ("pg_restore", restore_sql, restore_errors)):
            if process.wait() != 0:
                errors.seek(0)
                raise _failed(tool, errors.read().decode(errors="replace"))
