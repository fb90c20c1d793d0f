"""A small counterparty-like process for the card figures: the same step keys, form fields and
option ids as ``add_counterparty`` (processes.md), without the real card's requisites checks."""

from __future__ import annotations

from typing import Any

from engine.definitions import deploy
from engine.tests.builder import DECISION_FORM, Process

CARD_FORM = """
<camunda:formField id="name" label="Наименование" type="text">
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>
<camunda:formField id="action" label="Действие" type="enum">
  <camunda:value id="submit" name="Отправить"/><camunda:value id="stop" name="Остановить"/>
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>"""

REASON_FORM = """
<camunda:formField id="reason" label="Причина" type="enum">
  <camunda:value id="needs_changes" name="Нужны изменения"/><camunda:value id="not_needed" name="Не нужен"/>
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>"""


def card_process() -> Process:
    p = Process("t_cards", "Тестовая карточка", properties={"start_roles": "*"})
    p.start().user("fill_card", "Заполнить карточку", "employee(starter)", form=CARD_FORM, due="P2D")
    p.gateway("gw_fill").end("stopped", outcome="stopped")
    p.user("manager_approval", "Согласовать (руководитель)", "role('sales_head')", form=DECISION_FORM, due="P2D")
    p.gateway("gw_manager")
    p.user("finance_approval", "Согласовать (финансы)", "role('finance_director')", form=DECISION_FORM, due="P2D")
    p.gateway("gw_finance").end("approved", outcome="approved")
    p.user("rejection_reason", "Причина отказа", "performer('finance_approval')", form=REASON_FORM, due="P2D")
    p.gateway("gw_reason").end("rejected", outcome="rejected")
    p.user("revise_card", "Внести правки", "employee(starter)", form=CARD_FORM, due="P2D")
    p.gateway("gw_revise")
    p.chain("start", "fill_card", "gw_fill").flow("gw_fill", "manager_approval", "action == 'submit'")
    p.flow("gw_fill", "stopped", "action == 'stop'")
    p.chain("manager_approval", "gw_manager").flow("gw_manager", "finance_approval", "decision == 'approve'")
    p.flow("gw_manager", "revise_card", "decision == 'reject'")
    p.chain("finance_approval", "gw_finance").flow("gw_finance", "approved", "decision == 'approve'")
    p.flow("gw_finance", "rejection_reason", "decision == 'reject'")
    p.chain("rejection_reason", "gw_reason").flow("gw_reason", "revise_card", "reason == 'needs_changes'")
    p.flow("gw_reason", "rejected", "reason == 'not_needed'")
    p.chain("revise_card", "gw_revise").flow("gw_revise", "manager_approval", "action == 'submit'")
    p.flow("gw_revise", "stopped", "action == 'stop'")
    return p


def deploy_card_process() -> Any:
    version, _created = deploy(card_process().xml(), filename="t_cards.bpmn")
    return version
