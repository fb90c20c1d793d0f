"""The page «Отсутствия» in a real browser: a manager enters an absence for a report (the report's
deputy preselected as the substitute when they are chosen), sees a refusal next to the field it
names, and deletes an absence that has not begun."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from org.models import Absence
from soglasie.tests.browser.conftest import check_accessibility


def test_a_manager_enters_an_absence_for_a_report_with_the_deputy_offered(ui, sign_in, demo, time_machine):
    time_machine.move_to("2027-01-20T10:00:00+03:00", tick=True)
    demo["manager1"].deputy = demo["manager3"]
    demo["manager1"].save(update_fields=["deputy"])
    sign_in("sales_head")
    ui.get_by_role("link", name="Отсутствия").click()
    expect(ui.get_by_role("heading", level=1)).to_have_text("Отсутствия")
    check_accessibility(ui)

    ui.get_by_label("Сотрудник").select_option(label="Смирнов Алексей Петрович (Менеджер по продажам)")
    expect(ui.get_by_label("Замещает")).to_have_value("manager3")  # the deputy, preselected
    ui.get_by_label("Первый день").fill("2027-02-01")
    ui.get_by_label("Последний день").fill("2027-02-14")
    ui.get_by_label("Причина").select_option(label="командировка")
    ui.get_by_role("button", name="Внести отсутствие").click()
    expect(ui.locator(".message-success")).to_have_text(
        "Отсутствие сотрудника Смирнов Алексей Петрович с 01.02.2027 по 14.02.2027 внесено."
    )
    row = ui.locator("tr.absence-row")
    expect(row).to_contain_text("Смирнов Алексей Петрович")
    expect(row).to_contain_text("01.02.2027 — 14.02.2027")
    expect(row).to_contain_text("Новиков Игорь Сергеевич")
    absence = Absence.objects.get()
    assert (absence.employee, absence.substitute, absence.reason, absence.created_by) == (
        demo["manager1"],
        demo["manager3"],
        "business_trip",
        demo["sales_head"],
    )
    assert (absence.starts, absence.ends) == (date(2027, 2, 1), date(2027, 2, 14))

    # an overlapping one is refused next to the first day, and nothing is stored
    ui.get_by_label("Сотрудник").select_option(label="Смирнов Алексей Петрович (Менеджер по продажам)")
    ui.get_by_label("Первый день").fill("2027-02-10")
    ui.get_by_label("Последний день").fill("2027-02-20")
    ui.get_by_role("button", name="Внести отсутствие").click()
    expect(ui.locator("#id_starts_errors")).to_contain_text("периоды не могут пересекаться")
    assert Absence.objects.count() == 1

    # not begun yet: the row's button deletes it
    ui.get_by_role("button", name="Удалить").click()
    expect(ui.locator(".message-success")).to_have_text("Отсутствие удалено.")
    assert not Absence.objects.exists()
