"""The bell, the notification list and marking read: only ever one's own notifications."""

from __future__ import annotations

import re

from notify.models import Kind, Notification
from notify.services import notify


def _note(employee, text="Вам назначено задание «Проверка»", url="/assignments/1/"):
    return notify(employee, Kind.PROCESS_STARTED, text, url=url)


def _bell(text: str) -> str:
    return re.search(r'<a class="bell[^"]*" id="bell"[\s\S]*?</a>', text).group(0)


def test_the_bell_counts_unread_and_the_list_shows_mine(demo, login):
    _note(demo["manager1"], "Первое")
    _note(demo["manager1"], "Второе")
    _note(demo["manager2"], "Чужое")
    client = login("manager1")
    home = client.get("/").content.decode()
    assert '<span class="bell-count">2</span>' in _bell(home)
    page = client.get("/notifications/").content.decode()
    assert "Первое" in page and "Второе" in page and "Чужое" not in page
    assert "bell-count" not in _bell(login("director").get("/").content.decode())


def test_marking_read_updates_the_count_and_keeps_the_outbox(demo, login):
    note = notify(demo["manager1"], Kind.ASSIGNED, "Задание", url="/assignments/1/")
    client = login("manager1")
    response = client.post(f"/notifications/{note.pk}/read/")
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert note.email.sent_at is None  # the e-mail is the worker's business, untouched
    assert "bell-count" not in _bell(client.get("/").content.decode())
    first_read = note.read_at
    client.get(f"/notifications/{note.pk}/open/")  # following it later keeps when it was first read
    note.refresh_from_db()
    assert note.read_at == first_read


def test_marking_read_with_htmx_redraws_the_row(demo, login):
    note = _note(demo["manager1"])
    response = login("manager1").post(f"/notifications/{note.pk}/read/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert f'id="notification-{note.pk}"' in text and "unread" not in text
    assert response["HX-Trigger"] == "notifications-changed"


def test_someone_elses_notification_is_404(demo, login):
    note = _note(demo["manager2"])
    client = login("manager1")
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_opening_follows_the_link_and_marks_read(demo, login):
    note = _note(demo["manager1"], url="/assignments/7/")
    response = login("manager1").get(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/assignments/7/"
    note.refresh_from_db()
    assert note.read_at is not None
    evil = _note(demo["manager1"], url="https://evil.example/")
    assert login("manager1").get(f"/notifications/{evil.pk}/open/")["Location"] == "/notifications/"


def test_mark_all_and_unread_filter(demo, login):
    for i in range(3):
        _note(demo["manager1"], f"Новость {i}")
    client = login("manager1")
    assert client.get("/notifications/", {"unread": "1"}).context["page"].count == 3
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=demo["manager1"], read_at__isnull=True).exists()
    assert client.get("/notifications/", {"unread": "1"}).context["page"].count == 0


def test_wrong_methods(demo, login):
    note = _note(demo["manager1"])
    client = login("manager1")
    assert client.get(f"/notifications/{note.pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405
    assert client.post("/notifications/").status_code == 405


def test_anonymous_is_sent_to_log_in(db, client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
