"""``worker``: the background worker. Sweeps absences starting, timers, deadlines, scheduled starts, the
e-mail outbox and the monthly re-check of the companies against the state register (``crm.recheck``)
until stopped; several may run at once (each row is claimed by one). Every pass begins with a
heartbeat (``soglasie.models.WorkerHeartbeat``) that ``/healthz`` reads."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from base import clock
from crm.recheck import recheck_due
from engine.bpmn import DeployError
from engine.sweeps import fire_due
from notify.outbox import send_due
from processes.apps import deploy_files
from soglasie.models import WorkerHeartbeat

log = logging.getLogger("soglasie.worker")

#: E-mails one pass sends at most (a pass that sent this many sweeps again at once).
OUTBOX_BATCH = 100


class Command(BaseCommand):
    help = "Фоновый обработчик: таймеры, сроки, плановые запуски, отправка писем."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="секунд между проходами")
        parser.add_argument("--once", action="store_true", help="один проход и выход")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            log.info("worker: signal %s, stopping after this pass", signum)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write("Фоновый обработчик запущен.")
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = clock.now()
        passes = 0
        while not stop.is_set():
            close_old_connections()
            if passes % 12 == 0:
                try:
                    deploy_files()
                except DeployError as error:
                    log.error("processes/ has a file that does not deploy: %s", error)
            passes += 1
            more = self.sweep(passes)
            if once:
                break
            if not more:  # a pass that hit its limit left work due: the next one starts at once
                stop.wait(interval)
        self.stdout.write("Фоновый обработчик остановлен.")

    def sweep(self, passes: int) -> bool:
        """One pass; whether it left due work behind (a kind reached its limit per pass), so that
        thousands of timers due at once are fired pass after pass without the interval between."""
        try:
            WorkerHeartbeat.beat(self.name, passes, self.started_at)
            fired = fire_due()
            for error in fired.errors:
                log.error("%s", error)
            sent, failed = send_due(limit=OUTBOX_BATCH)
            rechecked = recheck_due()
            for error in rechecked.errors:
                log.error("%s", error)
        except Exception:  # the loop survives anything one pass throws
            log.exception("worker pass failed")
            return False
        return fired.more or sent + failed >= OUTBOX_BATCH
