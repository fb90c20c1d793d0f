"""The approval form names its outcome buttons by what they do, with a line under each (issue 17).

The lines come from the decision field's ``descriptions`` property (``docs/bpmn.md``, "Decisions"):
a reviewer must see before clicking that «На доработку» sends the card back to its author.
"""

from __future__ import annotations

import re
from typing import Any

from crm.tests.factories import deploy_counterparty_process, org_card
from engine import actions
from engine.forms import FieldDef, FormDefinition, Option, check_form, describe_options, to_api
from engine.models import Assignment, AssignmentStatus


def _decision(descriptions: str) -> FieldDef:
    return FieldDef("decision", "enum", "Решение", options=[Option("approve", "Согласовать"), Option("reject", "Нет")],
                    properties={"descriptions": descriptions})


def test_descriptions_reach_the_options_and_the_api() -> None:
    f = _decision('{"reject": "Карточка вернётся менеджеру"}')
    describe_options(f)
    assert check_form(FormDefinition([f])) == []
    options = to_api(FormDefinition([f]))[0]["options"]
    assert options == [{"id": "approve", "label": "Согласовать"},
                       {"id": "reject", "label": "Нет", "description": "Карточка вернётся менеджеру"}]


def test_deploy_refuses_descriptions_of_unknown_options_or_bad_json() -> None:
    unknown = check_form(FormDefinition([_decision('{"rework": "…"}')]))
    assert unknown == [("decision", "descriptions: нет вариантов rework")]
    broken = check_form(FormDefinition([_decision('{"reject": ')]))
    assert broken and broken[0][1].startswith("Свойство descriptions должно быть объектом JSON")
    on_text = check_form(FormDefinition([FieldDef("comment", "text", properties={"descriptions": "{}"})]))
    assert on_text == [("comment", "descriptions бывают только у поля типа enum")]


def test_the_managers_approval_says_what_each_button_does(demo: dict[str, Any], login: Any) -> None:
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user, variables={})
    card = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    actions.complete(card.pk, by=demo["manager1"].user, data={**org_card(), "action": "submit"})
    approval = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    text = login("sales_head").get(f"/assignments/{approval.pk}/").content.decode()
    found = re.findall(r'value="(approve|reject)" aria-describedby="([^"]+)">([^<]+)</button>', text)
    buttons = {oid: hint for oid, hint, _ in found}
    labels = {oid: label for oid, _, label in found}
    assert labels == {"approve": "Согласовать", "reject": "На доработку"}
    hints = dict(re.findall(r'<span id="([^"]+)" class="decision-hint">([^<]+)</span>', text))
    assert hints[buttons["reject"]] == "Карточка вернётся менеджеру с вашим комментарием"
    assert hints[buttons["approve"]] == "Карточка уйдёт на согласование финансовому директору"
