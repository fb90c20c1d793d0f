"""Absences and substitutes: who is away on which days, and who takes their work meanwhile.

An absence covers whole days in the company's time zone (``settings.TIME_ZONE``, Europe/Moscow),
the first and the last included. The engine asks two questions here: who actually takes work the
rules give to someone on a day (:func:`taker`: the substitution chain), and which absences begin
by now and have not yet handed their work over (:func:`due_to_start`). Entering and ending
absences (:func:`create`, :func:`withdraw`) check who may and refuse with a sentence by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from base import clock, texts
from base.errors import Forbidden, Invalid, NotFound
from org import directory
from org.access import employee_of, is_administrator
from org.models import Absence, AbsenceReason, Employee


def local_day(moment: datetime | None = None) -> date:
    """The company's calendar day at ``moment`` (now by default): absences begin at its 00:00."""
    return (moment or clock.now()).astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def holding(day: date) -> Q:
    """The absences that hold on ``day``."""
    return Q(starts__lte=day, ends__gte=day)


def absence_on(employee_id: int, day: date) -> Absence | None:
    """The absence of one employee that holds on ``day`` (absences of one person never overlap),
    with its substitute and their user.

    Every step that assigns work asks this, and nearly always nobody is away: the plain query
    first, the substitute's row only for an absence found (the join cost more to compose than the
    lean query takes to run).
    """
    absence = Absence.objects.filter(holding(day), employee_id=employee_id).order_by("pk").first()
    if absence is not None:
        absence.substitute = Employee.objects.select_related("user").get(pk=absence.substitute_id)
    return absence


def taker(employee: Employee, day: date) -> Employee:
    """Who actually takes work the rules give to ``employee`` on ``day``.

    Not absent: the employee. Absent: their substitute; a substitute absent too passes it on to
    their own substitute, and so on. A chain that loops back or ends at someone who no longer works
    here sends the work to the absent employee's line manager (or, with none, leaves it with them:
    work never goes to nobody).
    """
    absence = absence_on(employee.pk, day)
    if absence is None:
        return employee
    seen = {employee.pk}
    node = absence.substitute
    while node.pk not in seen and node.is_active and node.user.is_active:
        further = absence_on(node.pk, day)
        if further is None:
            return node
        seen.add(node.pk)
        node = further.substitute
    return directory.line_manager(employee) or employee


def due_to_start(now: datetime, limit: int = 1000) -> list[int]:
    """Absences holding on the company's day at ``now`` whose work has not been handed over yet."""
    return list(
        Absence.objects.filter(holding(local_day(now)), moved_at__isnull=True)
        .order_by("starts", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# --------------------------------------------------------------------------- who may see and enter


def may_enter_for(user: Any, employee: Employee) -> bool:
    """The employee themselves, a manager above them in the org chart, or an administrator."""
    if is_administrator(user):
        return True
    me = employee_of(user)
    return me is not None and (me.pk == employee.pk or directory.is_above(me, employee))


def enterable_for(user: Any) -> QuerySet[Employee]:
    """The active people ``user`` may enter an absence for (the form's employee picker)."""
    people = directory.active_employees().order_by("full_name")
    if is_administrator(user):
        return people
    me = employee_of(user)
    if me is None:
        return people.none()
    return people.filter(pk__in=[me.pk, *(e.pk for e in directory.reports_of(me))])


def visible_absences(user: Any) -> QuerySet[Absence]:
    """Absences ``user`` sees: their own, their reports', those they substitute in; all for an
    administrator."""
    rows = Absence.objects.select_related("employee__user", "substitute__user", "created_by__user")
    if is_administrator(user):
        return rows
    me = employee_of(user)
    if me is None:
        return rows.none()
    reports = [e.pk for e in directory.reports_of(me)]
    return rows.filter(Q(employee=me) | Q(employee__in=reports) | Q(substitute=me))


@dataclass
class AbsenceFilter:
    """The one filter of the absence lists (the page and ``GET /api/v1/absences``)."""

    employee: str = ""  # a username, or "" for everyone visible
    active: bool | None = None  # True: holding today; False: not holding today

    def apply(self, user: Any, now: datetime | None = None) -> QuerySet[Absence]:
        rows = visible_absences(user)
        if self.employee:
            rows = rows.filter(employee__user__username=self.employee)
        if self.active is not None:
            today = holding(local_day(now))
            rows = rows.filter(today) if self.active else rows.exclude(today)
        return rows.order_by("-starts", "-pk")


def get_absence_for_user(user: Any, pk: int) -> Absence:
    absence = visible_absences(user).filter(pk=pk).first()
    if absence is None:
        raise NotFound(_("Отсутствие не найдено."))
    return absence


# --------------------------------------------------------------------------- entering and ending


def default_substitute(employee: Employee) -> Employee | None:
    """The substitute the form offers first: the employee's permanent deputy, if still working."""
    deputy = employee.deputy
    return deputy if deputy is not None and deputy.is_active else None


def problems(employee: Employee, starts: date, ends: date, substitute: Employee | None) -> dict[str, list[str]]:
    """What is wrong with an absence, by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    for name, day in (("starts", starts), ("ends", ends)):
        problem = texts.day_problem(day)
        if problem:
            errors[name] = [problem]
    if errors:
        return errors
    if ends < starts:
        errors["ends"] = [_("Последний день не может быть раньше первого.")]
    if substitute is not None and substitute.pk == employee.pk:
        errors["substitute"] = [_("Сотрудник не может замещать сам себя: выберите другого.")]
    elif substitute is not None and not (substitute.is_active and substitute.user.is_active):
        errors["substitute"] = [
            _("%(name)s больше не работает в компании: выберите другого замещающего.") % {"name": substitute.full_name}
        ]
    if "ends" not in errors:
        clash = Absence.objects.filter(employee=employee, starts__lte=ends, ends__gte=starts).order_by("starts").first()
        if clash is not None:
            errors["starts"] = [
                _("У сотрудника %(name)s уже есть отсутствие с %(starts)s по %(ends)s: периоды не могут пересекаться.")
                % {
                    "name": employee.full_name,
                    "starts": clash.starts.strftime("%d.%m.%Y"),
                    "ends": clash.ends.strftime("%d.%m.%Y"),
                }
            ]
    return errors


def _not_theirs() -> Forbidden:
    return Forbidden(_("Отсутствие может внести или изменить сам сотрудник, его руководитель или администратор."))


def create(*, by: Any, employee: str, starts: date, ends: date, substitute: str, reason: str) -> Absence:
    """Enter an absence. Refusals: ``Invalid`` by field (unknown people, the dates, the substitute,
    an overlap), ``Forbidden`` unless the caller may enter for that employee.

    The employee's row is locked while the overlap is checked, so two requests entering
    overlapping absences of one person at once cannot both succeed.
    """
    errors: dict[str, list[str]] = {}
    person = directory.employee_by_username(employee or "")
    if person is None:
        errors["employee"] = [_("Сотрудник не найден или неактивен")]
    deputy = directory.employee_by_username(substitute or "", active_only=False)
    if deputy is None:
        errors["substitute"] = [_("Сотрудник не найден или неактивен")]
    if reason not in AbsenceReason.values:
        errors["reason"] = [_("Допустимо: %(values)s") % {"values": ", ".join(AbsenceReason.values)}]
    if person is not None and not may_enter_for(by, person):
        raise _not_theirs()
    with transaction.atomic():
        if person is not None:
            person = Employee.objects.select_for_update().select_related("user").get(pk=person.pk)
            for name, messages in problems(person, starts, ends, deputy).items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise Invalid(errors)
        return Absence.objects.create(
            employee=person,
            starts=starts,
            ends=ends,
            substitute=deputy,
            reason=reason,
            created_by=employee_of(by),
            created_at=clock.now(),
        )


def withdraw(absence_id: int, *, by: Any) -> Absence | None:
    """Take an absence back: one that has not started is deleted (None is returned); one that has
    started ends today instead (work already handed over stays with the substitute until they hand
    it back); one that is over stays as it was, for the record."""
    with transaction.atomic():
        absence = get_absence_for_user(by, absence_id)
        if not may_enter_for(by, absence.employee):
            raise _not_theirs()
        absence = Absence.objects.select_for_update().get(pk=absence.pk)
        today = local_day()
        if absence.starts > today:
            absence.delete()
            return None
        if absence.ends > today:
            absence.ends = today
            absence.save(update_fields=["ends"])
        return absence
