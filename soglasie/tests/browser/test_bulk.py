"""«Автоматизация» in the browser: two assignments chosen with their boxes and completed at once."""

from __future__ import annotations

from playwright.sync_api import expect

from engine import actions
from engine.models import Assignment, AssignmentStatus
from soglasie.tests.browser.conftest import check_accessibility


def test_two_assignments_chosen_on_the_list_are_completed_with_one_decision(ui, sign_in, processes, demo):
    for quarter in ("2027-Q1", "2027-Q2", "2027-Q3"):
        actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": quarter})
    sign_in("sales_head")
    ui.get_by_role("link", name="Автоматизация").click()
    ui.get_by_label("Выбрать «Прикрепить документ на I квартал 2027 г.»").check()
    ui.get_by_label("Выбрать «Прикрепить документ на III квартал 2027 г.»").check()
    ui.get_by_role("button", name="Выполнить выбранные").click()

    expect(ui.get_by_role("heading", level=2, name="Выбрано 2 задани", exact=False)).to_be_visible()
    check_accessibility(ui)
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/registry")
    ui.get_by_role("button", name="Выполнить").click()

    expect(ui.locator(".bulk-results tbody tr.bulk-done")).to_have_count(2)
    expect(ui.locator(".bulk-results")).to_contain_text("Прикрепить документ на III квартал 2027 г.")
    done = Assignment.objects.filter(key="attach", status=AssignmentStatus.DONE)
    assert sorted(done.values_list("instance__variables__quarter", flat=True)) == ["2027-Q1", "2027-Q3"]
    ui.get_by_role("link", name="Автоматизация").first.click()
    expect(ui.locator(".assignment-row")).to_have_count(1)  # what is left: the Q2 one
