"""The lists' next and previous pages keep the list's filters (one pager for every list)."""

from __future__ import annotations

import pytest

from crm.models import Company
from notify.models import Notification


def test_notifications_pages_keep_the_unread_filter(demo, login):
    me = demo["manager1"]
    Notification.objects.bulk_create(Notification(recipient=me, kind="assigned", text=f"№{i}") for i in range(51))
    Notification.objects.create(recipient=me, kind="assigned", text="прочитано")
    Notification.objects.filter(text="прочитано").update(read_at="2026-11-28T06:00:00Z")
    client = login("manager1")
    first = client.get("/notifications/", {"unread": "1"}).content.decode()
    assert 'href="?unread=1&amp;page=2" rel="next"' in first
    second = client.get("/notifications/", {"unread": "1", "page": "2"}).content.decode()
    assert 'href="?unread=1&amp;page=1" rel="prev"' in second
    assert "Страница 2 из 2" in second
    everything = client.get("/notifications/").content.decode()
    assert 'href="?page=2" rel="next"' in everything


@pytest.mark.parametrize(("params", "query"), [({"q": "альфа"}, "q=%D0%B0%D0%BB%D1%8C%D1%84%D0%B0&amp;"), ({}, "")])
def test_company_pages_keep_the_search(demo, login, params, query):
    for i in range(51):
        Company(
            name=f"Альфа {i}",
            kind="client",
            legal_form="ooo",
            city="Москва",
            short_name=f"Альфа {i}",
            full_name=f"ООО «Альфа {i}»",
            legal_address="Москва",
        ).save()
    page = login("manager1").get("/companies/", params).content.decode()
    assert f'href="?{query}page=2" rel="next"' in page
