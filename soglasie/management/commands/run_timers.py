"""``run_timers [--until ISO]``: start every absence, fire every timer, deadline and scheduled start due,
then exit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from base import clock
from engine.sweeps import fire_due
from notify.outbox import send_due


class Command(BaseCommand):
    help = "Срабатывают все таймеры, сроки и плановые запуски до указанного момента (по умолчанию — сейчас)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until", help="момент ISO 8601 с часовым поясом, например 2027-01-11T09:00+03:00")

    def handle(self, *args: Any, until: str | None, **options: Any) -> None:
        now = clock.now()
        moment = now
        if until:
            try:
                moment = datetime.fromisoformat(until)
            except ValueError:
                raise CommandError(f"--until: не момент ISO 8601: {until!r}") from None
            if moment.tzinfo is None:
                raise CommandError("--until: укажите часовой пояс, например 2027-01-11T09:00+03:00")
            if moment > now and not settings.SOGLASIE_TIME_TRAVEL:
                raise CommandError("--until в будущем разрешён только при SOGLASIE_TIME_TRAVEL=1")
        fired = fire_due(moment)
        sent, failed = send_due(moment)
        self.stdout.write(
            f"Таймеров: {fired.timers}, просрочек: {fired.overdue}, запусков: {fired.started}, "
            f"отсутствий началось: {fired.absences}, "
            f"писем: {sent} (ошибок отправки: {failed})."
        )
        for error in fired.errors:
            self.stderr.write(error)
