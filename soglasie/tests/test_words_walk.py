"""Every page a person reads, rendered as the demo people after all three processes ran a while: no
raw login and no ISO date or quarter where a person reads (tags, attributes, URLs and form values
may hold them; the text may not).

The scenario is the real one: trade conditions for a quarter with a send-back, a counterparty card
sent back and approved, bonus agreements started; then every page each persona opens.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import translation

from crm.models import Company
from crm.tests.factories import org_card
from engine import actions
from engine.models import Assignment, AssignmentStatus, Instance
from notify.models import Notification
from processes.tests.quarterly_support import deploy_processes, do

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b20\d\d-Q\d\b")
#: Elements whose text nobody reads on the page.
HIDDEN = {"script", "style", "template", "noscript", "textarea", "datalist", "option", "svg"}


class _Visible(HTMLParser):
    """The text between tags, outside elements nobody reads (attributes are dropped with the tags)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def problems(text: str, logins: set[str]) -> list[str]:
    """Each raw login (a whole word) and each ISO date or quarter in ``text``, with its line."""
    found = []
    for line in text.splitlines():
        words = set(re.findall(r"[\w.@-]+", line))
        found += [f"login {w!r} in {line!r}" for w in sorted(words & logins)]
        found += [f"ISO {m!r} in {line!r}" for m in ISO.findall(line)]
    return found


@pytest.fixture
def history(demo: dict[str, Any]) -> dict[str, Any]:
    """The three processes after a while: sent back, reworked, approved, started."""
    q = deploy_processes(demo)
    trade = actions.start("trade_conditions", by=q["sales_admin"].user, variables={"quarter": "2027-Q1"})
    do(trade, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1", "sales_head"]})
    do(trade, "attach_base_discounts", q["sales_head"], {"document_url": "https://docs.example/base"})
    do(trade, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Уточните скидки"})
    card = actions.start("add_counterparty", by=q["manager1"].user, variables={})
    do(card, "fill_card", q["manager1"], {**org_card(), "action": "submit"})
    do(card, "manager_approval", q["sales_head"], {"decision": "reject", "comment": "Проверьте КПП"})
    do(card, "revise_card", q["manager1"], {**org_card(), "action": "submit"})
    do(card, "manager_approval", q["sales_head"], {"decision": "approve"})
    do(card, "finance_approval", q["findir"], {"decision": "approve"})
    bonus = actions.start("bonus_agreements", by=q["sales_admin"].user, variables={"quarter": "2026-Q4"})
    return {"people": q, "trade": trade, "card": card, "bonus": bonus}


def _pages(history: dict[str, Any], username: str) -> list[str]:
    """The pages ``username`` reads: the lists, each assignment and instance they see, the card."""
    person = history["people"][username]
    pages = ["/", "/assignments/", "/processes/", "/analytics/", "/notifications/", "/companies/", "/tasks/"]
    mine = Assignment.objects.filter(assignee=person).order_by("pk")
    pages += [f"/assignments/{a.pk}/" for a in mine]
    pages += [f"/instances/{i.pk}/" for i in Instance.objects.order_by("pk")]
    pages += [f"/companies/{c.pk}/" for c in Company.objects.order_by("-pk")[:1]]
    return pages


PEOPLE = ["sales_admin", "sales_head", "director", "manager1", "findir"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_page_shows_a_login_or_an_iso_date(history, login, language):
    logins = {e.user.username for e in history["people"].values()}
    found: list[str] = []
    # The locale middleware leaves the request's language active: the override puts it back after.
    with translation.override(language):
        for username in PEOPLE:
            client = login(username)
            client.cookies["django_language"] = language
            for url in _pages(history, username):
                response = client.get(url)
                if response.status_code != 200:
                    continue  # what the person may not see is not theirs to read
                text = visible_text(response.content.decode())
                found += [f"{username} {url}: {p}" for p in problems(text, logins)]
    assert not found, "\n".join(found)


def test_the_notifications_and_their_mails_read_in_words(history):
    logins = {e.user.username for e in history["people"].values()}
    found = [f"{n.pk}: {p}" for n in Notification.objects.all() for p in problems(n.text, logins)]
    assert not found, "\n".join(found)


def test_the_scenario_reaches_every_kind_of_page(history):
    assert Assignment.objects.filter(status=AssignmentStatus.OPEN).exists()
    assert Company.objects.exists()
