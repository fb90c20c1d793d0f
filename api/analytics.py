"""API endpoints: the department's figures (api.md, "Figures"), thin over ``analytics.figures``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from analytics import figures
from analytics.forms import check_filters
from api.schemas import Day, refusals
from base.errors import Forbidden, Invalid

router = Router(tags=["analytics"])

HOURS = "Часы, с точностью до 0,01; null — нечего измерять."
SHARE = "Доля от 0 до 1; null — нечего делить."
RATIO = "«Было / стало»: 2,3 — в 2,3 раза лучше; null — сравнивать не с чем."


class Filters(Schema):
    """``?from=&to=&process=``: dates in Moscow, both included; empty means the last 90 days."""

    from_: Day | None = Field(None, alias="from", description="первый день периода")
    to: Day | None = Field(None, description="последний день периода, включительно")
    process: str | None = Field(None, description="ключ процесса")


# ---------------------------------------------------------------- the shape of figures.compute()


class PeriodOut(Schema):
    from_: str = Field(alias="from", description="Первый день (ISO 8601).")
    to: str = Field(description="Последний день, включительно (ISO 8601).")


class CycleHours(Schema):
    """Cycle time (finished − started) of the instances finished in the period."""

    median: float | None = Field(description=HOURS)
    p90: float | None = Field(description=HOURS)


class StepFigures(Schema):
    """One step of a process: its assignments completed in the period."""

    key: str
    title: str
    median_hours: float | None = Field(description=HOURS)
    p90_hours: float | None = Field(description=HOURS)
    count: int
    late: int = Field(description="Сколько выполнено после срока.")


class ProcessFigures(Schema):
    process: str = Field(description="Ключ процесса.")
    name: str
    started: int
    finished: int
    outcomes: dict[str, int] = Field(description="Завершённые в периоде по итогу.")
    cycle_hours: CycleHours
    steps: list[StepFigures]
    reworked: int = Field(description="Завершённые, что возвращались на доработку.")
    rework_rate: float | None = Field(description=SHARE)


class AssignmentFigures(Schema):
    completed: int
    completed_late: int
    overdue_share: float | None = Field(description=SHARE)
    open: int
    open_overdue: int


class CardFigures(Schema):
    submitted: int
    returned_for_changes: int
    errors_caught_at_entry: int


class Orphans(Schema):
    """Work nobody can move; both counts must stay 0."""

    assignments: int = Field(description="Открытые задания неактивных сотрудников.")
    instances: int = Field(description="Идущие процессы, которым нечего ждать.")
    assignment_ids: list[int] = Field(description=f"Первые {figures.ORPHAN_IDS_SHOWN} из них.")
    instance_ids: list[int] = Field(description=f"Первые {figures.ORPHAN_IDS_SHOWN} из них.")


class DocumentFigures(Schema):
    """Stored files (``files``) and the last integrity check (``manage.py verify_files``)."""

    stored: int = Field(description="Сколько файлов хранится (все версии всех документов).")
    missing: int = Field(description="Не найдены в хранилище при последней проверке; должно быть 0.")
    changed: int = Field(description="Содержимое не совпало с SHA-256 при последней проверке; должно быть 0.")
    unchecked: int = Field(description="Ещё не проверялись (загружены после последней проверки).")
    checked_at: str | None = Field(description="Когда файлы проверялись последний раз (ISO 8601); null — ни разу.")


class Approvals(Schema):
    count: int = Field(description="Завершённые в периоде с решением (согласовано или отклонено).")
    mean_days: float | None = Field(description="Средний срок, в днях.")


class BaselineOut(Schema):
    """The figures from before Soglasie, entered by an administrator."""

    avg_approval_days: float
    overdue_share_pct: float
    card_error_rate_pct: float
    manual_minutes_per_approval: float
    updated_at: str = Field(description="Когда изменены (ISO 8601).")


class VsBaseline(Schema):
    approval_speed: float | None = Field(description=RATIO)
    current_approval_days: float | None
    overdue_share_ratio: float | None = Field(description=RATIO)
    current_overdue_share_pct: float | None
    card_errors_ratio: float | None = Field(description=RATIO)
    current_card_error_rate_pct: float | None
    approvals: int
    approvals_per_month: float
    hours_saved_per_month: float
    period_days: int


class FiguresOut(Schema):
    """``analytics.figures.compute()``; the definitions are in docs/analytics.md."""

    period: PeriodOut
    process: str | None = Field(description="Ключ процесса, если показатели только по нему.")
    generated_at: str = Field(description="Когда посчитаны (ISO 8601).")
    processes: list[ProcessFigures]
    assignments: AssignmentFigures
    cards: CardFigures
    orphans: Orphans
    documents: DocumentFigures
    approvals: Approvals
    baseline: BaselineOut | None = Field(description="null — не заданы.")
    vs_baseline: VsBaseline | None = Field(description="null — базовые показатели не заданы.")


@router.get(
    "/analytics", summary="Показатели отдела за период", response={200: FiguresOut, **refusals(400, 403)}, by_alias=True
)
def analytics(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    """Computed on every request from the engine's history; default period: the last 90 days.

    Directors, the finance director, the head of sales and administrators only (403 otherwise).
    """
    if not figures.may_see_figures(request.user):
        raise Forbidden(_("Показатели доступны директорам, руководителю отдела продаж и администраторам."))
    errors = check_filters(filters.from_, filters.to, filters.process)
    if errors:
        raise Invalid(errors)
    return figures.compute(filters.from_, filters.to, filters.process or None)
