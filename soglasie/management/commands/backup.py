"""``backup PATH``: one archive with a consistent copy of the database and the stored files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from soglasie.backups import BackupError, backup


class Command(BaseCommand):
    help = "Резервная копия: база данных и файлы в одном архиве tar.gz с контрольными суммами."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="куда записать архив, например backup-2027-01-11.tar.gz")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            summary = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "Резервная копия записана: %(path)s (база %(vendor)s, миграций %(migrations)s, "
                "файлов %(files)s, %(size)s байт)."
            )
            % {
                "path": summary.path,
                "vendor": summary.vendor,
                "migrations": summary.migrations,
                "files": summary.files,
                "size": summary.size,
            }
        )
