"""``deploy_process FILE.bpmn``: validate a BPMN file and deploy it as a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine.bpmn import DeployError
from engine.definitions import deploy


class Command(BaseCommand):
    help = "Проверяет BPMN-файл и развёртывает его как новую версию процесса."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            xml = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from None
        try:
            version, created = deploy(xml, filename=file.name)
        except DeployError as error:
            lines = [f"{file.name}: файл не развёрнут, ничего не изменено."]
            lines += [f"  {element}: {reason}" for element, reason in error.errors]
            raise CommandError("\n".join(lines)) from None
        key = version.definition.key
        if created:
            self.stdout.write(f"Развёрнут процесс {key}, версия {version.version}.")
        else:
            self.stdout.write(f"Процесс {key} не изменился: версия {version.version} уже развёрнута.")
