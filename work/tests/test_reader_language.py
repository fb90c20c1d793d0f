"""Stored titles and notices are Russian; a reader of English gets them in English, everywhere.

An assignment's title is named again from its task's name over the instance's variables, and a
notification from its phrase (``notify.texts``), whoever caused it and in whatever language.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from engine import actions
from engine.models import AssignmentStatus
from notify.models import Notification
from processes.tests.quarterly_support import deploy_processes, do

RUSSIAN = "Прикрепить ссылку на реестр базовых скидок на I квартал 2027 г."
ENGLISH = "Attach a link to the base discount register for Q1 2027"


def _started(demo):
    deploy_processes(demo)
    # Started by someone reading English: what is stored must still be the site's Russian.
    with translation.override("en"):
        instance = actions.start("trade_conditions", by=demo["sales_admin"].user, variables={"quarter": "2027-Q1"})
        do(instance, "select_start_recipients", demo["sales_admin"], {"recipients": ["manager1"]})
    return instance


def test_the_stored_texts_are_russian_whoever_wrote_them(demo):
    instance = _started(demo)
    assignment = instance.assignments.get(key="attach_base_discounts", status=AssignmentStatus.OPEN)
    assert assignment.title == "Прикрепить ссылку на реестр базовых скидок на 2027-Q1"
    notice = Notification.objects.get(assignment=assignment)
    assert notice.text.startswith(f"Новое задание: «{RUSSIAN}»"), notice.text
    started = Notification.objects.get(recipient=demo["manager1"], instance=instance)
    assert started.text.startswith("Запущен процесс «Торговые условия на I квартал 2027 г.»"), started.text
    assert notice.email.subject.startswith("Новое задание"), notice.email.subject


def test_assignment_titles_read_in_the_readers_language(demo, login):
    instance = _started(demo)
    assignment = instance.assignments.get(key="attach_base_discounts", status=AssignmentStatus.OPEN)
    client = login("sales_head")
    pages = ("/", "/assignments/", f"/assignments/{assignment.pk}/", f"/instances/{instance.pk}/")
    for url in pages:
        assert RUSSIAN in client.get(url).content.decode(), url
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in pages:
        page = client.get(url).content.decode()
        assert ENGLISH in page, url
        assert "Прикрепить ссылку" not in page, url


def test_notifications_read_in_the_readers_language(demo, login, api_client):
    instance = _started(demo)
    head = login("sales_head")
    assert f"Новое задание: «{RUSSIAN}»" in head.get("/notifications/").content.decode()
    head.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = head.get("/notifications/").content.decode()
    assert f"New assignment: “{ENGLISH}”" in page and "Новое задание" not in page

    manager = login("manager1")
    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = manager.get("/notifications/").content.decode()
    assert "Process “Trade conditions for Q1 2027” started" in page, page

    api = api_client("sales_head")
    assert api.get("/api/v1/notifications").json()["items"][0]["text"].startswith("Новое задание")
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert api.get("/api/v1/notifications").json()["items"][0]["text"].startswith(f"New assignment: “{ENGLISH}”")
    assert instance.pk


def test_a_quarter_in_words_finds_what_the_lists_show(demo, login):
    """The lists say «I квартал 2027 г.»; typing it (or "Q1 2027") into a title filter finds it."""
    instance = _started(demo)
    client = login("sales_head")
    for typed in ("на I квартал 2027 г.", "I квартал", "Q1 2027", "2027-Q1"):
        found = client.get("/assignments/", {"q": typed}).content.decode()
        assert RUSSIAN in found, typed
        assert f"/instances/{instance.pk}/" in client.get("/search/", {"q": typed}).content.decode(), typed
    assert RUSSIAN not in client.get("/assignments/", {"q": "II квартал 2027"}).content.decode()


def test_process_names_read_in_the_readers_language(demo, login):
    _started(demo)
    client = login("sales_head")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in ("/", "/assignments/", "/processes/", "/analytics/"):
        page = client.get(url).content.decode()
        assert "Trade conditions" in page, url
        for russian in ("Торговые условия", "Бонусные соглашения", "Добавление контрагента"):
            assert russian not in page, (url, russian)
