"""The figures of the demo company after a few real walks of its own processes, through the API."""

from __future__ import annotations

from datetime import timedelta

from base.errors import Invalid
from crm.tests.factories import deploy_counterparty_process, org_card
from engine import actions
from engine.models import Assignment


def step(instance, key: str, user, data: dict) -> None:
    assignment = Assignment.objects.get(instance=instance, key=key, status="open")
    actions.complete(assignment.pk, by=user, data=data)


def test_figures_after_a_counterparty_walk_with_one_refusal_and_one_rework(demo, api_client, login, time_machine):
    deploy_counterparty_process()
    users = {name: person.user for name, person in demo.items()}
    time_machine.move_to("2026-11-02T07:00:00+00:00")
    instance = actions.start("add_counterparty", by=users["manager1"])
    bad = org_card(inn="7708111220")  # a wrong control digit
    try:
        step(instance, "fill_card", users["manager1"], {**bad, "action": "submit"})
    except Invalid as refused:
        assert "inn" in refused.errors
    step(instance, "fill_card", users["manager1"], {**org_card(), "action": "submit"})
    time_machine.shift(timedelta(hours=5))
    step(instance, "manager_approval", users["sales_head"], {"decision": "reject", "comment": "Проверьте адрес"})
    time_machine.shift(timedelta(hours=1))
    step(instance, "revise_card", users["manager1"], {**org_card(), "action": "submit"})
    time_machine.shift(timedelta(hours=2))
    step(instance, "manager_approval", users["sales_head"], {"decision": "approve"})
    time_machine.shift(timedelta(hours=4))
    step(instance, "finance_approval", users["findir"], {"decision": "approve"})
    instance.refresh_from_db()
    assert instance.outcome == "approved"

    figures = api_client("director").get("/api/v1/analytics", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    process = next(p for p in figures["processes"] if p["process"] == "add_counterparty")
    assert (process["started"], process["finished"], process["outcomes"]) == (1, 1, {"approved": 1})
    assert process["cycle_hours"]["median"] == 12.0
    assert process["rework_rate"] == 1.0
    assert figures["cards"] == {"submitted": 2, "returned_for_changes": 1, "errors_caught_at_entry": 1}
    assert (figures["orphans"]["assignments"], figures["orphans"]["instances"]) == (0, 0)
    assert api_client("manager1").get("/api/v1/analytics").status_code == 403
    page = login("director").get("/analytics/", {"from": "2026-11-01", "to": "2026-11-30"})
    assert page.status_code == 200 and "Добавление контрагента" in page.content.decode()
