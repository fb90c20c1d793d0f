"""``verify_files``: re-hash every stored file; name each missing or changed one; exit 1 if any.

Run it from cron (nightly): the figures (``/analytics/``, ``GET /api/v1/analytics``) show what its
last run found, so «no document lost» is a number the department sees, not a hope.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from files.models import CheckResult, StoredFile
from files.services import verify

_SAID = {CheckResult.MISSING: "нет в хранилище", CheckResult.CHANGED: "содержимое изменилось (SHA-256 не совпадает)"}


class Command(BaseCommand):
    help = "Пересчитывает SHA-256 каждого хранимого файла и называет отсутствующие и изменённые."

    def handle(self, *args: Any, **options: Any) -> None:
        def report(stored: StoredFile, result: str) -> None:
            where = (
                f"{stored.document.owner}, {stored.document.slot}, версия {stored.version}"
                if stored.document_id
                else "ещё не приложен"
            )
            self.stdout.write(f"Файл №{stored.pk} «{stored.name}» ({where}): {_SAID[result]}.")

        found = verify(report)
        summary = (
            f"Проверено файлов: {found['stored']}; нет в хранилище: {found['missing']}; "
            f"изменилось содержимое: {found['changed']}."
        )
        if found["missing"] or found["changed"]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)
