"""axe-core over the pages a sales department lives on (issue 17, point 5): no serious violations.

axe-core is vendored (``static/vendor/axe-core``, written by ``scripts/fetch-vendor``) and loaded from
our own static files, so the check needs no network and passes the Content-Security-Policy like any
script of the site. Each page must have no violation of impact "serious" or "critical"; the
report names the rule, what it asks, and the elements that break it.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from crm.models import Company
from crm.tests.factories import org_card
from engine import actions
from engine.models import Assignment, AssignmentStatus
from processes.apps import deploy_files

AXE = "/static/vendor/axe-core/axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture
def on_approval(demo: dict[str, Any]) -> Assignment:
    """A counterparty card sent for approval: the head of sales has a decision to make."""
    deploy_files()
    instance = actions.start("add_counterparty", by=demo["manager1"].user, variables={})
    card = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    actions.complete(card.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    return Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)


def serious_violations(page: Any) -> list[str]:
    """axe's serious and critical violations on the current page, one readable line per element."""
    page.add_script_tag(url=f"{page.base}{AXE}")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            found.append(
                f"{page.url}: [{violation['impact']}] {violation['id']} — {violation['help']}\n"
                f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}"
            )
    return found


def test_the_pages_have_no_serious_accessibility_violations(ui, sign_in, demo, on_approval):
    company = Company.objects.create(
        inn="7707083893", kpp="770701001", responsible=demo["manager1"], name="Ромашка", kind="client",
        legal_form="ooo", city="Москва",
    )
    sign_in("sales_head")
    pages = {
        "the feed": "/",
        "«Автоматизация»": "/assignments/",
        "an assignment with a decision": f"/assignments/{on_approval.pk}/",
        "the instance page": f"/instances/{on_approval.instance_id}/",
        "a company card": f"/companies/{company.pk}/",
    }
    problems = []
    for name, path in pages.items():
        response = ui.goto(f"{ui.base}{path}")
        assert response is not None and response.status == 200, (name, path)
        if path == f"/assignments/{on_approval.pk}/":  # the decision says what each button does
            expect(ui.get_by_role("button", name="На доработку")).to_have_accessible_description(
                "Карточка вернётся менеджеру с вашим комментарием")
            expect(ui.get_by_role("button", name="Согласовать")).to_have_accessible_description(
                "Карточка уйдёт на согласование финансовому директору")
        problems.extend(serious_violations(ui))
    assert problems == [], "\n" + "\n".join(problems)


def test_the_check_sees_a_violation(ui, sign_in, demo):
    """The check itself works: an input without a label, planted on a page, is reported."""
    sign_in("manager1")
    ui.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=\"planted\">')")
    problems = serious_violations(ui)
    assert any("[critical] label" in p and "#planted" in p for p in problems), problems
