"""Benchmark: the department's figures over 100,000 finished instances and 1,000,000 assignments.

Run: ``.venv/bin/python bench/analytics/run.py [--database-url URL] [--instances N] [--assignments M]``

Without ``--database-url`` it works in a fresh SQLite file in a temporary directory. With a
PostgreSQL URL (an admin connection, e.g. ``postgres://postgres@127.0.0.1:5432/postgres``) it
creates a fresh database next to it, and drops it at the end. Either way: migrate, the demo
company, then bulk-generated history of the three customer processes (COPY on PostgreSQL,
``executemany`` on SQLite), then ``analytics.figures.compute()`` timed over the whole period and
over the default 90 days, with the number of queries each took. Prints what it measured and on
what (CPU, Python, database version). Target: under 2 seconds for the whole period.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402

TARGET_SECONDS = 2.0

# (key, due in hours, median duration in hours): the steps of processes.md
TRADE = {
    "select_start_recipients": (48, 3),
    "attach_base_discounts": (72, 20),
    "approve_base_discounts": (48, 10),
    "revise_base_discounts": (72, 12),
    "attach_conditions_registry": (72, 24),
    "approve_conditions_registry": (48, 10),
    "revise_conditions_registry": (72, 12),
    "select_finish_recipients": (48, 2),
}
CARD = {
    "fill_card": (48, 2),
    "manager_approval": (48, 6),
    "finance_approval": (48, 8),
    "revise_card": (48, 4),
    "rejection_reason": (48, 1),
}
BONUS = {
    "prepare_documents": (72, 30),
    "bonus_order": (72, 20),
    "send_to_clients": (120, 60),
    "attach_signed": (72, 48),
    "archive_originals": (48, 24),
    "accept_originals": (48, 24),
}
STEPS = {"trade_conditions": TRADE, "add_counterparty": CARD, "bonus_agreements": BONUS}
NAMES = {
    "trade_conditions": "Торговые условия",
    "add_counterparty": "Добавление контрагента",
    "bonus_agreements": "Бонусные соглашения",
}
MIX = (("add_counterparty", 0.40), ("trade_conditions", 0.35), ("bonus_agreements", 0.25))


# --------------------------------------------------------------------------- the fresh database


def fresh_database(url: str | None, workdir: Path, label: str = "analytics") -> tuple[str, Any]:
    """The DATABASE_URL to use and a function that removes the database afterwards (``label`` names
    it, ``soglasie_bench_<label>_<pid>``, so two benchmarks never share one)."""
    if not url:
        path = workdir / "bench.sqlite3"
        return f"sqlite:///{path}", lambda: None
    import psycopg

    name = f"soglasie_bench_{label}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    fresh = urlunsplit(parts._replace(path=f"/{name}"))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh, drop


# --------------------------------------------------------------------------- the generated history


class Generator:
    """Walks the three processes on paper: every step a lognormal duration around its median, late
    when it took longer than its due; rework loops added until the assignments reach the target."""

    def __init__(self, instances: int, assignments: int, employees: list[int], seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.instances = instances
        self.target = assignments
        self.employees = employees
        from base import clock

        self.now = clock.now().replace(tzinfo=None, microsecond=0)

    def paths(self) -> list[tuple[str, list[Any], str]]:
        """Per instance: process key, its steps (key, or a tuple of parallel keys), outcome."""
        rng = self.rng
        result: list[tuple[str, list[Any], str]] = []
        keys = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        for _ in range(self.instances):
            key = rng.choices(keys, weights)[0]
            if key == "trade_conditions":
                steps = [
                    "select_start_recipients",
                    "attach_base_discounts",
                    "approve_base_discounts",
                    "attach_conditions_registry",
                    "approve_conditions_registry",
                    "select_finish_recipients",
                ]
                outcome = "approved"
            elif key == "bonus_agreements":
                steps = [
                    "prepare_documents",
                    "bonus_order",
                    "send_to_clients",
                    "attach_signed",
                    ("archive_originals", "accept_originals"),
                ]
                outcome = "completed"
            else:
                roll = rng.random()
                if roll < 0.08:
                    steps, outcome = ["fill_card"], "stopped"
                elif roll < 0.16:
                    steps = ["fill_card", "manager_approval", "finance_approval", "rejection_reason"]
                    outcome = "rejected"
                else:
                    steps, outcome = ["fill_card", "manager_approval", "finance_approval"], "approved"
            result.append((key, steps, outcome))
        total = sum(_count(steps) for _, steps, _ in result)
        # rework loops, spread at random (Poisson-like) until the assignments reach the target
        # (only in 40 % of the instances: the rest went through first time, as most do)
        loopable = [i for i, (key, steps, _) in enumerate(result) if len(steps) > 1 and rng.random() < 0.4]
        while total < self.target:
            index = rng.choice(loopable)
            key, steps, outcome = result[index]
            if self.target - total == 1 and key != "bonus_agreements":
                continue
            if key == "trade_conditions":
                at = steps.index(rng.choice(["approve_base_discounts", "approve_conditions_registry"]))
                revise = steps[at].replace("approve_", "revise_")
                steps[at:at] = [steps[at], revise]  # rejected once, revised, approved after
                total += 2
            elif key == "add_counterparty":
                at = steps.index("manager_approval")
                steps[at + 1 : at + 1] = ["revise_card", "manager_approval"]
                total += 2
            else:
                at = steps.index("send_to_clients")
                steps.insert(at, "send_to_clients")  # «Нет»: the step again
                total += 1
        return result

    def duration(self, median_hours: float) -> timedelta:
        hours = min(24 * 30, self.rng.lognormvariate(math.log(median_hours), 0.9))
        return timedelta(seconds=int(hours * 3600) + 60)

    def rows(self, version_ids: dict[str, int]) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Instance, assignment and history rows as tuples (see the column lists in ``write``)."""
        rng = self.rng
        instances, assignments, history = [], [], []
        span = 730 * 24 * 3600
        assignment_id = history_id = 0
        for instance_id, (key, steps, outcome) in enumerate(self.paths(), start=1):
            table = STEPS[key]
            starter = rng.choice(self.employees)
            started = datetime(2000, 1, 1)  # shifted below, once the instance's length is known
            at = started
            first_history, first_assignment = len(history), len(assignments)
            history_id += 1
            history.append((history_id, instance_id, started, starter, "started", None, "", "{}"))
            for position, step in enumerate(steps):
                group = step if isinstance(step, tuple) else (step,)
                ends = []
                for task_no, step_key in enumerate(group):
                    due_hours, median = table[step_key]
                    done = at + self.duration(median)
                    data = _data(step_key, steps, position, outcome)
                    assignment_id += 1
                    assignee = rng.choice(self.employees)
                    if step_key in ("fill_card", "revise_card") and rng.random() < 0.08:
                        history_id += 1  # refused once by the card checks before it went through
                        refused_at = at + timedelta(seconds=int((done - at).total_seconds()) // 2)
                        history.append(
                            (history_id, instance_id, refused_at, assignee, "refused", assignment_id, step_key, "{}")
                        )
                    assignments.append(
                        (
                            assignment_id,
                            instance_id,
                            f"t{position}_{task_no}",
                            step_key,
                            step_key,
                            step_key,
                            assignee,
                            "done",
                            at,
                            at + timedelta(hours=due_hours),
                            done,
                            assignee,
                            data,
                            None,
                            key,
                        )
                    )
                    history_id += 1
                    history.append(
                        (history_id, instance_id, done, assignee, "completed", assignment_id, step_key, data)
                    )
                    ends.append(done)
                at = max(ends)
            # place the instance so that it finished before now, within the last two years
            finished = self.now - timedelta(hours=1) - timedelta(seconds=rng.randrange(span))
            shift = finished - at
            started += shift
            at += shift
            history[first_history:] = [(*h[:2], h[2] + shift, *h[3:]) for h in history[first_history:]]
            assignments[first_assignment:] = [
                (*a[:8], a[8] + shift, a[9] + shift, a[10] + shift, *a[11:]) for a in assignments[first_assignment:]
            ]
            history_id += 1
            event = "stopped" if outcome == "stopped" else "finished"
            history.append((history_id, instance_id, at, None, event, None, "", json.dumps({"outcome": outcome})))
            instances.append(
                (
                    instance_id,
                    version_ids[key],
                    key,
                    NAMES[key],
                    "finished",
                    outcome,
                    "{}",
                    "{}",
                    None,
                    starter,
                    started,
                    at,
                    1,
                )
            )
        return instances, assignments, history


def _count(steps: list[Any]) -> int:
    return sum(len(s) if isinstance(s, tuple) else 1 for s in steps)


def _data(step_key: str, steps: list[Any], position: int, outcome: str) -> str:
    """Form data as the real forms would leave it: decisions, the card's action, the reason."""
    following = steps[position + 1] if position + 1 < len(steps) else None
    if step_key in ("fill_card", "revise_card"):
        return json.dumps({"action": "stop" if following is None else "submit"})
    if step_key.startswith("approve_") or step_key in ("manager_approval", "finance_approval"):
        rejected = following is not None and (
            str(following).startswith("revise_") or following in ("rejection_reason", "revise_card")
        )
        return json.dumps({"decision": "reject", "comment": "Нужны правки"} if rejected else {"decision": "approve"})
    if step_key == "rejection_reason":
        return json.dumps({"reason": "needs_changes" if following else "not_needed", "comment": "—"})
    if step_key == "send_to_clients":
        return json.dumps({"sent": "no" if following == "send_to_clients" else "yes"})
    return json.dumps({"document_url": "https://docs.example.com/d"})


INSTANCE_COLUMNS = [
    "id",
    "process_id",
    "process_key",
    "title",
    "status",
    "outcome",
    "state",
    "variables",
    "unique_value",
    "started_by_id",
    "started_at",
    "finished_at",
    "revision",
]
ASSIGNMENT_COLUMNS = [
    "id",
    "instance_id",
    "task_id",
    "key",
    "title",
    "title_search",
    "assignee_id",
    "status",
    "created_at",
    "due_at",
    "completed_at",
    "completed_by_id",
    "data",
    "overdue_notified_at",
    "process_key",
]
HISTORY_COLUMNS = ["id", "instance_id", "at", "actor_id", "event", "assignment_id", "key", "data"]


def write(table: str, columns: list[str], rows: list[tuple], model: Any) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany in one transaction on SQLite."""
    from django.db import connection, transaction

    # generated columns (Assignment.duration_minutes, .decision) are the database's to compute
    known = {f.column for f in model._meta.concrete_fields if not f.generated}
    missing = known - set(columns)
    if missing:  # a column added to the engine since this was written: fill its default
        fields = {f.column: f for f in model._meta.concrete_fields}
        extra = [(c, fields[c].get_db_prep_save(fields[c].get_default(), connection)) for c in sorted(missing)]
        columns = [*columns, *(c for c, _ in extra)]
        rows = [(*row, *(v for _, v in extra)) for row in rows]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")  # a throw-away database: no fsync per commit
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row])
        else:
            # the sqlite3 module directly: Django's cursor wrapper adds a few µs per row
            connection.ensure_connection()
            raw = connection.connection
            placeholders = ", ".join(["?"] * len(columns))
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"  # noqa: S608 - our own names
            raw.executemany(sql, (tuple(str(v) if isinstance(v, datetime) else v for v in row) for row in rows))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL; default: a temp SQLite file")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--assignments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the first (cold) one")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (prints where) for a look")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="soglasie-bench-analytics-"))
    database_url, drop = fresh_database(args.database_url, workdir)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SOGLASIE_VAR_DIR", str(workdir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "soglasie.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        run(args, database_url)
    finally:
        drop()
        if args.keep and not args.database_url:
            print(f"  kept      : {workdir}")
        else:
            for path in sorted(workdir.glob("**/*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            workdir.rmdir()


def run(args: argparse.Namespace, database_url: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from analytics import figures
    from base import clock
    from engine.models import Assignment, History, Instance, ProcessDefinition, ProcessVersion
    from org.models import Employee

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    version_ids = {}
    for key, name in NAMES.items():
        definition, _ = ProcessDefinition.objects.get_or_create(key=key, defaults={"name": name})
        if definition.current is None:  # the process file is not written yet: a placeholder version
            version = ProcessVersion.objects.create(definition=definition, version=1, xml="", checksum="bench")
            definition.current = version
            definition.save(update_fields=["current"])
        version_ids[key] = definition.current_id
    employees = list(Employee.objects.values_list("pk", flat=True))
    prepared = time.perf_counter()

    generator = Generator(args.instances, args.assignments, employees)
    instances, assignments, history = generator.rows(version_ids)
    generated = time.perf_counter()
    write(Instance._meta.db_table, INSTANCE_COLUMNS, instances, Instance)
    write(Assignment._meta.db_table, ASSIGNMENT_COLUMNS, assignments, Assignment)
    write(History._meta.db_table, HISTORY_COLUMNS, history, History)
    if connection.vendor == "postgresql":
        # VACUUM as autovacuum would soon after a bulk load: it sets the visibility map, without
        # which no index-only scan is possible (the figures' step query reads only an index)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    written = time.perf_counter()
    del instances, assignments, history

    first_day = Instance.objects.order_by("started_at").values_list("started_at", flat=True).first().date()
    today = timezone.localdate(clock.now())
    default_from, default_to = figures.default_period()

    def measure(period_from: date, period_to: date) -> tuple[float, list[float], int, dict[str, Any]]:
        with CaptureQueriesContext(connection) as cold_queries:
            started = time.perf_counter()
            result = figures.compute(period_from, period_to)
            cold = time.perf_counter() - started
        warm = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            figures.compute(period_from, period_to)
            warm.append(time.perf_counter() - started)
        return cold, warm, len(cold_queries.captured_queries), result

    whole = measure(first_day, today)
    recent = measure(default_from, default_to)

    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    counts = {
        "instances": Instance.objects.count(),
        "finished": Instance.objects.filter(status="finished").count(),
        "assignments": Assignment.objects.count(),
        "history": History.objects.count(),
    }
    result = whole[3]
    print("Soglasie analytics benchmark: figures.compute() over generated history")
    print(f"  machine   : {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"  python    : {platform.python_version()}; Django {django_version()}")
    print(f"  database  : {vendor} {db_version.split(' on ')[0]} ({_redact(database_url)}, fresh)")
    print(
        f"  data      : {counts['instances']:,} instances ({counts['finished']:,} finished), "
        f"{counts['assignments']:,} assignments, {counts['history']:,} history rows"
    )
    print(
        f"  prepare   : migrate + demo {prepared - began:.1f} s, generate {generated - prepared:.1f} s, "
        f"write {written - generated:.1f} s"
    )
    for label, (cold, warm, queries, _result), (start, end) in (
        ("whole period", whole, (first_day, today)),
        ("last 90 days", recent, (default_from, default_to)),
    ):
        best = min(warm) if warm else cold
        verdict = "OK" if max(cold, best) < TARGET_SECONDS else "OVER TARGET"
        print(
            f"  {label:<12}: {start} … {end}: first {cold:.3f} s, best of {len(warm)} {best:.3f} s, "
            f"{queries} queries — {verdict} (target < {TARGET_SECONDS:.0f} s)"
        )
    print("  figures   : whole period")
    for row in result["processes"]:
        print(
            f"    {row['process']:<18} finished {row['finished']:>6,}  cycle median {row['cycle_hours']['median']} h"
            f"  p90 {row['cycle_hours']['p90']} h  rework {row['rework_rate']}  steps {len(row['steps'])}"
        )
    print(f"    assignments {result['assignments']}")
    print(f"    cards {result['cards']}")
    print(f"    orphans assignments={result['orphans']['assignments']} instances={result['orphans']['instances']}")


def django_version() -> str:
    import django

    return django.get_version()


def _redact(url: str) -> str:
    if url.startswith("sqlite"):
        return url
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(parts.password, "***"))
    return urlunsplit(parts)


if __name__ == "__main__":
    main()
