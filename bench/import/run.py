"""Benchmark: importing a 10,000-row export of «Компании» (the target: under 2 minutes).

Run: ``.venv/bin/python bench/import/run.py [--rows 10000] [--database-url URL]``

Works in a temporary directory (a fresh SQLite file unless a URL is given; nothing is left
behind): migrate, the demo company, then a generated UTF-8 CSV export with `--rows` companies
(valid ИНН/КПП, a contact each, one row in 100 with a broken ИНН, one in 100 repeating an earlier
ИНН), and times ``manage.py import_bitrix24 --file … --commit`` run twice: the first creates, the
second finds everything unchanged. Prints what it measured and on what (CPU, Python, database).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402


def inn10(n: int) -> str:
    digits = f"60{n:07d}"
    control = sum(int(d) * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8), strict=True)) % 11 % 10
    return digits + str(control)


def export(rows: int) -> str:
    lines = ["ID;Название компании;Тип компании;ИНН;КПП;Юридический адрес;Город;Регион;Контакт"]
    for n in range(1, rows + 1):
        inn = inn10(n)
        if n % 100 == 50:
            inn = inn[:-1] + str((int(inn[-1]) + 1) % 10)
        if n % 100 == 99:
            inn = inn10(n - 1)
        lines.append(
            f"{n};ООО «Бенч {n}»;Клиент;{inn};773601001;101000, Москва, ул. Ленина, {n};Москва;Москва;Петров Иван"
        )
    return "\r\n".join(lines) + "\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soglasie-bench-import-") as workdir:
        os.environ.update(
            SOGLASIE_VAR_DIR=workdir,
            DATABASE_URL=args.database_url or f"sqlite:///{workdir}/bench.sqlite3",
            DJANGO_SETTINGS_MODULE="soglasie.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())
        path = Path(workdir) / "companies.csv"
        path.write_text(export(args.rows), encoding="utf-8")
        times = []
        reports = []
        for _ in range(2):
            out = io.StringIO()
            started = time.perf_counter()
            call_command("import_bitrix24", "--file", str(path), "--commit", "--json", stdout=out, stderr=io.StringIO())
            times.append(time.perf_counter() - started)
            reports.append(json.loads(out.getvalue()))
        vendor = connection.vendor
        if vendor == "sqlite":
            version = sqlite3.sqlite_version
        else:
            version = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"

    print(f"CPU: {cpu_model()}; Python {platform.python_version()}; {vendor} {version}")
    for label, seconds, report in zip(("first run", "second run"), times, reports, strict=True):
        print(
            f"import_bitrix24 --file ({args.rows} rows) --commit, {label}: {seconds:.1f} s — "
            f"created {report['created']}, updated {report['updated']}, unchanged {report['unchanged']}, "
            f"invalid {len(report['invalid'])}, duplicates {len(report['duplicates'])}"
        )
    print("target: under 120 s for 10,000 rows:", "met" if max(times) < 120 else "NOT met")


if __name__ == "__main__":
    main()
