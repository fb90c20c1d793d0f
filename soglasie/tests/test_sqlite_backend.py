"""The SQLite backend's turns (``soglasie.sqlite_backend``): writers of a process and of the processes
sharing the file go one after another, a turn ends with the commit, the rollback or the close, and
no writer waits longer than SQLite itself would."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db.utils import OperationalError

from soglasie import env
from soglasie.sqlite_backend.base import DatabaseWrapper


def _wrapper(path: Path, timeout: float = 5) -> DatabaseWrapper:
    settings = env.sqlite_config(path)
    settings["OPTIONS"]["timeout"] = timeout
    settings.update({"TIME_ZONE": None, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "CONN_MAX_AGE": 0})
    settings.setdefault("CONN_HEALTH_CHECKS", False)
    return DatabaseWrapper(settings, alias=f"turns-{id(settings)}")


def _begin_insert(w: DatabaseWrapper, value: str) -> None:
    w.ensure_connection()
    w._start_transaction_under_autocommit()
    w.cursor().execute("INSERT INTO said (what) VALUES (%s)", [value])


@pytest.fixture(autouse=True)
def _own_database(django_db_blocker):
    """These connections are to a file of the test's own, not to the suite's database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "turns.sqlite3"
    w = _wrapper(path)
    w.cursor().execute("CREATE TABLE said (id INTEGER PRIMARY KEY, what TEXT)")
    w.close()
    return path


def _said(path: Path) -> list[str]:
    w = _wrapper(path)
    rows = [r[0] for r in w.cursor().execute("SELECT what FROM said ORDER BY id").fetchall()]
    w.close()
    return rows


def test_a_second_writer_waits_for_the_first_to_commit_and_then_goes_in(path):
    first = _wrapper(path)
    _begin_insert(first, "first")
    assert Path(f"{path}.lock").exists()
    done = threading.Event()

    def write_second() -> None:  # a wrapper belongs to the thread that made it
        second = _wrapper(path)
        _begin_insert(second, "second")
        second.commit()
        second.close()
        done.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    assert not done.wait(0.3)  # queued behind the first, not failing
    first.commit()
    assert done.wait(5)
    thread.join()
    first.close()
    assert _said(path) == ["first", "second"]


def test_a_turn_ends_with_a_rollback_and_with_a_close(path):
    first = _wrapper(path)
    _begin_insert(first, "rolled back")
    first.rollback()
    second = _wrapper(path)
    _begin_insert(second, "kept")
    second.close()  # closed in the middle of its transaction: nothing kept, the turn free
    third = _wrapper(path, timeout=1)
    started = time.monotonic()
    _begin_insert(third, "third")
    third.commit()
    third.close()
    first.close()
    assert time.monotonic() - started < 1 and _said(path) == ["third"]


def test_no_writer_waits_longer_than_sqlite_would(path):
    holder = _wrapper(path)
    _begin_insert(holder, "held")
    errors: list[BaseException] = []

    def write_late() -> None:
        late = _wrapper(path, timeout=0.3)
        try:
            _begin_insert(late, "late")
        except OperationalError as error:  # "database is locked", as without the turns
            errors.append(error)
        finally:
            late.close()

    thread = threading.Thread(target=write_late)
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and len(errors) == 1 and "locked" in str(errors[0])
    holder.commit()
    holder.close()
    assert _said(path) == ["held"]
