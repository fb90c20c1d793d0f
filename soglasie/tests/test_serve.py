"""`make run`'s server script: serves the Russian log-in page with the worker beside it, and a
SIGTERM stops everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="needs the project's .venv")
def test_serve_answers_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SOGLASIE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/run.sqlite3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [str(ROOT / "scripts/serve")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    page = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
                    page = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)  # waiting for the server to come up, not timing anything
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False)
        child_pids = [int(p) for p in children.stdout.split()]
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert "Вход в Soglasie" in page
    assert f"http://127.0.0.1:{port}" in output and "manager1" in output
    assert len(child_pids) >= 2  # gunicorn and the worker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(pid) for pid in child_pids):
        time.sleep(0.2)
    assert not any(alive(pid) for pid in child_pids)
