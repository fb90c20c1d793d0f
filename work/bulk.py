"""Several assignments of «Автоматизация» at once: one decision for all of them, or one colleague.

The list's check boxes post their ids here. The first post shows what was chosen and the common
form (or the colleague picker); the second (``_apply``) runs :mod:`engine.bulk`, each assignment in
its own transaction, and shows a table: done, or refused with the reason the single action gives.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from base.errors import Invalid
from engine import bulk, forms
from engine.definitions import model_for
from engine.models import Assignment
from work import webforms
from work.present import prepare_fields

ACTIONS = ("complete", "delegate")


def _ids(request: HttpRequest) -> list[int]:
    """The chosen ids; anything that is not a plain positive number is refused, not skipped."""
    raw = request.POST.getlist("ids")
    if not all(value.isascii() and value.isdigit() and 0 < int(value) < 2**31 for value in raw):
        raise Invalid({"ids": [_("Выберите задания в списке.")]})
    return bulk.checked_ids(int(value) for value in raw)


def _form_of(assignment: Assignment | None) -> forms.FormDefinition:
    task = model_for(assignment.instance.process).user_tasks.get(assignment.key) if assignment else None
    return task.form if task else forms.FormDefinition()


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("errors", {})
    context.setdefault("title", _("Несколько заданий сразу"))
    context["back"] = request.POST.get("back", "")
    return render(request, "work/assignments_bulk.html", context, status=status)


def _results(result: bulk.BulkResult) -> list[dict[str, Any]]:
    """One row per id, in the order chosen: the assignment (when the caller sees it) and what happened."""
    titles = dict(
        Assignment.objects.filter(pk__in=result.done + [f.id for f in result.failed]).values_list("pk", "title")
    )
    rows = [{"id": pk, "title": titles.get(pk), "done": True, "reason": ""} for pk in result.done]
    for failure in result.failed:
        reasons = [failure.detail, *(m for messages in (failure.errors or {}).values() for m in messages)]
        seen = failure.status != 404
        rows.append(
            {
                "id": failure.id,
                "title": titles.get(failure.id) if seen else None,
                "done": False,
                "reason": " ".join(reasons),
            }
        )
    return rows


@require_POST
def assignments_bulk(request: HttpRequest) -> HttpResponse:
    """Choose (the common form, or the colleague), then ``_apply``: each in its own transaction."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise Invalid({"action": [_("Выберите, что сделать с заданиями.")]})
    try:
        ids = _ids(request)
        found, _hidden = bulk.visible(request.user, ids)
        common = bulk.common_form(found) if action == "complete" else None
    except Invalid as error:
        return _page(request, {"refusal": " ".join(m for ms in error.errors.values() for m in ms)}, status=400)
    form_def = _form_of(common)
    context: dict[str, Any] = {"action": action, "ids": ids, "chosen": found}
    if request.POST.get("_apply"):
        try:
            if action == "complete":
                data = webforms.parse_post(form_def, request.POST)
                result = bulk.complete_many(ids, by=request.user, data=data)
            else:
                to = request.POST.get("to", "").strip()
                result = bulk.delegate_many(ids, by=request.user, to=to, comment=request.POST.get("comment", ""))
        except Invalid as error:
            context["errors"] = error.errors
        else:
            refused_input = [f.errors for f in result.failed if f.status == 400 and f.errors]
            if not result.done and refused_input and len(refused_input) == len(result.failed):
                context["errors"] = refused_input[0]  # the form itself is wrong: show it again, marked
            else:
                context["results"] = _results(result)
                context["done_count"] = len(result.done)
                return _page(request, context)
    if action == "complete":
        values = webforms.parse_post(form_def, request.POST)
        fields = prepare_fields(forms.to_api(form_def, values), context.get("errors", {}))
        context.update(fields=fields, has_buttons=any(f["widget"] == "buttons" for f in fields))
    context["values"] = request.POST
    return _page(request, context, status=400 if context.get("errors") else 200)
