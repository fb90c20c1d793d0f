"""When a reviewer sends work back: the notice reads «Возвращено на доработку: <причина> — <кто>»,
not «Новое задание: «Внести правки…»», which says neither that the work came back nor why.

Notify knows no process (``notify.handlers.SENT_BACK``); this rule knows ours: a rework step
(``names.REWORK_STEPS``) opened right after a refusal (``decision`` «Не согласовать», or the finance
director's ``reason`` «На доработку»).
"""

from __future__ import annotations

from typing import Any

from engine.models import AssignmentStatus
from notify.handlers import sent_back
from org.models import Employee
from processes.names import DECISION_REJECT, REASON_NEEDS_CHANGES, REWORK_STEPS


@sent_back
def reviewer_sent_it_back(assignment: Any, instance: Any) -> tuple[str, Employee | None] | None:
    """The reviewer's comment and the reviewer, when ``assignment`` reworks what they refused."""
    if assignment.key not in REWORK_STEPS:
        return None
    last = (
        instance.assignments.filter(status=AssignmentStatus.DONE)
        .exclude(pk=assignment.pk)
        .select_related("completed_by")
        .order_by("-completed_at", "-pk")
        .first()
    )
    data = (last.data or {}) if last is not None else {}
    if data.get("decision") != DECISION_REJECT and data.get("reason") != REASON_NEEDS_CHANGES:
        return None
    return str(data.get("comment") or ""), last.completed_by
