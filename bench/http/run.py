"""Benchmark: the four-step approval walked over the REST API of a real gunicorn, from outside.

Run: ``.venv/bin/python bench/http/run.py [--clients 1,4,8] [--seconds 10] [--database-url URL]``

What ``make run`` starts, on a database of its own: a fresh SQLite file in a temporary directory, or,
with ``--database-url`` a PostgreSQL admin URL, a fresh database next to it that is dropped at the
end. Migrate, the demo company, ``bench/engine/four_step_approval.bpmn`` deployed, API tokens for the
five people the steps need, then gunicorn with ``soglasie/gunicorn.conf.py`` (the settings of
``scripts/serve``; ``WEB_WORKERS`` / ``WEB_THREADS`` in the environment try another worker model),
listening on loopback only. Not started: the background worker (it serves no HTTP) and
``collectstatic`` (the API serves no static file).

Each client is a thread with one keep-alive connection and tokens of its own (so the per-token
rate limit counts as it would for separate programs). It walks instances of its own: start one, then
for each step list the caller's open assignment of that instance (``GET /assignments?assignee=me
&status=open&instance=…``) and complete it. For 1, 4 and 8 clients at once (``--clients``) it
prints completions and requests per second, the median, p95 and p99 of ``POST …/complete``, the
server's CPU per completion (gunicorn's master and workers, from /proc) and every answer that was
not 2xx with its body. Before the runs it times an authenticated trivial ``GET
/api/v1/notifications?limit=1`` alone on the server. The client runs on the same machine: its own CPU
per completion is printed too, to read the server's figures against.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.analytics.run import fresh_database  # noqa: E402
from bench.machine import cpu_model  # noqa: E402

BPMN = ROOT / "bench" / "engine" / "four_step_approval.bpmn"
PROCESS = "bench_approval"
STARTER = "manager1"
STEPS = [
    ("prepare", "sales_admin", {"document_url": "https://docs.example.com/contract"}),
    ("head_approval", "sales_head", {"decision": "approve"}),
    ("finance_approval", "findir", {"decision": "approve"}),
    ("director_approval", "director", {"decision": "approve"}),
]
USERS = sorted({STARTER} | {actor for _key, actor, _data in STEPS})
TRIVIAL = "/api/v1/notifications?limit=1"
TIMEOUT = 30.0  # seconds for one answer: a server that takes longer is broken, not slow


# --------------------------------------------------------------------------- the server


def prepare(database_url: str, workdir: Path, clients: int) -> dict[int, dict[str, str]]:
    """Migrate, seed, deploy the bench process; return tokens per client and username.

    Done in this process (Django set up on the same environment the server gets), and the
    connections closed before gunicorn starts.
    """
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from api.models import ApiToken
    from engine.definitions import deploy

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", verbosity=0, stdout=quiet)
    deploy(BPMN.read_bytes(), filename=BPMN.name)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    tokens = {
        client: {name: ApiToken.issue(users[name], f"bench-http-{client}")[1] for name in USERS}
        for client in range(clients + 1)  # one more for the trivial GET
    }
    connections.close_all()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--config", str(ROOT / "soglasie" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def wait_ready(port: int, token: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            client = Client(port, token)
            status, _body = client.call("GET", "/api/v1/me")
            client.close()
            if status == 200:
                time.sleep(0.5)  # every worker up, not just the first
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within a minute")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's master and its live workers (threads included)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        pid, parent = int(entry.name), int(fields[1])
        if pid == master or parent == master:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


# --------------------------------------------------------------------------- the clients


class Client:
    """One keep-alive connection to the server, one token per username."""

    def __init__(self, port: int, token: str | dict[str, str]) -> None:
        self.port = port
        self.tokens = token if isinstance(token, dict) else {"": token}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.reconnects = 0

    def call(self, method: str, path: str, body: Any = None, *, user: str = "") -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection just as we sent: once more, anew.
                self.connection.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


@dataclass
class Tally:
    completions: int = 0
    requests: int = 0
    complete_ms: list[float] = field(default_factory=list)
    failures: Counter[tuple[str, int]] = field(default_factory=Counter)
    bodies: dict[tuple[str, int], str] = field(default_factory=dict)
    reconnects: int = 0

    def refuse(self, what: str, status: int, body: bytes) -> None:
        self.failures[(what, status)] += 1
        self.bodies.setdefault((what, status), body.decode(errors="replace")[:400])


def walk(client: Client, until: float, tally: Tally, stop: threading.Event) -> None:
    """Instances of this client's own, one after the other, until ``until`` (monotonic)."""
    while time.monotonic() < until and not stop.is_set():
        status, body = client.call("POST", f"/api/v1/processes/{PROCESS}/start", {"variables": {}}, user=STARTER)
        tally.requests += 1
        if status != 201:
            tally.refuse("POST /processes/{key}/start", status, body)
            continue
        instance = json.loads(body)["id"]
        for _key, actor, data in STEPS:
            query = f"/api/v1/assignments?assignee=me&status=open&instance={instance}"
            status, body = client.call("GET", query, user=actor)
            tally.requests += 1
            items = json.loads(body)["items"] if status == 200 else []
            if not items:
                tally.refuse("GET /assignments", status, body)
                break
            began = time.perf_counter()
            path = f"/api/v1/assignments/{items[0]['id']}/complete"
            status, body = client.call("POST", path, {"data": data}, user=actor)
            elapsed = (time.perf_counter() - began) * 1000
            tally.requests += 1
            if status != 200:
                tally.refuse("POST /assignments/{id}/complete", status, body)
                break
            tally.completions += 1
            tally.complete_ms.append(elapsed)
    tally.reconnects = client.reconnects


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value below which ``share`` of the values lie."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def trivial_get(port: int, token: str, count: int = 300) -> float:
    """Median milliseconds of the trivial authenticated GET, alone on the server."""
    client = Client(port, token)
    times = []
    for index in range(count + 50):
        began = time.perf_counter()
        status, body = client.call("GET", TRIVIAL)
        if status != 200:
            raise SystemExit(f"GET {TRIVIAL} answered {status}: {body[:300]!r}")
        if index >= 50:  # the first ones warm the workers
            times.append((time.perf_counter() - began) * 1000)
    client.close()
    return statistics.median(times)


def level(port: int, tokens: dict[int, dict[str, str]], clients: int, seconds: float, master: int) -> dict[str, Any]:
    """``clients`` walking at once for ``seconds`` after one second of warm-up (not counted)."""
    stop = threading.Event()
    warm = [Tally() for _ in range(clients)]
    connections = [Client(port, tokens[index]) for index in range(clients)]
    threads = [
        threading.Thread(target=walk, args=(c, time.monotonic() + 1.0, t, stop), daemon=True)
        for c, t in zip(connections, warm, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tallies = [Tally() for _ in range(clients)]
    cpu_before, own_before = server_cpu_seconds(master), time.process_time()
    began = time.monotonic()
    until = began + seconds
    threads = [
        threading.Thread(target=walk, args=(c, until, t, stop), daemon=True)
        for c, t in zip(connections, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(seconds + 2 * TIMEOUT)
    finally:
        stop.set()
    elapsed = time.monotonic() - began
    cpu, own = server_cpu_seconds(master) - cpu_before, time.process_time() - own_before
    for connection in connections:
        connection.close()
    completions = sum(t.completions for t in tallies)
    times = [ms for t in tallies for ms in t.complete_ms]
    failures: Counter[tuple[str, int]] = Counter()
    bodies: dict[tuple[str, int], str] = {}
    for tally in (*warm, *tallies):
        failures.update(tally.failures)
        for key, body in tally.bodies.items():
            bodies.setdefault(key, body)
    return {
        "clients": clients,
        "completions_per_s": completions / elapsed,
        "requests_per_s": sum(t.requests for t in tallies) / elapsed,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "server_cpu_ms": 1000 * cpu / completions if completions else float("nan"),
        "client_cpu_ms": 1000 * own / completions if completions else float("nan"),
        "failures": failures,
        "bodies": bodies,
        "reconnects": sum(t.reconnects for t in tallies),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,8", help="comma-separated numbers of clients at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per number of clients")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL; default: a temp SQLite file")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",") if n.strip()]
    if not levels or min(levels) < 1 or max(levels) > 64 or not 1 <= args.seconds <= 600:
        parser.error("--clients: 1 to 64 each; --seconds: 1 to 600")

    workdir = Path(tempfile.mkdtemp(prefix="soglasie-bench-http-"))
    database_url, drop = fresh_database(args.database_url, workdir, label="http")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SOGLASIE_VAR_DIR=str(workdir),
        DJANGO_SETTINGS_MODULE="soglasie.settings",
        LOG_LEVEL="WARNING",
    )
    env.pop("DEBUG", None)
    os.environ.update(env)
    server = None
    try:
        tokens = prepare(database_url, workdir, max(levels))
        port = free_port()
        server = start_server(env, port, workdir / "gunicorn.log")
        wait_ready(port, tokens[0][STARTER], server)
        report(args, levels, port, tokens, server.pid, database_url)
        errors = [line for line in (workdir / "gunicorn.log").read_text().splitlines() if '" 200 ' not in line]
        errors = [line for line in errors if '" 201 ' not in line]
        if errors:
            print("\nthe server's log, without the 2xx lines (first 60):", *errors[:60], sep="\n  ")
    finally:
        if server is not None:
            stop_server(server)
        drop()
        for path in sorted(workdir.glob("**/*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        workdir.rmdir()


def database_version(url: str) -> str:
    from django.db import connection

    with connection.cursor():
        pass
    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else str(connection.pg_version)
    connection.close()
    return f"{connection.vendor} {version}"


def report(
    args: argparse.Namespace, levels: list[int], port: int, tokens: dict[int, dict[str, str]], master: int, url: str
) -> None:
    workers = os.environ.get("WEB_WORKERS", "2 (default)")
    threads = os.environ.get("WEB_THREADS", "4 (default)")
    python = platform.python_version()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {python}; {database_version(url)}")
    print(f"server: gunicorn soglasie/gunicorn.conf.py, workers {workers}, threads {threads}; client on this machine")
    print(f"workload: {BPMN.name}, start + {len(STEPS)} x (list my open assignment, complete) per instance")
    print(f"authenticated GET {TRIVIAL} alone: median {trivial_get(port, tokens[max(levels)][STARTER]):.2f} ms")
    print()
    header = (
        f"{'clients':>7} {'compl/s':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'srv CPU ms/compl':>16} {'client CPU':>10} {'non-2xx':>7}"
    )
    print(header)
    rows = []
    for clients in levels:
        row = level(port, tokens, clients, args.seconds, master)
        rows.append(row)
        print(
            f"{clients:>7} {row['completions_per_s']:>8.1f} {row['requests_per_s']:>7.1f} {row['p50']:>7.1f}"
            f" {row['p95']:>7.1f} {row['p99']:>7.1f} {row['server_cpu_ms']:>16.1f} {row['client_cpu_ms']:>10.1f}"
            f" {sum(row['failures'].values()):>7}",
            flush=True,
        )
    for row in rows:
        for (what, status), count in sorted(row["failures"].items()):
            print(f"\n{row['clients']} clients: {count} x {status} from {what}: {row['bodies'][(what, status)]}")
            if status == 409:
                print("  (a 409 means the assignment was no longer open: each client walks its own instances,")
                print("   so it can only come from a request sent twice after a lost connection)")
        if row["reconnects"]:
            print(f"{row['clients']} clients: {row['reconnects']} requests sent again on a new connection")


if __name__ == "__main__":
    main()
