"""The header search: companies by name and ИНН, instances and assignments, only what one may see."""

from __future__ import annotations

from crm.models import Company
from engine import actions


def _found(response, kind: str) -> list:
    return next(group["rows"] for group in response.context["groups"] if group["kind"] == kind)


def test_a_company_is_found_by_name_and_by_inn(demo, login):
    company = Company.objects.exclude(inn="").order_by("pk").first()
    assert company is not None, "the demo seeds companies"
    client = login("manager1")
    by_inn = client.get("/search/", {"q": company.inn})
    assert by_inn.status_code == 200 and company in _found(by_inn, "companies")
    by_name = client.get("/search/", {"q": company.name.upper()})
    assert company in _found(by_name, "companies")
    assert company.full_name in by_name.content.decode()


def test_a_manager_does_not_find_another_departments_instance(processes, demo, login):
    instance = actions.start("t_parallel", by=demo["accountant"].user)
    own = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    client = login("manager1")
    for text in ("ветка", str(instance.pk), instance.process.definition.name):
        response = client.get("/search/", {"q": text})
        assert instance not in _found(response, "instances"), text
        assert not [a for a in _found(response, "assignments") if a.instance_id == instance.pk], text
    assert own in _found(client.get("/search/", {"q": str(own.pk)}), "instances")
    assert _found(client.get("/search/", {"q": "прикрепить"}), "assignments")
    # the accountant's manager's chain does see it
    assert instance in _found(login("findir").get("/search/", {"q": str(instance.pk)}), "instances")


def test_an_empty_query_shows_only_the_form_and_other_methods_are_refused(demo, login):
    client = login("manager1")
    response = client.get("/search/")
    assert response.status_code == 200 and response.context["groups"] == []
    assert client.post("/search/", {"q": "x"}).status_code == 405


def test_every_page_names_the_favicon_and_the_header_has_the_search(demo, login):
    from django.contrib.staticfiles import finders

    text = login("manager1").get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in text
    assert finders.find("favicon.svg")
    assert 'action="/search/"' in text and 'aria-keyshortcuts="/"' in text
