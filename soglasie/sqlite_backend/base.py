"""Django's SQLite backend, with the writers taking turns before SQLite makes them wait.

SQLite lets one writer in at a time. A writer that finds the file locked is put to sleep by SQLite's
busy handler for 1, 2, 5, 10 … up to 100 ms and tries again; under load the sleepers keep missing the
moments the lock is free, and a completion that takes 10 ms of work waits half a second now and then
(``bench/http``: p99 0.5–1.2 s at 4–8 clients, with 2 × 4 and even with 1 × 8 gunicorn threads).

Here a writer first takes its turn, held from ``BEGIN IMMEDIATE`` to the commit or the rollback:
the threads of a process queue on a lock of the process (woken in turn, no sleeping), and the
processes that share the file (the web server's, the worker) on an ``flock`` of ``<file>.lock``
beside it, tried every millisecond. A process that dies loses its ``flock`` with it.

The turn is waited for at most as long as SQLite would wait (the connection's ``timeout``); after
that the transaction begins anyway and SQLite decides, as without this module. An in-memory
database (the test suite's) has only the lock of the process.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

_turns: dict[str, threading.Lock] = {}
_turns_lock = threading.Lock()
#: How often a writer of another process looks whether the file's turn is free.
POLL = 0.001


def _turn_of(name: str) -> threading.Lock:
    with _turns_lock:
        return _turns.setdefault(name, threading.Lock())


def _in_memory(name: str) -> bool:
    return name == ":memory:" or "mode=memory" in name


class DatabaseWrapper(base.DatabaseWrapper):
    """``ENGINE: soglasie.sqlite_backend`` (``soglasie.env.sqlite_config``)."""

    _turn: threading.Lock | None = None
    _file_turn: int | None = None

    def _start_transaction_under_autocommit(self) -> None:
        name = str(self.settings_dict["NAME"])
        deadline = time.monotonic() + float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        turn = _turn_of(name)
        if turn.acquire(timeout=max(deadline - time.monotonic(), 0)):
            self._turn = turn
            if not _in_memory(name):
                self._file_turn = _flock(name + ".lock", deadline)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        fd, self._file_turn = self._file_turn, None
        if fd is not None:
            os.close(fd)  # releases the flock
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._end_turn()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._end_turn()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._end_turn()


def _flock(path: str, deadline: float) -> int | None:
    """The file's turn (an open descriptor holding ``flock``), or None when it did not come in time."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(POLL)
