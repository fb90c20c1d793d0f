"""API endpoints: the department's figures (api.md, "Figures"), thin over ``analytics.figures``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from analytics import figures
from analytics.forms import check_filters
from base.errors import Forbidden, Invalid

router = Router(tags=["analytics"])


class Filters(Schema):
    """``?from=&to=&process=``: dates in Moscow, both included; empty means the last 90 days."""

    from_: date | None = Field(None, alias="from", description="первый день периода")
    to: date | None = Field(None, description="последний день периода, включительно")
    process: str | None = Field(None, description="ключ процесса")


@router.get("/analytics", summary="Показатели отдела за период")
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
