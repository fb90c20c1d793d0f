"""`make run`'s server script: serves the Russian log-in page with the worker beside it, restarts a
worker that died (with a growing delay, and says so), stops everything when the web server dies,
and a SIGTERM stops everything it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from soglasie.tests.children import ROOT, Child, free_port, wait_gone

pytestmark = pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="needs the project's .venv")


class Serve(Child):
    """``scripts/serve`` on a SQLite file of its own in ``tmp_path``."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PORT": str(self.port),
            "SOGLASIE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/run.sqlite3",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        super().__init__([str(ROOT / "scripts/serve")], env)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_until_up(self) -> str:
        """The log-in page, once gunicorn answers."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return self.get("/login/")[1]
            except OSError:
                time.sleep(0.2)  # waiting for the server to come up, not timing anything
        raise AssertionError(f"the server never answered:\n{self.output}")

    def children(self, word: str) -> list[int]:
        """The script's child processes whose command line holds ``word`` (``gunicorn``, ``manage.py worker``)."""
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False)
        pids = []
        for pid in map(int, found.stdout.split()):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                continue
            if word in command:
                pids.append(pid)
        return pids

    def wait_for_child(self, word: str, *, not_in: tuple[int, ...] = (), timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fresh = [pid for pid in self.children(word) if pid not in not_in]
            if fresh:
                return fresh[0]
            time.sleep(0.1)  # polling the process table for the condition
        raise AssertionError(f"no new {word} process:\n{self.output}")


@pytest.fixture
def serve(tmp_path) -> Iterator[Serve]:
    server = Serve(tmp_path)
    try:
        yield server
    finally:
        server.kill()


def test_serve_answers_and_stops_on_sigterm(serve):
    page = serve.wait_until_up()
    child_pids = serve.children("gunicorn") + serve.children("manage.py worker")
    serve.process.send_signal(signal.SIGTERM)
    serve.process.wait(timeout=60)
    assert "Вход в Soglasie" in page
    assert f"http://127.0.0.1:{serve.port}" in serve.output and "manager1" in serve.output
    assert len(child_pids) >= 2  # gunicorn and the worker
    assert wait_gone(child_pids)


def test_a_dead_worker_is_restarted_with_a_growing_delay_and_the_web_server_dying_stops_everything(serve):
    serve.wait_until_up()
    web = serve.wait_for_child("gunicorn")
    first = serve.wait_for_child("manage.py worker")

    os.kill(first, signal.SIGKILL)
    serve.wait_for_line("перезапуск через 1 с")
    second = serve.wait_for_child("manage.py worker", not_in=(first,))
    assert "Вход в Soglasie" in serve.get("/login/")[1]  # the web server never stopped
    assert serve.children("gunicorn") == [web]

    os.kill(second, signal.SIGKILL)
    serve.wait_for_line("перезапуск через 2 с")  # the delay doubles while the worker keeps dying
    third = serve.wait_for_child("manage.py worker", not_in=(first, second))
    assert "restarting it in 2 s" in serve.output and "Фоновый обработчик перезапущен." in serve.output

    # the restarted worker sweeps for real: /healthz sees its heartbeat
    deadline = time.monotonic() + 30
    while True:
        status, body = serve.get("/healthz")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # waiting for the restarted worker's first pass
    assert status == 200, body
    assert json.loads(body)["worker"] is True

    # the web server dying is another matter: everything stops, the worker too
    os.kill(web, signal.SIGKILL)
    assert serve.process.wait(timeout=60) != 0
    serve.wait_for_line("Веб-сервер остановился")
    assert wait_gone([third])
