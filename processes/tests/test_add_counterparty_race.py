"""Races of `add_counterparty` on PostgreSQL: two cards of one counterparty approved at the same
moment, and one card's final approval sent twice at once. Exactly one company either way."""

from __future__ import annotations

import pytest
from django.db import connection

from base.errors import SoglasieError
from crm.models import Company
from crm.tests.factories import deploy_counterparty_process, org_card
from engine import actions
from engine.models import Assignment, Instance
from engine.tests.flows import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _to_finance(demo, username: str, card: dict) -> Instance:
    instance = actions.start("add_counterparty", by=demo[username].user)
    step = Assignment.objects.get(instance=instance, status="open")
    actions.complete(step.pk, by=demo[username].user, data={**card, "action": "submit"})
    step = Assignment.objects.get(instance=instance, status="open")
    actions.complete(step.pk, by=step.assignee.user, data={"decision": "approve"})
    return instance


def test_one_card_submitted_twice_in_a_race_makes_one_company(demo):
    deploy_counterparty_process()
    starters = ("manager1", "manager2")
    instances = [actions.start("add_counterparty", by=demo[u].user) for u in starters]
    fills = [Assignment.objects.get(instance=i, status="open") for i in instances]
    card = {**org_card(), "action": "submit"}
    race(
        *[
            lambda f=f, u=u: actions.complete(f.pk, by=demo[u].user, data=card)
            for f, u in zip(fills, starters, strict=True)
        ]
    )
    # Whether or not the running-duplicate check saw the other card, at most one company results.
    approving = []
    for instance in instances:
        step = Assignment.objects.filter(instance=instance, status="open", key="manager_approval").first()
        if step is not None:
            actions.complete(step.pk, by=step.assignee.user, data={"decision": "approve"})
            approving.append(Assignment.objects.get(instance=instance, status="open", key="finance_approval"))
    findir = demo["findir"].user
    errors = race(
        *[lambda s=s: actions.complete(s.pk, by=findir, data={"decision": "approve"}) for s in approving]
    )
    assert Company.objects.filter(inn=org_card()["inn"], kpp=org_card()["kpp"]).count() == 1
    assert len(errors) == len(approving) - 1
    assert all(isinstance(e, SoglasieError) for e in errors), errors


def test_the_same_final_approval_sent_twice_at_once_makes_one_company(demo):
    deploy_counterparty_process()
    instance = _to_finance(demo, "manager1", org_card())
    step = Assignment.objects.get(instance=instance, status="open", key="finance_approval")
    findir = demo["findir"].user
    errors = race(*[lambda: actions.complete(step.pk, by=findir, data={"decision": "approve"})] * 2)
    # The loser is refused (a Conflict; see the report on the engine's stale assignment read on PostgreSQL,
    # which can turn it into the approval check's field error): never a second company.
    assert len(errors) == 1 and isinstance(errors[0], SoglasieError), errors
    assert Company.objects.filter(created_by_instance=instance).count() == 1
