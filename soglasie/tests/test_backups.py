"""``backup`` and ``restore``: a busy installation backed up while it runs comes back row for row and
file for file in a fresh directory and database; a restore refuses a database with data, an archive
whose sums do not match, one from a newer release and one of the other database kind."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from engine import actions
from engine.models import Assignment, History, Instance
from files.services import store
from notify.models import Notification
from soglasie.backups import MANIFEST, data_present
from tasks.models import Task
from tasks.services import create_task

ROOT = Path(__file__).resolve().parents[2]

# pg_dump sees only committed rows, and a SQLite snapshot is taken outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


STORED = {
    "2027/01/Договор поставки № 17.pdf": b"%PDF-1.7 " + bytes(range(256)) * 4000,
    "2027/01/акт.txt": "Акт сверки за январь\n".encode(),
    "readme": b"",
}


def files_folder(settings: Any, folder: Path) -> Path:
    """Keep the stored files in ``folder`` (the ``files`` storage), as a fresh installation would."""
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}},
    }
    return folder


def write_stored_files(folder: Path) -> None:
    for name, data in STORED.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


@pytest.fixture
def busy(demo, processes, settings, tmp_path) -> dict[str, Any]:
    """The demo company at work: instances finished and running, assignments open and done, their
    history, plain tasks, notifications, the demo's companies, and stored files."""
    write_stored_files(files_folder(settings, tmp_path / "source-files"))
    store(b"%PDF-1.7 signed agreement", by=demo["manager1"], name="Соглашение о бонусе.pdf")
    manager, head, director = (demo[name].user for name in ("manager1", "sales_head", "director"))
    done = actions.start("t_approval", by=manager, variables={"quarter": "2027-Q1"})
    attach = done.assignments.get()
    actions.complete(attach.pk, by=head, data={"document_url": "https://docs.example.com/q1"})
    approve = done.assignments.get(key="approve_doc")
    actions.complete(approve.pk, by=director, data={"decision": "approve"})
    actions.start("t_approval", by=manager, variables={"quarter": "2027-Q2"})
    parallel = actions.start("t_parallel", by=manager)
    actions.complete(parallel.assignments.get(key="left").pk, by=demo["sales_admin"].user, data={})
    actions.start("t_task_step", by=manager)
    create_task(title="Позвонить в «Альфу»", responsible=demo["manager2"], created_by=demo["sales_head"])
    counts = {
        "finished": Instance.objects.filter(status="finished").count(),
        "running": Instance.objects.filter(status="running").count(),
        "open": Assignment.objects.filter(status="open").count(),
        "done": Assignment.objects.filter(status="done").count(),
        "tasks": Task.objects.count(),
        "history": History.objects.count(),
        "notifications": Notification.objects.count(),
    }
    assert all(counts.values()), counts
    return counts


def dump(output: str) -> list[dict[str, Any]]:
    return sorted(json.loads(output), key=lambda row: (row["model"], str(row["pk"])))


@pytest.fixture
def fresh(tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a new installation: a directory of its own and an empty database
    (SQLite: a file not yet there; PostgreSQL: a new database, dropped afterwards)."""
    folder = tmp_path / "restored"
    env = {**os.environ, "SOGLASIE_VAR_DIR": str(folder)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if connection.vendor != "postgresql":
        env["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
        yield env
        return
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_restored"
    params = {"host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432, "user": s["USER"], "dbname": "postgres"}
    if s.get("PASSWORD"):
        params["password"] = s["PASSWORD"]
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    env["DATABASE_URL"] = f"postgres://{s['USER']}{password}@{params['host']}:{params['port']}/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("migrated_first", [False, True], ids=["new database", "migrated database"])
def test_a_busy_installation_comes_back_row_for_row_and_file_for_file(busy, fresh, tmp_path, migrated_first):
    archive = tmp_path / "backup.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "Резервная копия записана" in out.getvalue()
    assert archive.stat().st_mode & 0o777 == 0o600
    source = io.StringIO()
    call_command("dumpdata", stdout=source)

    if migrated_first:
        assert manage("migrate", "-v0", env=fresh).returncode == 0
    restored = manage("restore", str(archive), env=fresh)
    assert restored.returncode == 0, restored.stderr
    assert "Восстановлено" in restored.stdout and "migrate" not in restored.stdout  # same code, nothing to apply

    copy = manage("dumpdata", env=fresh)
    assert copy.returncode == 0, copy.stderr
    rows = dump(copy.stdout)
    assert rows == dump(source.getvalue())  # every instance, assignment, history entry, card, task, notice
    models = {row["model"] for row in rows}
    assert {"engine.instance", "engine.assignment", "engine.history", "crm.company", "tasks.task"} <= models
    files = Path(fresh["SOGLASIE_VAR_DIR"]) / "files"
    copied = {p.relative_to(files).as_posix(): p.read_bytes() for p in files.rglob("*") if p.is_file()}
    assert {name: data for name, data in copied.items() if name in STORED} == STORED
    verified = manage("verify_files", env=fresh)  # the uploaded file's row and bytes came back together
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # the restored installation keeps working: new rows get new ids (sequences came along)
    more = manage(
        "shell",
        "-v0",
        "-c",
        "from django.contrib.auth.models import User; from engine import actions; "
        "i = actions.start('t_approval', by=User.objects.get(username='manager1'), variables={'quarter': '2027-Q3'}); "
        "print(i.pk)",
        env=fresh,
    )
    assert more.returncode == 0, more.stderr
    assert int(more.stdout.split()[-1]) > max(Instance.objects.values_list("pk", flat=True))


@pytest.fixture
def archive(db, settings, tmp_path) -> Path:
    """The backup of a database just migrated, with the stored files; afterwards the files storage
    points at an empty folder, so that a restore here finds an empty installation."""
    write_stored_files(files_folder(settings, tmp_path / "source-files"))
    path = tmp_path / "backup.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    files_folder(settings, tmp_path / "restored-files")
    return path


def rewrite(archive: Path, *, manifest: Any = None, damage: str | None = None) -> Path:
    """A copy of ``archive`` with its manifest changed by ``manifest(dict)`` or one byte of the
    member ``damage`` flipped (its recorded sum left as it was)."""
    target = archive.with_name(f"changed-{archive.name}")
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == MANIFEST and manifest is not None:
                described = json.loads(data)
                manifest(described)
                data = json.dumps(described).encode()
            if member.name == damage:
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def refused(path: Path, settings: Any) -> str:
    """The sentence ``restore`` refuses ``path`` with; nothing was restored."""
    with pytest.raises(CommandError) as refusal:
        call_command("restore", str(path), stdout=io.StringIO())
    assert data_present() == {}
    assert not Path(settings.STORAGES["files"]["OPTIONS"]["location"]).exists()
    return str(refusal.value)


DATABASE_MEMBER = "database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3"


@pytest.mark.parametrize("member", [DATABASE_MEMBER, "files/2027/01/Договор поставки № 17.pdf"])
def test_a_damaged_archive_is_refused(archive, settings, member):
    assert f"Контрольная сумма {member} не совпадает" in refused(rewrite(archive, damage=member), settings)


def test_an_archive_from_a_newer_release_is_refused(archive, settings):
    newer = rewrite(archive, manifest=lambda m: m["migrations"].append("engine.0099_from_the_future"))
    message = refused(newer, settings)
    assert "более новой версией" in message and "engine.0099_from_the_future" in message


def test_an_archive_of_the_release_before_the_squash_is_restored(archive, fresh):
    """That release's databases list six migrations the code no longer has (``RETIRED_MIGRATIONS``)."""
    retired = ["crm.0002_clock_defaults", "engine.0004_clock_defaults"]
    older = rewrite(archive, manifest=lambda m: m["migrations"].extend(retired))
    result = manage("restore", str(older), env=fresh)
    assert result.returncode == 0, result.stderr


def test_an_archive_of_the_other_database_kind_is_refused(archive, settings):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"

    def claim(manifest: dict[str, Any]) -> None:
        manifest["database"]["vendor"] = other

    assert f"из базы {other}" in refused(rewrite(archive, manifest=claim), settings)


def test_what_is_not_an_archive_is_refused(archive, settings, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar at all")
    assert "не архив резервной копии" in refused(junk, settings)
    assert "Нет файла" in refused(tmp_path / "missing.tar.gz", settings)


def test_a_refusal_from_the_shell_is_one_sentence(archive, fresh):
    result = manage("restore", str(rewrite(archive, damage=DATABASE_MEMBER)), env=fresh)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "архив повреждён" in result.stderr


def test_a_database_with_data_is_never_overwritten(busy, tmp_path, settings):
    call_command("backup", str(tmp_path / "backup.tar.gz"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="уже есть данные"):
        call_command("restore", str(tmp_path / "backup.tar.gz"))
    assert Instance.objects.filter(status="running").count() == busy["running"]


def test_an_existing_backup_is_never_overwritten(archive):
    before = archive.read_bytes()
    with pytest.raises(CommandError, match="уже существует"):
        call_command("backup", str(archive))
    assert archive.read_bytes() == before


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
def test_without_pg_dump_the_backup_says_what_to_install(db, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH where no pg_dump lives
    with pytest.raises(CommandError, match=r"pg_dump.*postgresql-client"):
        call_command("backup", str(tmp_path / "backup.tar.gz"))
    assert not (tmp_path / "backup.tar.gz").exists()
