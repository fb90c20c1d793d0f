"""The customer's processes by name: what the figures and the pages need to know about them.

The engine knows no process by name. Whatever another room must know about the three processes of
``processes.md`` (a process key, the steps where a card is entered, the values a decision takes)
is named here once and imported from here; the BPMN files beside this module are the other half
of the same truth (``processes/tests/test_names.py`` checks that each name occurs in its file).
"""

from __future__ import annotations

ADD_COUNTERPARTY = "add_counterparty"
TRADE_CONDITIONS = "trade_conditions"
BONUS_AGREEMENTS = "bonus_agreements"

# --- add_counterparty (processes.md §2)

#: The card is filled in, then revised after a send-back: the steps where a card is entered.
FILL_CARD = "fill_card"
REVISE_CARD = "revise_card"
CARD_STEPS = (FILL_CARD, REVISE_CARD)
#: The card steps' ``action``: send the card on, or stop the process.
ACTION_SUBMIT = "submit"
ACTION_STOP = "stop"
#: The two approvals and the finance director's reason for a refusal.
MANAGER_APPROVAL = "manager_approval"
FINANCE_APPROVAL = "finance_approval"
REJECTION_REASON = "rejection_reason"
REVIEW_STEPS = (MANAGER_APPROVAL, FINANCE_APPROVAL, REJECTION_REASON)
#: ``decision`` of an approval; ``reason`` of a refusal that sends the card back.
DECISION_APPROVE = "approve"
DECISION_REJECT = "reject"
REASON_NEEDS_CHANGES = "needs_changes"
REASON_NOT_NEEDED = "not_needed"
#: The card's name field: what the pages call the counterparty before its company exists.
CARD_NAME = "name"

# --- trade_conditions (processes.md §1)

#: The rework steps after a director's refusal.
REVISE_BASE_DISCOUNTS = "revise_base_discounts"
REVISE_CONDITIONS_REGISTRY = "revise_conditions_registry"

#: Every step that takes work back after a reviewer refused it: its notice says so, with the reason.
REWORK_STEPS = (REVISE_CARD, REVISE_BASE_DISCOUNTS, REVISE_CONDITIONS_REGISTRY)
