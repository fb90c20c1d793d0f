"""The page «Импорт» (administrators only): an export file or a webhook, the columns beside the card's
fields, a check, then the import, with a progress bar for long runs.

One `ImportRun` row per import. A file of at most `INLINE_ROWS` rows is checked (or written) in
the request and the report shown at once. A longer file and every webhook run in a thread of the
web process that stores its progress in the row; the page polls `/companies/import/<id>/progress/`
with htmx every second. If the web process restarts mid-run the row stays «идёт» and says so by
its age: the administrator starts it again (an import is idempotent, so that is safe).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from base import clock
from base.errors import Forbidden
from crm import bitrix24, imports
from crm.models import ImportRun
from crm.validation import LABELS
from org.access import employee_of, is_administrator

INLINE_ROWS = 500
"""A file up to this many rows is imported in the request; a longer one in the background."""
MAX_FILE_MB = 20


def _admin(request: HttpRequest) -> None:
    if not is_administrator(request.user):
        raise Forbidden(_("Импорт контрагентов доступен только администраторам."))


def _targets() -> list[tuple[str, str]]:
    labels = {**{key: _(label) for key, label in LABELS.items()}, bitrix24.SOURCE_ID: _("ID в Битрикс24")}
    return [(target, labels.get(target, target)) for target in bitrix24.TARGETS]


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The form: upload an export or give a webhook; a POST makes the run and shows its columns."""
    _admin(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        webhook = (request.POST.get("webhook") or "").strip()
        run = ImportRun(started_by=employee_of(request.user))
        try:
            if upload is not None:
                if upload.size > MAX_FILE_MB * 1024 * 1024:
                    raise bitrix24.FileError(_("Файл больше %(mb)d МБ") % {"mb": MAX_FILE_MB})
                run.data = upload.read()
                run.file_name = upload.name[:255]
                table = bitrix24.read_export(run.file_name, bytes(run.data))
                run.mapping = bitrix24.propose_mapping(table.headers)
                run.total = len(table.rows)
            elif webhook:
                bitrix24.Client(webhook)  # checks the address's shape
                run.webhook = webhook
            else:
                raise bitrix24.FileError(_("Выберите файл экспорта или укажите адрес вебхука"))
        except (bitrix24.FileError, bitrix24.PortalError) as failure:
            error = str(failure)
        else:
            run.save()
            return redirect(run.get_absolute_url())
    runs = ImportRun.objects.select_related("started_by")[:10]
    return render(request, "crm/import_start.html", {"title": _("Импорт"), "error": error, "runs": runs})


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: the mapping to confirm (a file), the buttons «Проверить» and «Импортировать», the report."""
    _admin(request)
    run = get_object_or_404(ImportRun, pk=pk)
    table = bitrix24.read_export(run.file_name, bytes(run.data)) if run.data else None
    error = ""
    if request.method == "POST" and run.status != ImportRun.Status.RUNNING:
        if table is not None:
            mapping = {}
            for index, header in enumerate(table.headers):
                target = request.POST.get(f"column-{index}", "")
                mapping[header] = target if target in bitrix24.TARGETS else ""
            run.mapping = mapping
        run.commit = request.POST.get("action") == "commit"
        run.status, run.done, run.report, run.error = ImportRun.Status.RUNNING, 0, None, ""
        run.save()
        if table is not None and len(table.rows) <= INLINE_ROWS:
            _execute(run.pk)
        else:
            threading.Thread(target=_background, args=(run.pk,), name=thread_name(run.pk), daemon=True).start()
        return redirect(run.get_absolute_url())
    columns = []
    if table is not None:
        for index, header in enumerate(table.headers):
            sample = next((row[index] for row in table.rows if row[index]), "")
            columns.append({"index": index, "header": header, "target": run.mapping.get(header, ""), "sample": sample})
    context = {
        "title": _("Импорт"),
        "run": run,
        "columns": columns,
        "unknown": [c["header"] for c in columns if not c["target"]],
        "targets": _targets(),
        "error": error,
        **_report_context(run),
    }
    return render(request, "crm/import_detail.html", context)


@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the progress bar while a run goes on; once it is over, a redirect to the report."""
    _admin(request)
    run = get_object_or_404(ImportRun, pk=pk)
    if run.status != ImportRun.Status.RUNNING:
        response = HttpResponse("")
        response["HX-Redirect"] = run.get_absolute_url()
        return response
    return render(request, "crm/_import_progress.html", {"run": run})


def _report_context(run: ImportRun) -> dict[str, Any]:
    report = run.report or {}
    return {"report": report, "rows": report.get("rows", [])}


def thread_name(pk: int) -> str:
    """The name of a long run's thread (a test, or an operator's py-spy, finds it by that)."""
    return f"soglasie-import-{pk}"


def _background(pk: int) -> None:
    """The thread of a long run: a fault boundary, so a failure ends the run with its sentence."""
    try:
        _execute(pk)
    except Exception as failure:  # the thread's fault boundary
        ImportRun.objects.filter(pk=pk).update(
            status=ImportRun.Status.FAILED, error=str(failure), webhook="", finished_at=clock.now()
        )
    finally:
        close_old_connections()


def _execute(pk: int) -> None:
    """Read, check and (with `commit`) write one run, storing progress and then the report."""
    run = ImportRun.objects.get(pk=pk)

    def progress(phase: str, done: int, total: int) -> None:
        share = done if phase == "check" or not run.commit else total + done
        whole = total * (2 if run.commit else 1)
        ImportRun.objects.filter(pk=pk).update(done=share, total=whole)

    try:
        if run.data:
            table = bitrix24.read_export(run.file_name, bytes(run.data))
            rows = bitrix24.cards_from_table(table, run.mapping)
        else:
            client = bitrix24.Client(run.webhook)
            rows = bitrix24.fetch_portal(client).rows
        report = imports.run(rows, commit=run.commit, actor=run.started_by, progress=progress)
    except (bitrix24.PortalError, bitrix24.FileError) as failure:
        ImportRun.objects.filter(pk=pk).update(
            status=ImportRun.Status.FAILED, error=str(failure), webhook="", finished_at=clock.now()
        )
        return
    body = report.as_json()
    body["rows"] = [_row(outcome) for outcome in report.rows]
    body["commit"] = run.commit
    ImportRun.objects.filter(pk=pk).update(
        status=ImportRun.Status.DONE,
        report=body,
        webhook="" if run.commit else run.webhook,
        finished_at=clock.now(),
    )


def _row(outcome: imports.RowOutcome) -> dict[str, Any]:
    refused = outcome.action in (imports.INVALID, imports.DUPLICATE)
    messages = outcome.errors if refused else outcome.warnings
    return {
        "row": outcome.row,
        "source_id": outcome.source_id,
        "name": outcome.name,
        "action": outcome.action,
        "messages": [message for field in messages.values() for message in field],
        "company_id": outcome.company_id,
    }
