"""The figures over a history built by walking processes under a controlled clock.

Every expected number below is worked out by hand from the walk (see the comments), so a change
in a definition (docs/analytics.md) or in a query shows up as a failing assertion.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from analytics import figures
from analytics.models import Baseline
from analytics.tests.flows import deploy_card_process
from analytics.tests.history import APRIL, END_OF_APRIL, Walk, approval_history, approve_card
from engine.models import Assignment, AssignmentStatus
from org import directory
from org.models import Employee


def process_row(result: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in result["processes"] if p["process"] == key)


def test_cycle_times_percentiles_rework_and_lateness_known_by_hand(processes, demo, time_machine):
    approval_history(Walk(demo, time_machine))
    result = figures.compute(*APRIL, now=END_OF_APRIL)

    assert result["period"] == {"from": "2026-04-01", "to": "2026-04-30"}
    row = process_row(result, "t_approval")
    assert row["started"] == 4  # A, B, C, D (E and F started in March)
    assert row["finished"] == 4  # A, B, C and F (F finished on 1 April, Moscow time)
    assert row["outcomes"] == {"approved": 4}
    # cycles [15.5, 30, 36, 152]: nearest rank ⌈0.5·4⌉ = 2 → 30; ⌈0.9·4⌉ = 4 → 152
    assert row["cycle_hours"] == {"median": 30.0, "p90": 152.0}
    steps = {s["key"]: s for s in row["steps"]}
    assert [s["key"] for s in row["steps"]] == ["attach", "approve_doc", "revise"]  # the file's order
    # attach [2, 10, 80] (F's was in March): ranks 2 and 3
    assert (steps["attach"]["count"], steps["attach"]["median_hours"], steps["attach"]["p90_hours"]) == (3, 10, 80)
    assert steps["attach"]["late"] == 1
    # approve_doc [4, 6, 13.5, 20, 72]: ranks ⌈2.5⌉ = 3 and ⌈4.5⌉ = 5
    approve = steps["approve_doc"]
    assert (approve["count"], approve["median_hours"], approve["p90_hours"], approve["late"]) == (5, 13.5, 72, 0)
    assert (steps["revise"]["count"], steps["revise"]["median_hours"], steps["revise"]["p90_hours"]) == (1, 24, 24)
    assert row["reworked"] == 1 and row["rework_rate"] == 0.25  # B of A, B, C, F

    assert result["assignments"] == {
        "completed": 9,
        "completed_late": 1,  # C's attach: 80 h against a 72 h due date
        "overdue_share": round(1 / 9, 4),
        "open": 1,
        "open_overdue": 1,  # D's attach, due 23 April
    }
    assert result["cards"] == {"submitted": 0, "returned_for_changes": 0, "errors_caught_at_entry": 0}
    assert result["orphans"]["assignments"] == 0 and result["orphans"]["instances"] == 0
    assert result["approvals"] == {"count": 4, "mean_days": round((15.5 + 30 + 36 + 152) / 4 / 24, 2)}
    assert result["baseline"] is None and result["vs_baseline"] is None

    # before D's deadline nothing open is overdue
    assert (
        figures.compute(*APRIL, now=datetime.fromisoformat("2026-04-22T12:00:00+00:00"))["assignments"]["open_overdue"]
        == 0
    )


def test_period_bounds_are_moscow_dates(processes, demo, time_machine):
    approval_history(Walk(demo, time_machine))
    march = process_row(figures.compute(date(2026, 3, 1), date(2026, 3, 31), now=END_OF_APRIL), "t_approval")
    # E finished 31 March 23:30 Moscow: March; F at 00:30 on 1 April: not March
    assert (march["started"], march["finished"], march["cycle_hours"]) == (2, 1, {"median": 38.5, "p90": 38.5})
    assert {s["key"]: s["count"] for s in march["steps"]} == {"attach": 2, "approve_doc": 1}
    one_day = process_row(figures.compute(date(2026, 4, 7), date(2026, 4, 7), now=END_OF_APRIL), "t_approval")
    assert (one_day["started"], one_day["finished"]) == (1, 2)  # C started; A and B finished


def test_filter_by_process_and_empty_periods(processes, demo, time_machine):
    walk = Walk(demo, time_machine)
    approval_history(walk)
    p = walk.start("t_parallel", "2026-04-08T06:00:00+00:00")
    walk.do(p, "left", "2026-04-08T07:00:00+00:00", "sales_admin")
    walk.do(p, "right", "2026-04-08T09:00:00+00:00", "accountant")
    walk.do(p, "final", "2026-04-08T10:00:00+00:00", "director")

    everything = figures.compute(*APRIL, now=END_OF_APRIL)
    parallel = process_row(everything, "t_parallel")
    assert parallel["cycle_hours"] == {"median": 4.0, "p90": 4.0}
    assert parallel["outcomes"] == {"completed": 1} and parallel["rework_rate"] == 0.0
    assert everything["assignments"]["completed"] == 12

    only = figures.compute(*APRIL, process="t_parallel", now=END_OF_APRIL)
    assert [p["process"] for p in only["processes"]] == ["t_parallel"]
    assert only["assignments"] == {
        "completed": 3,
        "completed_late": 0,
        "overdue_share": 0.0,
        "open": 0,
        "open_overdue": 0,
    }
    empty = process_row(figures.compute(date(2025, 1, 1), date(2025, 1, 31), now=END_OF_APRIL), "t_approval")
    assert empty["cycle_hours"] == {"median": None, "p90": None}
    assert (empty["started"], empty["finished"], empty["rework_rate"], empty["steps"]) == (0, 0, None, [])


def test_rework_by_a_repeated_step_without_a_revision_step(processes, demo, time_machine):
    """Without a revision step, an instance is reworked when a step key occurs twice in it: two
    t_parallel instances, one with a repeated «final» row (as «Отправить документы» again after «Нет»
    in bonus_agreements)."""
    walk = Walk(demo, time_machine)
    first = walk.start("t_parallel", "2026-04-08T06:00:00+00:00")
    second = walk.start("t_parallel", "2026-04-08T06:00:00+00:00")
    for instance in (first, second):
        walk.do(instance, "left", "2026-04-08T07:00:00+00:00", "sales_admin")
        walk.do(instance, "right", "2026-04-08T08:00:00+00:00", "accountant")
    # a repeated step, as «Отправить документы» again after «Нет» in bonus_agreements
    earlier = walk.open(second, "final")
    Assignment.objects.create(
        instance=second,
        task_id="repeat-final",
        key="final",
        title="Итог",
        assignee=demo["director"],
        status=AssignmentStatus.CANCELLED,
        created_at=earlier.created_at,
        completed_at=earlier.created_at,
    )
    for instance in (first, second):
        walk.do(instance, "final", "2026-04-08T09:00:00+00:00", "director")
    row = process_row(figures.compute(*APRIL, process="t_parallel", now=END_OF_APRIL), "t_parallel")
    assert (row["finished"], row["reworked"], row["rework_rate"]) == (2, 1, 0.5)


def test_cards_submitted_returned_and_refused_at_entry(demo, time_machine):
    """K1: refused once (no name), submitted, approved twice.
    K2: submitted; manager rejects (returned 1); revise refused once; resubmitted; manager approves;
        finance rejects; reason needs_changes (returned 2); resubmitted; approved by both.
    K3: stopped at the first step (not a submission).
    Submitted 1 + 3 = 4, returned 2, refused at entry 2; rework: K2 of three."""
    deploy_card_process()
    walk = Walk(demo, time_machine)
    k1 = walk.start("t_cards", "2026-04-06T06:00:00+00:00")
    walk.refused(k1, "fill_card", "2026-04-06T07:00:00+00:00", "manager1", action="submit")
    walk.do(k1, "fill_card", "2026-04-06T08:00:00+00:00", "manager1", name="ООО Ромашка", action="submit")
    approve_card(walk, k1, "2026-04-06T09:00:00+00:00", "2026-04-06T10:00:00+00:00")

    k2 = walk.start("t_cards", "2026-04-07T06:00:00+00:00")
    walk.do(k2, "fill_card", "2026-04-07T07:00:00+00:00", "manager1", name="ООО Лютик", action="submit")
    walk.do(k2, "manager_approval", "2026-04-07T08:00:00+00:00", "sales_head", decision="reject", comment="ИНН")
    walk.refused(k2, "revise_card", "2026-04-07T09:00:00+00:00", "manager1", name="", action="submit")
    walk.do(k2, "revise_card", "2026-04-07T10:00:00+00:00", "manager1", name="ООО Лютик", action="submit")
    walk.do(k2, "manager_approval", "2026-04-07T11:00:00+00:00", "sales_head", decision="approve")
    walk.do(k2, "finance_approval", "2026-04-07T12:00:00+00:00", "findir", decision="reject", comment="Лимит")
    walk.do(k2, "rejection_reason", "2026-04-07T13:00:00+00:00", "findir", reason="needs_changes")
    walk.do(k2, "revise_card", "2026-04-07T14:00:00+00:00", "manager1", name="ООО Лютик", action="submit")
    approve_card(walk, k2, "2026-04-07T15:00:00+00:00", "2026-04-07T16:00:00+00:00")

    k3 = walk.start("t_cards", "2026-04-08T06:00:00+00:00")
    walk.do(k3, "fill_card", "2026-04-08T07:00:00+00:00", "manager1", name="ООО Ирис", action="stop")

    result = figures.compute(*APRIL, now=END_OF_APRIL)
    assert result["cards"] == {"submitted": 4, "returned_for_changes": 2, "errors_caught_at_entry": 2}
    row = process_row(result, "t_cards")
    assert row["outcomes"] == {"approved": 2, "stopped": 1}
    assert (row["reworked"], row["rework_rate"]) == (1, round(1 / 3, 4))
    assert result["approvals"]["count"] == 2  # a stop is not a decision
    assert figures.compute(*APRIL, process="t_approval", now=END_OF_APRIL)["cards"]["submitted"] == 0


def test_orphans_stay_zero_through_deactivation_and_raise_the_alarm_when_bypassed(processes, demo, time_machine):
    walk = Walk(demo, time_machine)
    approval = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    task_step = walk.start("t_task_step", "2026-04-06T06:00:00+00:00")  # waits on a plain task
    reminder = walk.start("t_reminder", "2026-04-06T06:00:00+00:00")  # an assignment and a timer
    assert figures.orphans() == {"assignments": 0, "instances": 0, "assignment_ids": [], "instance_ids": []}

    # deactivation the proper way: the engine hands attach to the line manager (the director)
    directory.deactivate(demo["sales_head"], by=demo["admin"])
    attach = walk.open(approval, "attach")
    assert attach.assignee == demo["director"]
    assert figures.orphans()["assignments"] == 0 and figures.orphans()["instances"] == 0

    # the same without reassignment: an inactive assignee is an orphan
    Employee.objects.filter(pk=demo["sales_admin"].pk).update(is_active=False)
    send = walk.open(reminder, "send")
    assert send.assignee == demo["sales_admin"]
    found = figures.orphans()
    assert (found["assignments"], found["assignment_ids"], found["instances"]) == (1, [send.pk], 0)

    # an instance left with nothing to wait for: its only open assignment closed behind its back
    Assignment.objects.filter(pk=attach.pk).update(status=AssignmentStatus.CANCELLED)
    found = figures.orphans()
    assert (found["instances"], found["instance_ids"]) == (1, [approval.pk])
    # the reminder instance still has its timer, the task step its task: neither is an orphan
    Assignment.objects.filter(pk=send.pk).update(status=AssignmentStatus.CANCELLED)
    assert figures.orphans()["instances"] == 1
    assert task_step.pk not in figures.orphans()["instance_ids"]
    # the alarm is part of every figure set, whatever the filter
    assert figures.compute(*APRIL, process="t_parallel", now=END_OF_APRIL)["orphans"]["instances"] == 1


def _save_baseline(**values: str) -> None:
    Baseline(**{field: Decimal(value) for field, value in values.items()}).save()


def test_baseline_ratios_and_hours_saved(processes, demo, time_machine):
    approval_history(Walk(demo, time_machine))
    _save_baseline(
        avg_approval_days="7", overdue_share_pct="30", card_error_rate_pct="20", manual_minutes_per_approval="45"
    )
    result = figures.compute(*APRIL, now=END_OF_APRIL)
    assert result["baseline"]["avg_approval_days"] == 7.0
    vs = result["vs_baseline"]
    # approvals: 4 in 30 days, mean cycle 58.375 h = 2.43 days → 7 / 2.43 = 2.9 times faster
    assert (vs["approvals"], vs["current_approval_days"], vs["approval_speed"]) == (4, 2.43, 2.9)
    # overdue: 1 of 9 = 11.11 % → 30 / 11.11 = 2.7 times fewer
    assert (vs["current_overdue_share_pct"], vs["overdue_share_ratio"]) == (11.11, 2.7)
    # no cards submitted: no current error rate, no ratio
    assert (vs["current_card_error_rate_pct"], vs["card_errors_ratio"]) == (None, None)
    # 4 approvals × 30.4375 / 30 days = 4.06 a month; × 45 min / 60 = 3.0 hours a month
    assert (vs["approvals_per_month"], vs["hours_saved_per_month"]) == (4.06, 3.0)
    assert Baseline.objects.count() == 1
    _save_baseline(
        avg_approval_days="5", overdue_share_pct="0", card_error_rate_pct="0", manual_minutes_per_approval="0"
    )
    assert Baseline.objects.count() == 1 and Baseline.load().avg_approval_days == 5


def test_query_count_does_not_grow_with_the_data(processes, demo, time_machine, django_assert_max_num_queries):
    walk = Walk(demo, time_machine)
    figures.compute(*APRIL, now=END_OF_APRIL)  # parse the process files once
    with django_assert_max_num_queries(16) as small:
        figures.compute(*APRIL, now=END_OF_APRIL)
    approval_history(walk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        figures.compute(*APRIL, now=END_OF_APRIL)
