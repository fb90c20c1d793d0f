"""Absences (api.md «Absences»): list, enter, take back. Thin over ``org.absences``, the functions the
page «Отсутствия» calls too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from api.schemas import Day, Id, Page, PageQuery, links, page_of, refusals
from base import clock, listing
from org import absences
from org.models import Absence, AbsenceReason

router = Router(tags=["absences"])

Username = Field(max_length=150, description="Имя пользователя.")


class AbsenceOut(Schema):
    """An absence: who is away on which days (both included, by the company's calendar) and who
    takes their work."""

    id: int
    employee: str = Field(description="Отсутствующий сотрудник (имя пользователя).")
    employee_name: str = Field(description="Его ФИО.")
    starts: date = Field(description="Первый день отсутствия.")
    ends: date = Field(description="Последний день отсутствия.")
    substitute: str = Field(description="Кто замещает (имя пользователя).")
    substitute_name: str = Field(description="ФИО замещающего.")
    reason: AbsenceReason
    created_by: str | None = Field(description="Кто внёс (имя пользователя); null — администратор без сотрудника.")
    created_at: datetime
    active: bool = Field(description="Действует ли сегодня.")


class AbsenceIn(Schema):
    employee: str = Username
    starts: Day
    ends: Day
    substitute: str = Username
    reason: AbsenceReason


class AbsenceQuery(PageQuery):
    """The parameters of ``GET /absences``: what ``org.absences.AbsenceFilter`` filters by."""

    employee: str | None = Field(None, max_length=150, description="Сотрудник: имя пользователя или me.")
    active: bool | None = Field(None, description="true — только действующие сегодня; false — только остальные.")

    def spec(self, request: HttpRequest) -> absences.AbsenceFilter:
        return absences.AbsenceFilter(employee=listing.username_of(self.employee, request.user), active=self.active)


def absence_out(absence: Absence, today: date | None = None) -> dict[str, Any]:
    today = today or absences.local_day()
    return {
        "id": absence.pk,
        "employee": absence.employee.username,
        "employee_name": absence.employee.full_name,
        "starts": absence.starts,
        "ends": absence.ends,
        "substitute": absence.substitute.username,
        "substitute_name": absence.substitute.full_name,
        "reason": absence.reason,
        "created_by": absence.created_by.username if absence.created_by else None,
        "created_at": absence.created_at,
        "active": absence.starts <= today <= absence.ends,
    }


@router.get("/absences", response={200: Page[AbsenceOut], **refusals(400)})
def list_absences(request: HttpRequest, query: Query[AbsenceQuery]) -> dict[str, Any]:
    """Absences the caller sees (their own, their reports', those they substitute in; all for an
    administrator), the latest first."""
    now = clock.now()
    today = absences.local_day(now)
    return page_of(query.window(query.spec(request).apply(request.user, now)), lambda a: absence_out(a, today))


@router.post(
    "/absences",
    response={201: AbsenceOut, **refusals(400, 403)},
    openapi_extra=links(201, absences_delete_absence={"absence_id": "$response.body#/id"}),
)
def create_absence(request: HttpRequest, payload: AbsenceIn) -> Status:
    """400 with the field errors (an overlap, a substitute who is inactive or the employee, a last
    day before the first); 403 unless the employee, a manager above them or an administrator."""
    absence = absences.create(by=request.user, **payload.dict())
    return Status(201, absence_out(absences.get_absence_for_user(request.user, absence.pk)))


@router.delete("/absences/{absence_id}", response={204: None, **refusals(400, 403, 404)})
def delete_absence(request: HttpRequest, absence_id: Id) -> Status:
    """204: an absence that has not started is deleted, one that has started ends today instead.
    404 for one the caller does not see; 403 for one they see but may not change (they substitute)."""
    absences.withdraw(absence_id, by=request.user)
    return Status(204, None)
