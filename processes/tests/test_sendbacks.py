"""The notice of a send-back says so, with the reviewer's reason and name (issue 17)."""

from __future__ import annotations

from crm.tests.factories import org_card
from engine import actions
from notify.models import Notification
from processes.tests.quarterly_support import do


def _last_notice(person):
    return Notification.objects.filter(recipient=person).order_by("-pk").first()


def test_a_card_sent_back_reads_returned_for_rework_with_the_reason_and_who(q):
    card = actions.start("add_counterparty", by=q["manager1"].user, variables={})
    do(card, "fill_card", q["manager1"], {**org_card(), "action": "submit"})
    do(card, "manager_approval", q["sales_head"], {"decision": "reject", "comment": "Проверьте КПП"})
    notice = _last_notice(q["manager1"])
    assert notice.text.startswith(f"Возвращено на доработку: Проверьте КПП — {q['sales_head'].full_name}")
    assert "Новое задание" not in notice.text


def test_the_finance_directors_needs_changes_is_a_send_back_too(q):
    card = actions.start("add_counterparty", by=q["manager1"].user, variables={})
    do(card, "fill_card", q["manager1"], {**org_card(), "action": "submit"})
    do(card, "manager_approval", q["sales_head"], {"decision": "approve"})
    do(card, "finance_approval", q["findir"], {"decision": "reject", "comment": "Нет"})
    assert _last_notice(q["findir"]).text.startswith("Новое задание")  # the reason step is the reviewer's own
    do(card, "rejection_reason", q["findir"], {"reason": "needs_changes", "comment": "Уточните банк"})
    expected = f"Возвращено на доработку: Уточните банк — {q['findir'].full_name}"
    assert _last_notice(q["manager1"]).text.startswith(expected)


def test_a_registry_refused_by_the_director_goes_back_in_the_same_words(q):
    trade = actions.start("trade_conditions", by=q["sales_admin"].user, variables={"quarter": "2027-Q1"})
    do(trade, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    do(trade, "attach_base_discounts", q["sales_head"], {"document_url": "https://docs.example/base"})
    assert _last_notice(q["director"]).text.startswith("Новое задание")
    do(trade, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Уточните скидки"})
    assert _last_notice(q["sales_head"]).text.startswith(
        f"Возвращено на доработку: Уточните скидки — {q['director'].full_name}"
    )
