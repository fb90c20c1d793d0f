"""The thread in a real browser (Playwright + Debian's Chromium): a comment with an attachment posted
on the instance page, uploaded by the page's script with its progress bar, listed with a download
link that gives the file back under its own name."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from discussion.models import Comment
from discussion.tests.conftest import PDF
from soglasie.tests.browser.conftest import check_accessibility

NAME = "Протокол разногласий «Автодеталь».pdf"


def test_a_comment_with_an_attachment_is_posted_on_the_instance_page_and_listed(ui, sign_in, instance, demo):
    sign_in("sales_head")
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    thread = ui.locator("#discussion")
    expect(thread).to_contain_text("Комментариев пока нет.")
    thread.get_by_label("Новый комментарий").fill("Протокол во вложении, @director, посмотрите.")
    thread.get_by_label("Приложить файл").set_input_files({"name": NAME, "mimeType": "application/pdf", "buffer": PDF})
    expect(thread.locator("[data-upload-status]")).to_contain_text(f"Загружен: {NAME}")
    thread.get_by_role("button", name="Отправить").click()

    comment = thread.locator(".comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("Морозов Дмитрий Алексеевич")
    expect(comment).to_contain_text("Протокол во вложении, @director, посмотрите.")
    posted = Comment.objects.get()
    assert ui.url.endswith(f"/instances/{instance.pk}/#comment-{posted.pk}")
    assert posted.author == demo["sales_head"]
    check_accessibility(ui)

    with ui.expect_download() as download:
        comment.get_by_role("link", name=NAME).click()
    assert download.value.suggested_filename == NAME
    assert Path(download.value.path()).read_bytes() == PDF

    comment.get_by_text("Изменить", exact=True).click()  # the author corrects it during 15 minutes
    comment.get_by_label("Текст комментария").fill("Протокол во вложении, @director, посмотрите до пятницы.")
    comment.get_by_role("button", name="Сохранить").click()
    expect(thread.locator(".comment")).to_contain_text("посмотрите до пятницы.")
    expect(thread.locator(".comment")).to_contain_text("изменён")
    posted.refresh_from_db()
    assert posted.edited_at is not None
