"""Walks through the browser over the engine's test processes, the «Автоматизация» filters, and the
accessibility basics of the log-in, feed, list, assignment and instance pages.

The three customer process walks are added beside these once the processes land (the lead's part).
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from base import clock
from engine import actions
from engine.models import Assignment, Instance, InstanceStatus
from soglasie.tests.browser.conftest import check_accessibility, tab_to


def test_approval_walk_with_a_rework_loop(ui, sign_in, processes):
    # The head of sales starts the process from the feed and lands on his first assignment.
    sign_in("sales_head")
    ui.get_by_role("button", name="Запустить «Тестовое согласование»").click()
    expect(ui.get_by_role("heading", level=1)).to_have_text(re.compile("Прикрепить документ"))
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/v1")
    ui.get_by_role("button", name="Выполнить").click()
    expect(ui.locator(".message-success")).to_contain_text("выполнено")

    # The director finds it on the feed (one click) and rejects; the comment is required.
    sign_in("director")
    ui.get_by_role("link", name="Согласовать документ").click()
    expect(ui.get_by_role("link", name="https://docs.example/v1").first).to_be_visible()
    ui.get_by_role("button", name="Не согласовать").click()
    expect(ui.locator("#f-comment-errors")).to_contain_text("Обязательное поле")
    ui.get_by_label("Комментарий", exact=True).fill("Нужна подпись")
    ui.get_by_role("button", name="Не согласовать").click()
    expect(ui.locator(".message-success")).to_be_visible()

    # Back to the head of sales: the revision is pre-filled and shows the director's comment.
    sign_in("sales_head")
    ui.get_by_role("link", name="Автоматизация").click()
    ui.get_by_role("link", name="Доработать документ").click()
    expect(ui.get_by_text("Нужна подпись")).to_be_visible()
    expect(ui.get_by_label("Ссылка на документ")).to_have_value("https://docs.example/v1")
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/v2")
    ui.get_by_role("button", name="Выполнить").click()

    sign_in("director")
    ui.get_by_role("link", name="Согласовать документ").click()
    ui.get_by_role("button", name="Согласовать", exact=True).click()
    instance = Instance.objects.get(process_key="t_approval")
    assert instance.status == InstanceStatus.FINISHED and instance.outcome == "approved"

    # The instance page tells the story: finished, every step done, the history as a timeline.
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    expect(ui.locator(".facts").first).to_contain_text("согласовано")
    expect(ui.locator("svg .node-done").first).to_be_attached()
    expect(ui.locator(".timeline li")).to_have_count(instance.history.count())


def test_parallel_walk_and_a_stale_page(ui, sign_in, processes, demo):
    instance = actions.start("t_parallel", by=demo["director"].user)
    left = instance.assignments.get(key="left")
    sign_in("sales_admin")
    ui.get_by_role("link", name="Левая ветка").click()
    # Someone completes it meanwhile (another tab, the API): the page left open is now stale.
    actions.complete(left.pk, by=demo["sales_admin"].user, data={})
    ui.get_by_role("button", name="Выполнить").click()
    expect(ui.get_by_role("alert")).to_contain_text("уже выполнено")
    sign_in("accountant")
    ui.get_by_role("link", name="Правая ветка").click()
    ui.get_by_role("button", name="Выполнить").click()
    sign_in("director")
    ui.get_by_role("link", name="Итог").click()
    ui.get_by_role("button", name="Выполнить").click()
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FINISHED


def test_the_filters_narrow_the_list_without_a_reload(ui, sign_in, processes, demo):
    for quarter in ("2027-Q1", "2027-Q2", "2027-Q3"):
        actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": quarter})
    late = Assignment.objects.filter(title__endswith="Q3").get()
    late.due_at = clock.now() - timedelta(hours=2)
    late.save(update_fields=["due_at"])
    sign_in("sales_head")
    ui.get_by_role("link", name="Автоматизация").click()
    rows = ui.locator("tr.assignment-row")
    expect(rows).to_have_count(3)
    expect(ui.locator("tr.assignment-row.overdue")).to_have_count(1)
    ui.evaluate("window.__marker = 'same page'")  # survives only if there is no full reload

    ui.get_by_label("Название").fill("q2")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("II квартал 2027 г.")  # the stored 2027-Q2, in words
    assert "q=q2" in ui.url  # the filter lives in the URL

    ui.get_by_label("Название").fill("")
    expect(rows).to_have_count(3)
    ui.get_by_role("combobox", name="Срок", exact=True).select_option("overdue")
    expect(rows).to_have_count(1)
    expect(ui.locator('[data-count="overdue"]')).to_have_text("1")
    ui.get_by_role("combobox", name="Состояние").select_option("done")
    expect(ui.locator("#result-count")).to_contain_text("0")
    assert ui.evaluate("window.__marker") == "same page"

    # A link shows the same list.
    ui.goto(f"{ui.base}/assignments/?q=%D0%9F%D0%A0%D0%98%D0%9A%D0%A0%D0%95%D0%9F%D0%98%D0%A2%D0%AC&due=overdue")
    expect(rows).to_have_count(1)


def test_delegating_with_the_employee_picker(ui, sign_in, processes, demo):
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    sign_in("sales_head")
    ui.get_by_role("link", name=re.compile("Прикрепить документ")).first.click()
    ui.get_by_text("Передать коллеге").click()
    ui.get_by_label("Кому").press_sequentially("смирн", delay=20)
    expect(ui.locator("#delegate-to-list option[value=manager1]")).to_be_attached()
    ui.get_by_label("Кому").fill("manager1")
    ui.locator("#delegate-comment").fill("Возьми, пожалуйста")
    ui.get_by_role("button", name="Передать", exact=True).click()
    expect(ui.locator(".message-success")).to_contain_text("Смирнов")
    assert instance.assignments.get().assignee == demo["manager1"]


def test_accessibility_of_the_main_pages_on_a_phone_and_by_keyboard(ui, sign_in, processes, demo):
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    actions.complete(instance.assignments.get().pk, by=demo["sales_head"].user, data={"document_url": "https://d.io"})
    approve = instance.assignments.get(status="open")
    ui.set_viewport_size({"width": 360, "height": 740})

    ui.goto(f"{ui.base}/login/")
    check_accessibility(ui)
    tab_to(ui, "#id_username")
    ui.keyboard.type("director")
    ui.keyboard.press("Tab")
    ui.keyboard.type("demo")
    ui.keyboard.press("Enter")
    ui.wait_for_url(f"{ui.base}/")

    check_accessibility(ui)  # the feed
    tab_to(ui, f'a[href="/assignments/{approve.pk}/"]')
    ui.keyboard.press("Enter")
    ui.wait_for_url(f"{ui.base}/assignments/{approve.pk}/")
    check_accessibility(ui)
    tab_to(ui, "#f-comment")
    ui.keyboard.type("Всё в порядке")
    tab_to(ui, 'button[name="decision"][value="approve"]')

    ui.goto(f"{ui.base}/assignments/?assignee=all&status=any")
    check_accessibility(ui)
    tab_to(ui, "#filters-panel > summary")  # on a phone the filters are folded: Enter opens them
    ui.keyboard.press("Enter")
    tab_to(ui, "#filter-q")

    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    check_accessibility(ui)
    tab_to(ui, ".diagram-scroll")  # the wide diagram scrolls by keyboard, inside its own box

    ui.goto(f"{ui.base}/notifications/")
    check_accessibility(ui)


def test_the_bell_shows_unread_and_marks_read(ui, sign_in, processes, demo):
    actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    sign_in("sales_head")
    expect(ui.locator("#bell .bell-count")).to_have_text("1")
    ui.locator("#bell").click()
    ui.get_by_role("button", name="Отметить прочитанным").first.click()
    expect(ui.get_by_role("button", name="Отметить прочитанным")).to_have_count(0)
    ui.reload()
    expect(ui.locator("#bell .bell-count")).to_have_count(0)
