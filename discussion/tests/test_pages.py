"""The thread on the instance page and on the company card: names and Moscow times, attachments as
download links, the form (CSRF on, a plain file input without JavaScript), «Изменить» for the author
during 15 minutes, refusals shown on the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from base import clock
from discussion import services
from discussion.models import Comment
from files.hooks import owner
from files.models import StoredFile
from files.services import store

from .conftest import PDF


def test_the_instance_page_shows_the_thread_with_names_moscow_time_and_attachments(instance, demo, login):
    attached = store(PDF, name="Договор №7.pdf", by=demo["sales_head"])
    at = datetime(2026, 12, 3, 21, 30, tzinfo=UTC)  # 04.12.2026 00:30 in Moscow
    with time_machine.travel(at, tick=False):
        services.post(demo["sales_head"].user, owner("instance", instance.pk), "Смотрите\nдоговор", files=[attached.pk])
        text = login("director").get(f"/instances/{instance.pk}/").content.decode()
    assert 'id="discussion"' in text and "Морозов Дмитрий Алексеевич" in text
    assert "04.12.2026 00:30" in text and "Смотрите<br>договор" in text
    assert f'href="/files/{attached.pk}/download/"' in text and "Договор №7.pdf" in text
    assert "Изменить" not in text  # not the director's comment
    assert 'name="text"' in text and 'name="files"' in text and 'enctype="multipart/form-data"' in text


def test_posting_from_the_page_needs_csrf_and_goes_back_to_the_comment(instance, demo):
    browser = Client(enforce_csrf_checks=True)
    browser.login(username="sales_head", password="demo")
    url = f"/discussion/instance/{instance.pk}/comments/"
    assert browser.post(url, {"text": "Без токена"}).status_code == 403
    page = browser.get(f"/instances/{instance.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(url, {"text": "С токеном, @accountant", "csrfmiddlewaretoken": token})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/instances/{instance.pk}/#comment-{comment.pk}"
    assert comment.author == demo["sales_head"] and comment.text == "С токеном, @accountant"
    page = browser.get(f"/instances/{instance.pk}/").content.decode()
    assert "Изменить" in page and f'action="/discussion/comments/{comment.pk}/edit/"' in page


def test_a_file_chosen_without_javascript_is_stored_and_attached(instance, demo, login):
    client = login("sales_head")
    response = client.post(
        f"/discussion/instance/{instance.pk}/comments/",
        {"text": "Счёт", "file": SimpleUploadedFile("Счёт.pdf", PDF), "files": ""},
    )
    assert response.status_code == 302
    stored = StoredFile.objects.select_related("document").get()
    assert stored.name == "Счёт.pdf" and stored.document.owner == f"comment:{Comment.objects.get().pk}"


def test_an_empty_comment_is_refused_on_the_page(instance, login):
    client = login("sales_head")
    response = client.post(f"/discussion/instance/{instance.pk}/comments/", {"text": "  "}, follow=True)
    assert response.status_code == 200 and "Напишите текст комментария." in response.content.decode()
    assert not Comment.objects.exists()


def test_who_may_not_see_the_instance_gets_404_and_nothing_is_stored(instance, login, outsider):
    for username in ("accountant", "outsider"):
        client = login(username)
        assert client.get(f"/instances/{instance.pk}/").status_code == 404
        response = client.post(
            f"/discussion/instance/{instance.pk}/comments/", {"text": "?", "file": SimpleUploadedFile("a.pdf", PDF)}
        )
        assert response.status_code == 404
    assert login("sales_head").post("/discussion/nothing/1/comments/", {"text": "?"}).status_code == 404
    assert not Comment.objects.exists() and not StoredFile.objects.exists()


def test_the_author_corrects_from_the_page_within_15_minutes(instance, demo, login):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        comment = services.post(demo["sales_head"].user, owner("instance", instance.pk), "Опечтака")
    client = login("sales_head")
    edit = f"/discussion/comments/{comment.pk}/edit/"
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert login("director").post(edit, {"text": "Чужая правка"}, follow=True).status_code == 200
        assert client.post(edit, {"text": "Опечатка"}).status_code == 302
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        page = client.get(f"/instances/{instance.pk}/").content.decode()
        assert "Изменить" not in page and "изменён" in page
        response = client.post(edit, {"text": "Поздно"}, follow=True)
        assert "в первые 15 минут" in response.content.decode()
    comment.refresh_from_db()
    assert comment.text == "Опечатка"


def test_the_company_card_shows_its_thread_and_takes_comments(company, demo, login):
    client = login("accountant")
    response = client.post(f"/discussion/company/{company.pk}/comments/", {"text": "Новый расчётный счёт"})
    assert response.status_code == 302 and response["Location"].startswith(f"/companies/{company.pk}/#comment-")
    text = login("manager3").get(f"/companies/{company.pk}/").content.decode()
    assert "Обсуждение" in text and "Новый расчётный счёт" in text and "Павлова Елена Игоревна" in text
