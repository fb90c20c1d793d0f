"""``import_bitrix24``: counterparties from a Bitrix24 portal (inbound webhook) or its export file.

Without ``--commit`` it only reports; ``--json`` prints the report of api.md «Counterparty data
from outside» and nothing else on standard output (notes and progress go to standard error). A
wrong webhook, a revoked one, a portal that is down or a file that cannot be read ends with one
sentence and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.progress import Progress

from crm import bitrix24, imports
from crm.imports import CREATE, DUPLICATE, INVALID, UNCHANGED, UPDATE, Report


class Command(BaseCommand):
    help = "Импорт контрагентов из Битрикс24: по входящему вебхуку или из файла экспорта «Компании» (CSV, XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--webhook", help="адрес входящего вебхука: https://портал/rest/<пользователь>/<ключ>/")
        source.add_argument("--file", help="файл экспорта «Компании»: CSV (UTF-8 или Windows-1251, «;») или XLSX")
        parser.add_argument("--commit", action="store_true", help="записать; без него только отчёт")
        parser.add_argument("--json", action="store_true", help="отчёт в JSON")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="СТОЛБЕЦ=ПОЛЕ",
            help="сопоставить столбец файла полю карточки (СТОЛБЕЦ= — не загружать столбец); можно несколько раз",
        )
        parser.add_argument(
            "--users", action="store_true", help="также сотрудники из пользователей портала (неактивные)"
        )
        parser.add_argument("--timeout", type=float, default=20.0, help="секунд на один запрос к порталу")

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = options["json"]
        try:
            report = self._run(options)
        except (bitrix24.PortalError, bitrix24.FileError) as failure:
            raise CommandError(str(failure)) from None
        if self.as_json:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            self._print(report)

    def _note(self, text: str) -> None:
        (self.stderr if self.as_json else self.stdout).write(text)

    def _run(self, options: dict[str, Any]) -> Report:
        commit = options["commit"]
        users_counts: dict[str, int] = {}
        if options["file"]:
            if options["users"]:
                raise CommandError(_("--users читает пользователей портала: он работает только с --webhook"))
            path = Path(options["file"])
            try:
                data = path.read_bytes()
            except OSError as failure:
                raise CommandError(
                    _("Файл %(path)s не читается: %(reason)s") % {"path": path, "reason": failure.strerror}
                ) from None
            table = bitrix24.read_export(path.name, data)
            mapping = bitrix24.propose_mapping(table.headers)
            mapping.update(bitrix24.parse_mapping(options["map"], table.headers))
            for header in table.headers:
                target = mapping.get(header)
                self._note(
                    f"  {header} → {target}" if target else _("  %(header)s → не загружается") % {"header": header}
                )
            unknown = [h for h in table.headers if h not in mapping]
            if unknown:
                self._note(
                    _("Столбцы без поля карточки (не загружаются; сопоставьте их с --map столбец=поле): %(columns)s")
                    % {"columns": ", ".join(f"«{h}»" for h in unknown)}
                )
            rows = bitrix24.cards_from_table(table, mapping)
        else:
            if options["map"]:
                raise CommandError(_("--map сопоставляет столбцы файла: он работает только с --file"))
            client = bitrix24.Client(options["webhook"], timeout=options["timeout"])
            users = None
            if options["users"]:
                users = bitrix24.fetch_users(client)
                users_counts = imports.import_users(users, commit=commit)
            with self._progress(_("Чтение портала"), None) as advance:
                portal = bitrix24.fetch_portal(
                    client, users=users, username_of=imports.username_of_email() if users else None, progress=advance
                )
            rows = portal.rows
            self._note(
                _("Прочитано компаний: %(n)d, запросов к порталу: %(calls)d") % {"n": len(rows), "calls": portal.calls}
            )
        with self._progress(_("Проверка и запись"), len(rows) * (2 if commit else 1)) as advance:
            done = {"check": 0, "write": 0}

            def progress(phase: str, count: int, _total: int) -> None:
                advance(count - done[phase])
                done[phase] = count

            report = imports.run(rows, commit=commit, actor=None, progress=progress)
        report.users = users_counts
        return report

    def _progress(self, label: str, total: int | None) -> Any:
        """A progress bar on a terminal (rich), plain counts every thousand rows when the output is a
        file or a pipe (a log, cron, the tests): a bar's control codes would only litter those."""
        command = self
        stream = sys.stderr

        class Plain:
            def __enter__(self) -> Any:
                self.count = 0
                self.shown = 0

                def advance(n: int) -> None:
                    self.count += n
                    if self.count - self.shown >= 1000:
                        self.shown = self.count
                        command.stderr.write(f"{label}: {self.count}" + (f"/{total}" if total else ""))

                return advance

            def __exit__(self, *exc: Any) -> None:
                return None

        if not stream.isatty():
            return Plain()

        class Bar:
            def __enter__(self) -> Any:
                self.bar = Progress(transient=True, console=None)
                self.bar.start()
                task = self.bar.add_task(label, total=total)
                return lambda n: self.bar.advance(task, n)

            def __exit__(self, *exc: Any) -> None:
                self.bar.stop()

        return Bar()

    def _print(self, report: Report) -> None:
        done = report.commit
        words = {
            CREATE: _("создан") if done else _("будет создан"),
            UPDATE: _("обновлён") if done else _("будет обновлён"),
            UNCHANGED: _("без изменений"),
            INVALID: _("отказ"),
            DUPLICATE: _("дубль, не загружается"),
        }
        for outcome in report.rows:
            head = _("строка %(row)d") % {"row": outcome.row}
            if outcome.source_id:
                head += f" (ID {outcome.source_id})"
            line = f"{head} «{outcome.name}»: {words[outcome.action]}"
            if outcome.action in (INVALID, DUPLICATE):
                line += ": " + "; ".join(m for messages in outcome.errors.values() for m in messages)
            elif outcome.warnings:
                line += " (" + "; ".join(m for messages in outcome.warnings.values() for m in messages) + ")"
            self.stdout.write(line)
        summary = report.as_json()
        summary_text = (
            _(
                "Прочитано: %(read)d, годных: %(valid)d, с ошибками: %(invalid)d, дублей: %(duplicates)d; "
                "создано: %(created)d, обновлено: %(updated)d, без изменений: %(unchanged)d"
            )
            if done
            else _(
                "Прочитано: %(read)d, годных: %(valid)d, с ошибками: %(invalid)d, дублей: %(duplicates)d; "
                "будет создано: %(created)d, обновлено: %(updated)d, без изменений: %(unchanged)d"
            )
        )
        self.stdout.write(
            summary_text % {**summary, "invalid": len(summary["invalid"]), "duplicates": len(summary["duplicates"])}
        )
        if report.users:
            self.stdout.write(
                _("Сотрудники из портала: новых %(created)d, уже были %(existing)d, без e-mail %(skipped)d")
                % report.users
            )
        if not done:
            self.stdout.write(_("Ничего не записано: это проверка. Чтобы записать, добавьте --commit."))
