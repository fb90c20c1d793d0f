"""No page loads or points at anything off the site: the pages work offline and leak no visit to a CDN.

Every ``src`` and ``href`` of the main pages is either on this site or a plain link a person put into
the data (a document's address), and those open with ``rel="noopener"``. A stylesheet, script,
icon or image from another host fails the test, whatever tag carries it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from crm.models import Company
from engine import actions

HOST = "testserver"


class _Links(HTMLParser):
    """Collects (tag, attribute, value, rel) of every src/href/srcset/action/poster of a page."""

    ATTRIBUTES = ("src", "href", "srcset", "action", "poster", "data")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in self.ATTRIBUTES:
            if values.get(name):
                self.found.append((tag, name, values[name] or "", values.get("rel") or ""))

    handle_startendtag = handle_starttag


def _off_site(value: str) -> bool:
    """Whether a URL (or any candidate of a srcset) names another host."""
    for candidate in value.split(","):
        url = candidate.strip().split(" ")[0]
        parts = urlsplit(url)
        if (parts.scheme in ("http", "https") or url.startswith("//")) and parts.hostname != HOST:
            return True
    return False


def offending(html: str) -> list[tuple[str, str, str]]:
    """The off-site references of a page that are not a user's plain link opened with noopener."""
    parser = _Links()
    parser.feed(html)
    bad = []
    for tag, name, value, rel in parser.found:
        if not _off_site(value):
            continue
        if tag == "a" and name == "href" and "noopener" in rel.split():
            continue
        bad.append((tag, name, value))
    return bad


def test_the_checker_catches_a_cdn_and_lets_a_document_link_through():
    assert offending('<script src="https://cdn.example/x.js"></script>') == [
        ("script", "src", "https://cdn.example/x.js")
    ]
    assert offending('<link rel="stylesheet" href="//fonts.example/css">')
    assert offending('<a href="https://docs.example/v1">doc</a>')  # a user's link, but without noopener
    assert offending('<a href="https://docs.example/v1" rel="noopener noreferrer">doc</a>') == []
    assert offending('<img src="/static/a.svg"><a href="http://testserver/x/">x</a>') == []


def _pages(processes: Any, demo: dict[str, Any]) -> dict[str, str]:
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    attach = instance.assignments.get()
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/v1"})
    approve = instance.assignments.get(key="approve_doc")
    company = Company.objects.order_by("pk").first()
    assert company is not None, "the demo seeds companies"
    return {
        "feed": "/",
        "assignments": "/assignments/?assignee=all&status=any",
        "assignment": f"/assignments/{approve.pk}/",
        "done assignment": f"/assignments/{attach.pk}/",
        "instance": f"/instances/{instance.pk}/",
        "company": f"/companies/{company.pk}/",
        "processes": "/processes/",
        "analytics": "/analytics/",
        "search": "/search/?q=прикрепить",
        "api docs": "/api/v1/docs",
    }


def test_no_main_page_points_off_the_site(processes, demo, login):
    client = login("director")
    for name, url in _pages(processes, demo).items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        html = response.content.decode()
        assert offending(html) == [], (name, url)
        if name == "assignment":  # the check does meet the user's link, and lets it through
            parser = _Links()
            parser.feed(html)
            assert any(value == "https://docs.example/v1" for _tag, _name, value, _rel in parser.found)
