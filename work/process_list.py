"""«Процессы»: every deployed process with its diagram and schedule, and the start buttons."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from base import words
from base.errors import Conflict, Invalid
from engine import access, actions, queries
from engine.models import (
    AssignmentStatus,
    Schedule,
)
from org.access import employee_of
from work import diagram

# ------------------------------------------------------------------------------------------ processes


@require_GET
def processes(request: HttpRequest) -> HttpResponse:
    """Every deployed process: version, diagram, schedule, and a start button for those who may."""
    definitions = queries.deployed_processes()
    schedules = {s.definition_id: s for s in Schedule.objects.all()}
    items = []
    for d in definitions:
        props = d.current.properties or {}
        schedule = schedules.get(d.pk)
        manual = str(props.get("manual_start", "")).lower() == "true"
        items.append(
            {
                "definition": d,
                "version": d.current,
                "svg": diagram.svg_or_none(d.current.xml),
                "schedule": schedule,
                "starts": _starts(schedule, manual=manual),
                "schedule_quarter": props.get("schedule_quarter"),
                "may_start": access.may_start(request.user, d),
                "asks_quarter": props.get("unique_by") == "quarter",
                "description": props.get("description", ""),
            }
        )
    return render(request, "work/processes.html", {"items": items})


def _starts(schedule: Schedule | None, *, manual: bool) -> str:
    """When the process starts, in words: «ежеквартально, в первый рабочий день января, апреля,
    июля и октября в 09:00 (МСК); можно запустить вручную» (``base.words.schedule``)."""
    if schedule is None or not schedule.enabled:
        return _("только вручную")
    return words.schedule(schedule.cron, schedule.tz, first_working_day=schedule.first_working_day, manual=manual)


@require_POST
def process_start(request: HttpRequest, key: str) -> HttpResponse:
    """Start a process by hand; the starter lands on their first assignment when there is one."""
    variables = {}
    quarter = request.POST.get("quarter", "").strip()
    if quarter:
        variables["quarter"] = quarter
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    try:
        started = actions.start(key, by=request.user, variables=variables)
    except Invalid as error:
        for field_id, problems in error.errors.items():
            for problem in problems:
                messages.error(request, f"{field_id}: {problem}")
        return redirect(back or "processes")
    except Conflict as error:
        messages.error(request, error.message)
        return redirect(back or "processes")
    messages.success(request, _("Процесс «%(title)s» запущен.") % {"title": started.title})
    me = employee_of(request.user)
    first = started.assignments.filter(status=AssignmentStatus.OPEN, assignee=me).order_by("pk").first() if me else None
    if first is not None:
        return redirect("assignment", pk=first.pk)
    return redirect("instance", pk=started.pk)
