"""The upload field in a real browser (``templates/files/_upload.html`` with ``static/js/uploads.js``):
a file chosen or dropped is uploaded at once with a progress bar, its id lands in the hidden input,
and its link downloads it under its own name."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from files.models import StoredFile
from files.services import MB
from soglasie.tests.browser.conftest import check_accessibility

NAME = "Бонусное соглашение «Автодеталь» 2026.pdf"
CONTENT = b"%PDF-1.4\n" + bytes(range(256)) * 2048 + b"\n%%EOF\n"  # half a megabyte: the bar has work


def test_a_chosen_file_is_uploaded_with_progress_and_downloads_under_its_name(ui, sign_in, demo):
    sign_in("manager1")
    ui.goto(f"{ui.base}/files/upload/")
    check_accessibility(ui)
    expect(ui.locator("[data-drop-zone]")).to_be_visible()  # the script is there: drop works too

    ui.get_by_label("Файл", exact=True).set_input_files({"name": NAME, "mimeType": "text/plain", "buffer": CONTENT})
    status = ui.locator("[data-upload-status]")
    expect(status).to_contain_text(f"Загружен: {NAME}")
    stored = StoredFile.objects.get()
    assert (stored.name, stored.size, stored.content_type) == (NAME, len(CONTENT), "application/pdf")
    assert stored.uploaded_by == demo["manager1"]
    expect(ui.locator("input[name=file_id]")).to_have_value(str(stored.pk))
    value, maximum, hidden = ui.eval_on_selector("[data-upload-progress]", "bar => [bar.value, bar.max, bar.hidden]")
    assert value == maximum >= len(CONTENT) and not hidden  # the bar followed the bytes sent, to the end
    assert ui.get_by_label("Файл", exact=True).input_value() == ""  # the bytes are not sent again with the form

    with ui.expect_download() as download:
        status.get_by_role("link", name=NAME).click()
    assert download.value.suggested_filename == NAME
    assert Path(download.value.path()).read_bytes() == CONTENT


def test_a_dropped_file_is_uploaded_and_one_over_the_limit_is_refused_at_once(ui, sign_in, demo, settings):
    settings.FILES_MAX_MB = 1
    sign_in("manager2")
    ui.goto(f"{ui.base}/files/upload/")

    def drop(name: str, size: int) -> None:
        ui.locator("[data-drop-zone]").evaluate(
            """(zone, [name, size]) => {
                const data = new DataTransfer();
                data.items.add(new File([new Uint8Array(size).fill(65)], name, {type: "text/plain"}));
                zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
            }""",
            [name, size],
        )

    drop("Слишком большой.txt", MB + 1)
    expect(ui.get_by_role("alert")).to_have_text("Файл слишком большой: не более 1 МБ.")
    assert StoredFile.objects.count() == 0

    drop("Акт сверки.txt", 1000)
    expect(ui.locator("[data-upload-status]")).to_contain_text("Загружен: Акт сверки.txt")
    stored = StoredFile.objects.get()
    assert (stored.name, stored.size, stored.uploaded_by) == ("Акт сверки.txt", 1000, demo["manager2"])
    expect(ui.locator("input[name=file_id]")).to_have_value(str(stored.pk))
    expect(ui.locator(".file-upload")).not_to_have_class("has-error")
