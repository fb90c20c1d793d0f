"""Gunicorn's settings for `make run` (scripts/serve) and the HTTP benchmark (bench/http/run.py).

One file, so the benchmark measures the server people run. The address comes from the command line
(``--bind``); the worker model from ``WEB_WORKERS`` and ``WEB_THREADS`` so another one can be tried
without editing this file (bench/README.md, "bench/http", says which measured best on 2 cores).
"""

from __future__ import annotations

import os


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment; gunicorn itself would accept nonsense here."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SystemExit(f"{name} must be a whole number from 1 to 64; got {raw!r}.")
    return int(raw)


wsgi_app = "soglasie.wsgi:application"
workers = _count("WEB_WORKERS", 2)
threads = _count("WEB_THREADS", 4)
accesslog = "-"
errorlog = "-"
loglevel = "warning"
