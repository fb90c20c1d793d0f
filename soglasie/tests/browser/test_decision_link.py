"""In a real browser, with no session: the director opens a link of a real e-mail (aiosmtpd), sees
what he is deciding, confirms, and the assignment is done; the link used again says by whom."""

from __future__ import annotations

from playwright.sync_api import expect

from base import clock
from engine import actions
from engine.models import AssignmentStatus
from notify.outbox import send_due
from notify.tests.mailbox import links_in
from soglasie.tests.browser.conftest import check_accessibility


def test_the_director_decides_from_the_mail(ui, processes, demo, smtp, settings):
    settings.SITE_URL = ui.base  # the links of the mail point at the live server
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    attach = instance.assignments.get()
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/v1"})
    send_due(clock.now())
    mail = next(m for m in smtp.messages if m["To"] == demo["director"].user.email)
    links = links_in(mail)
    assert set(links) == {"Согласовать", "Не согласовать"}

    ui.context.clear_cookies()
    ui.goto(links["Не согласовать"])
    expect(ui.get_by_role("heading", level=1)).to_have_text("Согласовать документ")
    expect(ui.get_by_text("Морозов Дмитрий Алексеевич").first).to_be_visible()
    expect(ui.get_by_role("link", name="https://docs.example/v1")).to_be_visible()
    check_accessibility(ui)
    ui.get_by_role("button", name="Подтвердить: Не согласовать").click()
    expect(ui.locator("#f-comment-errors")).to_contain_text("Обязательное поле")
    ui.get_by_label("Комментарий").fill("Нужна подпись")
    ui.get_by_role("button", name="Подтвердить: Не согласовать").click()
    expect(ui.get_by_role("heading", level=1)).to_have_text("Готово")

    approve = instance.assignments.get(key="approve_doc")
    assert approve.status == AssignmentStatus.DONE and approve.data["comment"] == "Нужна подпись"
    assert approve.completed_by == demo["director"]
    assert not [c for c in ui.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]

    # The other button of the same mail is dead now, and says who decided.
    response = ui.goto(links["Согласовать"])
    assert response.status == 410
    expect(ui.get_by_role("alert")).to_contain_text("Соколов Андрей Викторович")
