"""The «Показатели» page, its exports (XLSX, CSV) and the baseline form.

Every view computes the figures afresh with ``figures.compute`` (a dozen queries), so the page, the
exports and the API always agree.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics import charts, figures
from analytics.forms import BaselineForm, FilterForm
from analytics.models import Baseline
from base import clock
from engine.models import Outcome
from reports.workbook import workbook


def _allowed(request: HttpRequest) -> None:
    if not figures.may_see_figures(request.user):
        raise PermissionDenied(_("Показатели доступны директорам, руководителю отдела продаж и администраторам."))


def _filtered(request: HttpRequest) -> tuple[FilterForm, dict[str, Any] | None]:
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    if not request.GET:
        form = FilterForm({})
        form.is_valid()
    period_from, period_to, process = form.values()
    return form, figures.compute(period_from, period_to, process)


@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    """The page; with htmx (the filter form) only the figures part is rendered."""
    _allowed(request)
    form, result = _filtered(request)
    context: dict[str, Any] = {"form": form, "result": result, "query": request.GET.urlencode()}
    if result is not None:
        context.update(_presentation(result))
    if figures.may_edit_baseline(request.user):
        context["baseline_form"] = BaselineForm(instance=Baseline.load())
    template = "analytics/_figures.html" if request.htmx else "analytics/page.html"
    return render(request, template, context)


@require_POST
def baseline(request: HttpRequest) -> HttpResponse:
    """Administrators enter the department's figures from before."""
    if not figures.may_edit_baseline(request.user):
        raise PermissionDenied(_("Показатели до внедрения вводит администратор."))
    form = BaselineForm(request.POST, instance=Baseline.load())
    if form.is_valid():
        row = form.save(commit=False)
        row.updated_at = clock.now()
        row.updated_by = getattr(request.user, "employee", None)
        row.save()
        messages.success(request, _("Показатели до внедрения сохранены."))
        query = request.POST.get("query", "")
        return redirect(reverse("analytics") + (f"?{query}" if query else ""))
    _allowed(request)
    filters, result = _filtered(request)
    context: dict[str, Any] = {"form": filters, "result": result, "baseline_form": form, "query": ""}
    if result is not None:
        context.update(_presentation(result))
    return render(request, "analytics/page.html", context, status=400)


@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The figures of the page's filters as XLSX (one sheet per table) or CSV (one row per figure)."""
    _allowed(request)
    form, result = _filtered(request)
    if result is None:
        return HttpResponse(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = f"figures_{result['period']['from']}_{result['period']['to']}"
    if result["process"]:
        name += f"_{result['process']}"
    if fmt == "xlsx":
        response = HttpResponse(
            _xlsx(result), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(_csv(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --------------------------------------------------------------------------- presentation


def _presentation(result: dict[str, Any]) -> dict[str, Any]:
    """Charts and wordings the template shows beside the numbers."""
    outcome_labels = dict(Outcome.choices)
    processes = []
    for row in result["processes"]:
        steps_chart = charts.bar_chart(
            [charts.Row(s["title"], (s["median_hours"], s["p90_hours"])) for s in row["steps"]],
            charts.MEDIAN_P90,
            title=_("Время шагов процесса «%(name)s», часы") % {"name": row["name"]},
            unit=_("ч"),
        )
        outcomes = [(outcome_labels.get(k, k), n) for k, n in row["outcomes"].items()]
        rework_pct = row["rework_rate"] * 100 if row["rework_rate"] is not None else None
        processes.append({**row, "steps_chart": steps_chart, "outcome_list": outcomes, "rework_pct": rework_pct})
    cycle_chart = charts.bar_chart(
        [
            charts.Row(p["name"], (p["cycle_hours"]["median"], p["cycle_hours"]["p90"]))
            for p in result["processes"]
            if p["finished"]
        ],
        charts.MEDIAN_P90,
        title=_("Длительность процессов, часы"),
        unit=_("ч"),
    )
    share = result["assignments"]["overdue_share"]
    checked_at = result["documents"]["checked_at"]
    context: dict[str, Any] = {
        "processes": processes,
        "cycle_chart": cycle_chart,
        "overdue_pct": share * 100 if share is not None else None,
        "documents_checked_at": datetime.fromisoformat(checked_at) if checked_at else None,
    }
    base, vs = result["baseline"], result["vs_baseline"]
    if base and vs:
        context["baseline_chart"] = charts.bar_chart(
            [
                charts.Row(_("Согласование, дней"), (base["avg_approval_days"], vs["current_approval_days"])),
                charts.Row(_("Просроченные задания, %"), (base["overdue_share_pct"], vs["current_overdue_share_pct"])),
                charts.Row(
                    _("Карточки с ошибками, %"), (base["card_error_rate_pct"], vs["current_card_error_rate_pct"])
                ),
            ],
            charts.BEFORE_NOW,
            title=_("До внедрения и сейчас"),
            per_row_scale=True,
        )
    return context


def export_sheets(result: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The figures as tables: (sheet title, header, rows). Both exports are made from these."""
    period = f"{result['period']['from']} — {result['period']['to']}"
    processes = [
        [
            p["process"],
            p["name"],
            p["started"],
            p["finished"],
            ", ".join(f"{k}: {n}" for k, n in p["outcomes"].items()),
            p["cycle_hours"]["median"],
            p["cycle_hours"]["p90"],
            p["reworked"],
            p["rework_rate"],
        ]
        for p in result["processes"]
    ]
    steps = [
        [p["process"], s["key"], s["title"], s["count"], s["late"], s["median_hours"], s["p90_hours"]]
        for p in result["processes"]
        for s in p["steps"]
    ]
    a, c, o = result["assignments"], result["cards"], result["orphans"]
    summary = [
        [_("Период"), period],
        [_("Процесс"), result["process"] or _("все")],
        [_("Заданий выполнено"), a["completed"]],
        [_("Выполнено с опозданием"), a["completed_late"]],
        [_("Доля просроченных"), a["overdue_share"]],
        [_("Открыто сейчас"), a["open"]],
        [_("Просрочено сейчас"), a["open_overdue"]],
        [_("Карточек подано"), c["submitted"]],
        [_("Возвращено на доработку"), c["returned_for_changes"]],
        [_("Ошибок поймано при вводе"), c["errors_caught_at_entry"]],
        [_("Задания без живого исполнителя"), o["assignments"]],
        [_("Процессы, которым нечего ждать"), o["instances"]],
        [_("Файлов хранится"), result["documents"]["stored"]],
        [_("Файлов нет в хранилище"), result["documents"]["missing"]],
        [_("Файлов с изменённым содержимым"), result["documents"]["changed"]],
        [_("Согласований завершено"), result["approvals"]["count"]],
        [_("Среднее время согласования, дней"), result["approvals"]["mean_days"]],
    ]
    vs = result["vs_baseline"]
    if vs:
        base = result["baseline"]
        summary += [
            [_("До внедрения: согласование, дней"), base["avg_approval_days"]],
            [_("До внедрения: доля просроченных, %"), base["overdue_share_pct"]],
            [_("До внедрения: карточки с ошибками, %"), base["card_error_rate_pct"]],
            [_("До внедрения: ручная работа на согласование, минут"), base["manual_minutes_per_approval"]],
            [_("Согласование быстрее, раз"), vs["approval_speed"]],
            [_("Просрочек меньше, раз"), vs["overdue_share_ratio"]],
            [_("Ошибок в карточках меньше, раз"), vs["card_errors_ratio"]],
            [_("Согласований в месяц"), vs["approvals_per_month"]],
            [_("Сэкономлено часов в месяц"), vs["hours_saved_per_month"]],
        ]
    return [
        (_("Сводка"), [_("Показатель"), _("Значение")], summary),
        (
            _("Процессы"),
            [
                _("Ключ"),
                _("Процесс"),
                _("Запущено"),
                _("Завершено"),
                _("Итоги"),
                _("Длительность, медиана, ч"),
                _("Длительность, 90-й перцентиль, ч"),
                _("С доработкой"),
                _("Доля доработок"),
            ],
            processes,
        ),
        (
            _("Шаги"),
            [
                _("Процесс"),
                _("Шаг"),
                _("Название"),
                _("Выполнено"),
                _("С опозданием"),
                _("Медиана, ч"),
                _("90-й перцентиль, ч"),
            ],
            steps,
        ),
    ]


def _xlsx(result: dict[str, Any]) -> bytes:
    return workbook(export_sheets(result))


def _csv(result: dict[str, Any]) -> str:
    """Semicolon-separated with a byte-order mark: what Excel in a Russian locale opens as is.
    One table after another, each with its own header line, separated by an empty line."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for index, (title, header, rows) in enumerate(export_sheets(result)):
        if index:
            writer.writerow([])
        writer.writerow([str(title)])
        writer.writerow([str(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else str(v) for v in row])
    return out.getvalue()
