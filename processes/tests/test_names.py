"""Every name ``processes.names`` gives other rooms is a name the customer's BPMN files really use."""

from __future__ import annotations

from lxml import etree

from processes import names
from processes.apps import PROCESS_DIR

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}


def _file(key: str) -> etree._Element:
    return etree.parse(str(PROCESS_DIR / f"{key}.bpmn"))


def test_the_process_keys_are_the_files_processes() -> None:
    for key in (names.ADD_COUNTERPARTY, names.TRADE_CONDITIONS, names.BONUS_AGREEMENTS):
        assert _file(key).xpath("//bpmn:process/@id", namespaces=NS) == [key]


def test_the_counterparty_steps_and_decisions_are_in_its_file() -> None:
    tree = _file(names.ADD_COUNTERPARTY)
    steps = set(tree.xpath("//bpmn:userTask/@id", namespaces=NS))
    assert {*names.CARD_STEPS, *names.REVIEW_STEPS} <= steps

    def options(step: str, field: str) -> set[str]:
        path = f"//bpmn:userTask[@id='{step}']//camunda:formField[@id='{field}']/camunda:value/@id"
        return set(tree.xpath(path, namespaces=NS))

    for step in names.CARD_STEPS:
        assert {names.ACTION_SUBMIT, names.ACTION_STOP} <= options(step, "action")
    for step in (names.MANAGER_APPROVAL, names.FINANCE_APPROVAL):
        assert {names.DECISION_APPROVE, names.DECISION_REJECT} <= options(step, "decision")
    assert {names.REASON_NEEDS_CHANGES, names.REASON_NOT_NEEDED} <= options(names.REJECTION_REASON, "reason")
    for step in names.CARD_STEPS:
        assert tree.xpath(f"//bpmn:userTask[@id='{step}']//camunda:formField[@id='{names.CARD_NAME}']", namespaces=NS)
