"""Benchmark: storing, downloading and verifying files at the size limit, with the memory it takes.

Run: ``.venv/bin/python bench/files/run.py [--mb 50] [--files 20]``

Works in a temporary directory (a fresh SQLite file and the file storage under it; nothing is left
behind): migrate, the demo company, then

- ``files.services.store`` of one ``--mb`` file read from disk (the limit by default), as an
  upload reaches it (a temporary file), timed, with the peak of Python's allocations meanwhile;
- the same file through ``POST /api/v1/files`` (Django's multipart parser and upload handlers);
- the download (``GET /api/v1/files/{id}/download``) read to the end, timed, with its peak;
- ``verify()`` over ``--files`` files of 10 MiB each, timed (MiB/s).

The claim it checks: memory stays at a few chunks (64 KiB) whatever the file's size, because
every pass reads in chunks. Prints what it measured and on what (CPU, Python, SQLite).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402

MB = 1024 * 1024


def measured(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak MiB of Python allocations during the call)."""
    tracemalloc.start()
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="size of the big file, MiB (default: the limit)")
    parser.add_argument("--files", type=int, default=20, help="files of 10 MiB for verify()")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="soglasie-bench-files-") as workdir:
        os.environ.update(
            SOGLASIE_VAR_DIR=workdir,
            DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
            DJANGO_SETTINGS_MODULE="soglasie.settings",
            FILES_MAX_MB=str(max(args.mb, 10)),
            ALLOWED_HOSTS="testserver",
        )
        import django

        django.setup()
        from django.core.files.uploadedfile import TemporaryUploadedFile
        from django.core.management import call_command
        from django.test import Client

        from files.models import StoredFile
        from files.services import store, verify
        from org.models import Employee

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit; password "demo"
        manager = Employee.objects.get(user__username="manager1")
        big = Path(workdir) / "big.bin"
        with big.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(MB))

        upload = TemporaryUploadedFile("Договор.bin", "application/octet-stream", args.mb * MB, None)
        with big.open("rb") as source:
            while chunk := source.read(MB):
                upload.write(chunk)
        stored, store_s, store_peak = measured(lambda: store(upload, by=manager))

        client = Client()
        token = client.post(
            "/api/v1/auth/token", {"username": "manager1", "password": "demo"}, content_type="application/json"
        ).json()["token"]
        api = Client(headers={"Authorization": f"Bearer {token}"})
        with big.open("rb") as source:
            answer, post_s, _peak = measured(lambda: api.post("/api/v1/files", {"file": source}))
        assert answer.status_code == 201, answer.content

        def download() -> int:
            response = api.get(f"/api/v1/files/{stored.pk}/download")
            return sum(len(chunk) for chunk in response.streaming_content)

        size, download_s, download_peak = measured(download)
        assert size == args.mb * MB

        chunk = os.urandom(MB)
        for n in range(args.files):
            store(chunk * 10, name=f"file{n}.bin", by=manager)
        total = StoredFile.objects.count()
        total_mb = sum(StoredFile.objects.values_list("size", flat=True)) / MB
        found, verify_s, verify_peak = measured(verify)
        assert found["missing"] == found["changed"] == 0

    print(f"CPU: {cpu_model()}; Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}")
    print(f"store() of {args.mb} MiB from a temporary upload: {store_s:.2f} s, peak Python memory {store_peak:.2f} MiB")
    print(f"POST /api/v1/files of {args.mb} MiB (test client, multipart parsed): {post_s:.2f} s")
    print(f"download of {args.mb} MiB read to the end: {download_s:.2f} s, peak Python memory {download_peak:.2f} MiB")
    print(
        f"verify() of {total} files, {total_mb:.0f} MiB: {verify_s:.2f} s ({total_mb / verify_s:.0f} MiB/s), "
        f"peak Python memory {verify_peak:.2f} MiB"
    )


if __name__ == "__main__":
    main()
