"""The step figures read three columns of ``engine.Assignment`` made for them (process_key,
duration_minutes, decision: docs/analytics.md, "How it scales"). They must hold whichever way a row
is written: through ``save()``, a queryset ``update()`` that bypasses it, or a bulk insert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analytics import figures
from analytics.tests.flows import deploy_card_process
from analytics.tests.history import APRIL, END_OF_APRIL, URL, Walk
from engine.models import Assignment, AssignmentStatus


def step_row(result: dict[str, Any], process: str, key: str) -> dict[str, Any]:
    row = next(p for p in result["processes"] if p["process"] == process)
    return next(s for s in row["steps"] if s["key"] == key)


def close_behind_save(assignment: Assignment, after: timedelta, **data: Any) -> None:
    """Complete as a service that used ``QuerySet.update()`` would: no ``save()`` runs."""
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.DONE,
        completed_at=assignment.created_at + after,
        completed_by=assignment.assignee,
        data=data,
    )


def test_the_process_key_is_copied_when_an_assignment_is_created(processes, demo, time_machine):
    walk = Walk(demo, time_machine)
    instance = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    attach = walk.open(instance, "attach")
    assert attach.process_key == "t_approval"
    walk.do(instance, "attach", "2026-04-06T16:00:00+00:00", "sales_head", document_url=URL)
    assert {a.process_key for a in Assignment.objects.filter(instance=instance)} == {"t_approval"}
    assert Assignment.objects.get(pk=attach.pk).duration_minutes == 600  # 10 h


def test_durations_and_decisions_hold_when_a_step_is_closed_by_an_update(processes, demo, time_machine):
    """Two attach steps closed by ``update()``: 10 h 0 min 29.4 s (seconds rounded: 36 029 s, 600
    whole minutes) and 1 h 59 min 59.6 s (rounded to 7 200 s: 120 minutes, not 119)."""
    walk = Walk(demo, time_machine)
    first = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    second = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    close_behind_save(walk.open(first, "attach"), timedelta(hours=10, seconds=29.4), document_url=URL)
    close_behind_save(walk.open(second, "attach"), timedelta(hours=1, minutes=59, seconds=59.6), document_url=URL)
    durations = sorted(Assignment.objects.filter(key="attach").values_list("duration_minutes", flat=True))
    assert durations == [120, 600]

    attach = step_row(figures.compute(*APRIL, now=END_OF_APRIL), "t_approval", "attach")
    # [2, 10] hours: nearest ranks ⌈0.5·2⌉ = 1 and ⌈0.9·2⌉ = 2
    assert (attach["count"], attach["median_hours"], attach["p90_hours"], attach["late"]) == (2, 2.0, 10.0, 0)

    # reopened (an administrator's repair): no duration any more, and no longer a completion
    Assignment.objects.filter(instance=second, key="attach").update(status=AssignmentStatus.OPEN, completed_at=None)
    assert Assignment.objects.get(instance=second, key="attach").duration_minutes is None
    attach = step_row(figures.compute(*APRIL, now=END_OF_APRIL), "t_approval", "attach")
    assert (attach["count"], attach["median_hours"]) == (1, 10.0)


def test_cards_are_counted_from_the_decision_whatever_wrote_it(demo, time_machine):
    """A card submitted and a manager's return written by ``update()``; a card stopped at entry is
    not a submission."""
    deploy_card_process()
    walk = Walk(demo, time_machine)
    k1 = walk.start("t_cards", "2026-04-06T06:00:00+00:00")
    walk.do(k1, "fill_card", "2026-04-06T08:00:00+00:00", "manager1", name="ООО Ромашка", action="submit")
    close_behind_save(walk.open(k1, "manager_approval"), timedelta(hours=1), decision="reject", comment="ИНН")
    k2 = walk.start("t_cards", "2026-04-07T06:00:00+00:00")
    close_behind_save(walk.open(k2, "fill_card"), timedelta(hours=1), name="ООО Лютик", action="submit")
    k3 = walk.start("t_cards", "2026-04-08T06:00:00+00:00")
    close_behind_save(walk.open(k3, "fill_card"), timedelta(hours=1), name="ООО Ирис", action="stop")

    assert Assignment.objects.get(instance=k1, key="manager_approval").decision == "reject"
    cards = figures.compute(*APRIL, now=END_OF_APRIL)["cards"]
    assert (cards["submitted"], cards["returned_for_changes"]) == (2, 1)


def test_a_row_inserted_without_its_process_key_still_counts(processes, demo, time_machine):
    """A bulk insert bypasses ``save()``: the figures take the process from the instance."""
    walk = Walk(demo, time_machine)
    instance = walk.start("t_approval", "2026-04-06T06:00:00+00:00")
    walk.do(instance, "attach", "2026-04-06T16:00:00+00:00", "sales_head", document_url=URL)  # 10 h
    done = Assignment.objects.get(instance=instance, key="attach")
    Assignment.objects.bulk_create(
        [
            Assignment(
                instance=instance,
                task_id="bulk-attach",
                key="attach",
                title="Вложить документ",
                title_search="вложить документ",
                assignee=done.assignee,
                status=AssignmentStatus.DONE,
                created_at=done.created_at,
                due_at=done.created_at + timedelta(hours=1),
                completed_at=done.created_at + timedelta(hours=4),
                completed_by=done.assignee,
            )
        ]
    )
    assert Assignment.objects.get(task_id="bulk-attach").process_key == ""

    for process in (None, "t_approval"):
        result = figures.compute(*APRIL, process=process, now=END_OF_APRIL)
        attach = step_row(result, "t_approval", "attach")
        # [4, 10] hours; the bulk row is late (4 h against 1 h)
        assert (attach["count"], attach["median_hours"], attach["p90_hours"], attach["late"]) == (2, 4.0, 10.0, 1)
        assert result["assignments"]["completed"] == 2
    assert figures.compute(*APRIL, process="t_parallel", now=END_OF_APRIL)["assignments"]["completed"] == 0
