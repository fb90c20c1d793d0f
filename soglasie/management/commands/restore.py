"""``restore PATH``: an archive of ``backup`` into an empty database (and an empty files folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from soglasie.backups import BackupError, restore


class Command(BaseCommand):
    help = "Восстановление из резервной копии в пустую базу данных."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="архив, записанный командой backup")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            restored = restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("Восстановлено из %(path)s: база %(vendor)s от %(created)s (Soglasie %(version)s), файлов %(files)s.")
            % {
                "path": path,
                "vendor": restored.vendor,
                "created": restored.created_at,
                "version": restored.soglasie,
                "files": restored.files,
            }
        )
        if restored.unapplied:
            self.stdout.write(
                _("Архив старше кода: выполните manage.py migrate (не применено миграций: %(count)s).")
                % {"count": len(restored.unapplied)}
            )
