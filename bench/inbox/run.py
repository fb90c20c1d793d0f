"""Benchmark: the inbox at scale, «Автоматизация», ``GET /api/v1/assignments`` and the feed over
1,000,000 assignments of which 20,000 are open.

Run: ``.venv/bin/python bench/inbox/run.py [--database-url URL] [--sizes 100000,1000000] [--requests 50]``

Each size runs in a child process of its own, in a fresh database (a temp SQLite file, or with a
PostgreSQL admin URL a database ``soglasie_bench_inbox_<pid>`` created next to it and dropped at the
end): migrate, the demo company, then the finished history of ``bench/analytics`` (its generator
and its COPY / ``executemany`` writer, imported, not copied) with the step titles of the process
files, plus 2 % of the assignments open, each the current step of a running instance, spread over
the eight demo employees (about 2,500 open and 122,000 done each at the full size). Then, logged in as a
plain employee (``manager1``, through Django's test ``Client`` in this process: no server, no
network, the whole middleware stack), each page and call is requested ``--requests`` times after a
warm-up; it prints p50 and p95 (and the median of this process's CPU time, which other work on
the machine disturbs less), the number of queries of one request, and the machine. The sizes
are compared at the end: the number of queries must not depend on the data. Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.analytics.run import (  # noqa: E402
    ASSIGNMENT_COLUMNS,
    HISTORY_COLUMNS,
    INSTANCE_COLUMNS,
    NAMES,
    STEPS,
    Generator,
    _redact,
    fresh_database,
    write,
)
from bench.machine import cpu_model  # noqa: E402

TARGET_MS = 50.0
OPEN_SHARE = 0.02  # 20,000 of 1,000,000
USER = "manager1"  # a plain sales manager: sees their own work only
TITLE_FILTER = "реестр"  # a word of several steps' titles (about a fifth of them)

#: What is timed: a label and the URL, as the browser or a client asks for it.
REQUESTS = [
    ("page: default (my open, by due)", "/assignments/"),
    ("page: assignee=me status=open due", "/assignments/?assignee=me&status=open&due="),
    ("page: + title filter", f"/assignments/?assignee=me&status=open&q={TITLE_FILTER}"),
    ("page: a title matching none of mine", "/assignments/?assignee=me&status=open&q=нет+такого"),
    ("page: all I see, open", "/assignments/?assignee=all&status=open"),
    ("page: all I see, any status", "/assignments/?assignee=all&status=any"),
    ("api: me/open/due limit=50", "/api/v1/assignments?assignee=me&status=open&order=due&limit=50"),
    ("api: + name filter", f"/api/v1/assignments?assignee=me&status=open&order=due&limit=50&name={TITLE_FILTER}"),
    ("api: me/open/due limit=500", "/api/v1/assignments?assignee=me&status=open&order=due&limit=500"),
    ("feed (home page)", "/"),
]


def step_titles() -> dict[str, str]:
    """The user tasks' names from the process files, as the engine would title the assignments
    (the quarter of a title template filled in)."""
    titles = {}
    for path in (ROOT / "processes").glob("*.bpmn"):
        for key, name in re.findall(r'userTask id="([a-z_]+)" name="([^"]+)"', path.read_text()):
            titles[key] = name.replace("{quarter}", "I квартал 2027 г.")
    return titles


# --------------------------------------------------------------------------- the child: one size


def seed(assignments: int) -> dict[str, Any]:
    """The history of ``bench/analytics`` scaled to ``assignments``, 2 % of them open."""
    from django.db import connection

    from base import clock
    from engine.models import Assignment, History, Instance, ProcessDefinition, ProcessVersion
    from org.models import Employee

    version_ids = {}
    for key, name in NAMES.items():
        definition, _ = ProcessDefinition.objects.get_or_create(key=key, defaults={"name": name})
        if definition.current is None:
            version = ProcessVersion.objects.create(definition=definition, version=1, xml="", checksum="bench")
            definition.current = version
            definition.save(update_fields=["current"])
        version_ids[key] = definition.current_id
    employees = list(Employee.objects.filter(user__is_staff=False).values_list("pk", flat=True))
    opened = int(assignments * OPEN_SHARE)
    done = assignments - opened
    generator = Generator(max(1, done // 10), done, employees)
    instances, rows, history = generator.rows(version_ids)
    titles = step_titles()

    def titled(row: tuple) -> tuple:
        title = titles.get(row[3], row[3])
        return (*row[:4], title, title.casefold(), *row[6:])

    rows = [titled(row) for row in rows]
    # the open work: one running instance per open assignment, at a random step of its process,
    # created up to 30 days ago; its deadline passed for about a third, none for one in twenty
    rng = random.Random(11)
    now = clock.now().replace(tzinfo=None, microsecond=0)
    instance_id, assignment_id, history_id = len(instances), len(rows), len(history)
    keys = list(NAMES)
    for _ in range(opened):
        instance_id += 1
        assignment_id += 1
        history_id += 1
        key = rng.choice(keys)
        step = rng.choice(list(STEPS[key]))
        due_hours = STEPS[key][step][0]
        created = now - timedelta(seconds=rng.randrange(30 * 24 * 3600))
        due = None if rng.random() < 0.05 else created + timedelta(hours=due_hours * rng.uniform(1, 8))
        starter = rng.choice(employees)
        assignee = rng.choice(employees)
        instances.append(
            (instance_id, version_ids[key], key, NAMES[key], "running", "", "{}", "{}", None, starter, created, None, 1)
        )
        title = titles.get(step, step)
        rows.append(
            (
                assignment_id,
                instance_id,
                "t_open",
                step,
                title,
                title.casefold(),
                assignee,
                "open",
                created,
                due,
                None,
                None,
                "{}",
                None,
                key,
            )
        )
        history.append((history_id, instance_id, created, starter, "started", None, "", "{}"))
    write(Instance._meta.db_table, INSTANCE_COLUMNS, instances, Instance)
    write(Assignment._meta.db_table, ASSIGNMENT_COLUMNS, rows, Assignment)
    write(History._meta.db_table, HISTORY_COLUMNS, history, History)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"instances": len(instances), "assignments": len(rows), "history": len(history), "open": opened}


def explain(sql: str) -> str:
    """The plan of one captured statement: EXPLAIN QUERY PLAN (SQLite), EXPLAIN ANALYZE (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, SUMMARY OFF) {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def measure(repeat: int, plans: int) -> list[dict[str, Any]]:
    """Each request: the queries of one (with the slowest ones' plans), then ``repeat`` timed."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from org.auth import SESSION_ACTIVE

    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))
    # The session is saved at most once a minute (org.auth.keep_session_alive): marked active far
    # ahead, it is never saved during the run, so the number of queries does not depend on the clock.
    session = client.session
    session[SESSION_ACTIVE] = int(time.time()) + 10**6
    session.save()
    results = []
    for label, url in REQUESTS:
        for _ in range(3):  # warm-up: the caches, the first compilation of each template
            assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        queries = list(captured.captured_queries)  # the next request's start empties the log
        slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:plans]
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        results.append(
            {
                "label": label,
                "url": url,
                "queries": len(queries),
                "p50": statistics.median(times),
                "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                # this process's CPU time: less disturbed by other work on the machine than the
                # wall clock (on SQLite it holds the database's work too; PostgreSQL's is elsewhere)
                "cpu50": statistics.median(cpu),
                "plans": [{"ms": float(q["time"]) * 1000, "sql": q["sql"], "plan": explain(q["sql"])} for q in slowest],
            }
        )
    return results


def child(args: argparse.Namespace) -> None:
    """One size in one fresh database; the last line of output is the result as JSON."""
    workdir = Path(tempfile.mkdtemp(prefix="soglasie-bench-inbox-"))
    database_url, drop = fresh_database(args.database_url, workdir, label="inbox")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SOGLASIE_VAR_DIR", str(workdir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "soglasie.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
        counts = seed(args.size)
        seeded = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
            db_version = cursor.fetchone()[0].split(" on ")[0]
        from engine.models import Assignment

        mine = Assignment.objects.filter(assignee__user__username=USER)
        counts["mine_open"] = mine.filter(status="open").count()
        counts["mine"] = mine.count()
        load_before = os.getloadavg()[0]
        results = measure(args.requests, args.plans)
        load = (load_before, os.getloadavg()[0])
        out = {
            "size": args.size,
            "database": f"{connection.vendor} {db_version}",
            "url": _redact(database_url),
            "seconds_to_seed": seeded,
            "counts": counts,
            "results": results,
            "load": load,
            "django": django.get_version(),
        }
    finally:
        if args.keep:  # to look at the plans: DATABASE_URL=<this> manage.py dbshell
            print(f"kept: {_redact(database_url)}", file=sys.stderr)
        else:
            drop()
            for path in sorted(workdir.glob("**/*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            workdir.rmdir()
    print(json.dumps(out, ensure_ascii=False, default=str))


# --------------------------------------------------------------------------- the parent: every size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL; default: a temp SQLite file")
    parser.add_argument("--sizes", default="100000,1000000", help="assignments per run, comma-separated")
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--plans", type=int, default=0, help="print the plans of this many slowest queries each")
    parser.add_argument("--keep", action="store_true", help="keep each database (prints where) for a look")
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)  # the child's one size
    args = parser.parse_args()
    if args.size:
        child(args)
        return
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--size", str(size), "--requests", str(args.requests)]
        command += ["--plans", str(args.plans)] + (["--keep"] if args.keep else [])
        if args.database_url:
            command += ["--database-url", args.database_url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - ourselves
        if done.returncode:
            sys.exit(f"the run of {size:,} assignments failed:\n{done.stderr}")
        sys.stderr.write(done.stderr)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report(runs)


def report(runs: list[dict[str, Any]]) -> None:
    """What was measured and on what, one table per size, then the query counts side by side."""
    print("Soglasie inbox benchmark: «Автоматизация», GET /api/v1/assignments and the feed")
    print(f"  machine   : {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"  python    : {platform.python_version()}; Django {runs[0]['django']}")
    print(f"  database  : {runs[0]['database']} ({runs[0]['url']}, fresh for each size)")
    print(f"  client    : django.test.Client in process, logged in as {USER}; {datetime.now():%Y-%m-%d %H:%M}")
    for run in runs:
        c = run["counts"]
        print(
            f"\n  {c['assignments']:,} assignments ({c['open']:,} open), {c['instances']:,} instances, "
            f"{c['history']:,} history rows; {USER} holds {c['mine']:,} ({c['mine_open']:,} open); "
            f"seeded in {run['seconds_to_seed']:.0f} s; load average {run['load'][0]:.1f} → {run['load'][1]:.1f} "
            f"on {os.cpu_count()} CPUs while timing"
        )
        for r in run["results"]:
            verdict = "OK" if r["p95"] <= TARGET_MS else "OVER"
            timing = f"p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  (CPU p50 {r['cpu50']:6.1f} ms)"
            print(f"    {r['label']:<36} {timing}  {r['queries']:>3} queries  {verdict}")
            for plan in r["plans"]:
                print(f"      {plan['ms']:.1f} ms: {plan['sql'][:600]}")
                print("        " + plan["plan"].replace("\n", "\n        "))
    if len(runs) > 1:
        print("\n  queries per request by size: " + " / ".join(f"{run['size']:,}" for run in runs))
        same = True
        for index, (label, _url) in enumerate(REQUESTS):
            counts = [run["results"][index]["queries"] for run in runs]
            same &= len(set(counts)) == 1
            print(f"    {label:<36} " + " / ".join(str(n) for n in counts))
        print("  query counts " + ("are the same at every size" if same else "DIFFER between sizes"))


if __name__ == "__main__":
    main()
