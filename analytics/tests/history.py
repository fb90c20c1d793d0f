"""A history built by walking processes under a controlled clock, with figures known by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from base.errors import Invalid
from engine import actions
from engine.models import Assignment, AssignmentStatus, Instance

URL = "https://docs.example.com/discounts"
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
END_OF_APRIL = datetime.fromisoformat("2026-04-30T12:00:00+00:00")


class Walk:
    """Drives processes through the service layer with the clock set for every step."""

    def __init__(self, demo: dict[str, Any], time_machine: Any) -> None:
        self.demo = demo
        self.clock = time_machine

    def at(self, moment: str) -> None:
        self.clock.move_to(datetime.fromisoformat(moment), tick=False)

    def start(self, key: str, moment: str, by: str = "manager1") -> Instance:
        self.at(moment)
        # A start sets only what its process declares: of the test processes, t_approval takes a quarter.
        variables = {"quarter": "2026-Q2"} if key == "t_approval" else {}
        return actions.start(key, by=self.demo[by].user, variables=variables)

    def open(self, instance: Instance, key: str) -> Assignment:
        return Assignment.objects.get(instance=instance, key=key, status=AssignmentStatus.OPEN)

    def do(self, instance: Instance, key: str, moment: str, by: str, **data: Any) -> None:
        self.at(moment)
        actions.complete(self.open(instance, key).pk, by=self.demo[by].user, data=data)

    def refused(self, instance: Instance, key: str, moment: str, by: str, **data: Any) -> None:
        self.at(moment)
        with pytest.raises(Invalid):
            actions.complete(self.open(instance, key).pk, by=self.demo[by].user, data=data)


def approved_once(walk: Walk, started: str, attached: str, approved: str) -> Instance:
    """A t_approval instance whose document is attached (sales_head) and approved at the first try
    (director), at the three moments given."""
    instance = walk.start("t_approval", started)
    walk.do(instance, "attach", attached, "sales_head", document_url=URL)
    walk.do(instance, "approve_doc", approved, "director", decision="approve")
    return instance


def approve_card(walk: Walk, card: Instance, by_manager: str, by_finance: str) -> None:
    """A submitted t_cards card approved by the line manager (sales_head), then by finance (findir)."""
    walk.do(card, "manager_approval", by_manager, "sales_head", decision="approve")
    walk.do(card, "finance_approval", by_finance, "findir", decision="approve")


def approval_history(walk: Walk) -> dict[str, Instance]:
    """t_approval: attach (sales_head, P3D) → approve_doc (director, P2D working days) → revise loop.

    Cycle times (finished_at − started_at) and step times (completed_at − created_at), in hours:
      A  attach 10, approve 20                         finished 7 Apr   cycle 30
      B  attach 2, approve 4 (reject), revise 24,
         approve 6                                     finished 7 Apr   cycle 36   (rework)
      C  attach 80 (due 72: late), approve 72
         (due Tue 14 Apr, working days: in time)       finished 13 Apr  cycle 152
      D  started 20 Apr, attach still open, due 23 Apr                  (running, overdue now)
      E  started 30 Mar, finished 31 Mar 23:30 Moscow (20:30 UTC): March  cycle 38.5
      F  started 31 Mar, attach in March (2h); approve 13.5h, finished 1 Apr 00:30 Moscow
         (31 Mar 21:30 UTC): April                                     cycle 15.5
    """
    a = approved_once(walk, "2026-04-06T06:00:00+00:00", "2026-04-06T16:00:00+00:00", "2026-04-07T12:00:00+00:00")

    b = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    walk.do(b, "attach", "2026-04-06T08:00:00+00:00", "sales_head", document_url=URL)
    # a refused decision (no comment) is history, not a card error, and changes no figure
    walk.refused(b, "approve_doc", "2026-04-06T11:00:00+00:00", "director", decision="reject")
    walk.do(b, "approve_doc", "2026-04-06T12:00:00+00:00", "director", decision="reject", comment="Мало")
    walk.do(b, "revise", "2026-04-07T12:00:00+00:00", "sales_head", document_url=URL + "-2")
    walk.do(b, "approve_doc", "2026-04-07T18:00:00+00:00", "director", decision="approve")

    c = approved_once(walk, "2026-04-07T06:00:00+00:00", "2026-04-10T14:00:00+00:00", "2026-04-13T14:00:00+00:00")

    d = walk.start("t_approval", "2026-04-20T06:00:00+00:00")

    e = approved_once(walk, "2026-03-30T06:00:00+00:00", "2026-03-30T08:00:00+00:00", "2026-03-31T20:30:00+00:00")
    f = approved_once(walk, "2026-03-31T06:00:00+00:00", "2026-03-31T08:00:00+00:00", "2026-03-31T21:30:00+00:00")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
