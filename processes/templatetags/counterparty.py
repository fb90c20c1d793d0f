"""Template helpers of the counterparty card form (``crm/card_form.html``) that know the process:
the reviewers' decisions shown above the form when a card comes back for changes (§2 step 4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from org import directory
from processes.names import (
    DECISION_APPROVE,
    DECISION_REJECT,
    REASON_NEEDS_CHANGES,
    REASON_NOT_NEEDED,
    REVIEW_STEPS,
)

register = template.Library()

_DECISIONS = {DECISION_APPROVE: gettext_noop("Согласовать"), DECISION_REJECT: gettext_noop("Не согласовать")}
_REASONS = {
    REASON_NEEDS_CHANGES: gettext_noop("На доработку"),
    REASON_NOT_NEEDED: gettext_noop("Контрагент не нужен"),
}


@register.simple_tag
def reviewer_comments(context: Any) -> list[dict[str, Any]]:
    """The reviewers' decisions with comments, newest first, for the revision form (§2 step 4)."""
    steps = (context or {}).get("steps") if isinstance(context, Mapping) else None
    comments = []
    for step in steps or []:
        key, title, person, at, data = _step_facts(step)
        if key not in REVIEW_STEPS or not (data.get("comment") or data.get("decision") == DECISION_REJECT):
            continue
        if isinstance(at, str):
            try:
                at = dt.datetime.fromisoformat(at)
            except ValueError:
                at = None
        verdict = _DECISIONS.get(data.get("decision")) or _REASONS.get(data.get("reason"))
        comments.append(
            {
                "title": title or key,
                "who": person,
                "at": at,
                "verdict": _(verdict) if verdict else "",
                "comment": data.get("comment") or "",
            }
        )
    comments.reverse()
    return comments


def _step_facts(step: Any) -> tuple[str, str, str, Any, Mapping[str, Any]]:
    """(key, title, who, when, data) of an earlier step, given as the API's dict (`completed_by` a
    username) or as the assignment page's {"assignment": Assignment, ...}."""
    assignment = step.get("assignment") if isinstance(step, Mapping) else None
    if assignment is not None and hasattr(assignment, "key"):
        who = assignment.completed_by.full_name if assignment.completed_by else ""
        return assignment.key, assignment.title, who, assignment.completed_at, assignment.data or {}
    if not isinstance(step, Mapping):
        return "", "", "", None, {}
    username = step.get("completed_by")
    person = directory.employee_by_username(username, active_only=False) if isinstance(username, str) else None
    who = person.full_name if person else (username or "")
    return step.get("key") or "", step.get("title") or "", who, step.get("completed_at"), step.get("data") or {}
