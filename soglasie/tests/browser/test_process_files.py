"""In a real browser: the sales administrator uploads the bonus agreements in the first step of
«Бонусные соглашения» (the file uploaded at once, with the bar, then the form sent with its id), and
the director downloads that very file from the instance page, under its own name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.sync_api import expect

from engine import actions
from engine.models import AssignmentStatus
from soglasie.tests.browser.conftest import check_accessibility

NAME = "Доп. соглашения о бонусах, IV квартал.pdf"
CONTENT = b"%PDF-1.4\n" + b"bonus agreements " * 4096 + b"\n%%EOF\n"


def test_an_upload_in_the_bonus_step_downloads_from_the_instance_page(ui, sign_in, processes, demo):
    instance = actions.start("bonus_agreements", by=demo["sales_admin"].user, variables={"quarter": "2026-Q4"})
    prepare = instance.assignments.get(key="prepare_documents")

    sign_in("sales_admin")
    ui.goto(f"{ui.base}/assignments/{prepare.pk}/")
    check_accessibility(ui)
    ui.get_by_label("Файл документа").set_input_files({"name": NAME, "mimeType": "application/pdf", "buffer": CONTENT})
    expect(ui.locator("[data-upload-status]")).to_contain_text(f"Загружен: {NAME}")
    ui.get_by_role("button", name="Выполнить").click()
    expect(ui.get_by_role("status").or_(ui.get_by_role("alert")).first).to_contain_text("выполнено")
    prepare.refresh_from_db()
    assert prepare.status == AssignmentStatus.DONE

    sign_in("director")
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    documents = ui.locator("section", has=ui.get_by_role("heading", name="Документы"))
    expect(documents).to_contain_text(hashlib.sha256(CONTENT).hexdigest())
    expect(documents).to_contain_text(demo["sales_admin"].full_name)
    check_accessibility(ui)
    with ui.expect_download() as download:
        documents.get_by_role("link", name=NAME).first.click()
    assert download.value.suggested_filename == NAME
    assert Path(download.value.path()).read_bytes() == CONTENT
