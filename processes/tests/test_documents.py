"""Uploaded files in the customer's processes (issue 14 point 2): a file instead of a link, a version
chain through the rework loop, and the SHA-256 of the version each decision saw."""

from __future__ import annotations

import hashlib

import pytest

from base.errors import Invalid
from engine import documents
from engine.models import History, HistoryEvent
from files import services as files
from processes.tests.quarterly_support import do, state_of
from processes.tests.test_trade_conditions import start


def upload(q, who, text):
    return files.store(text.encode(), by=q[who], name=f"Реестр скидок {text}.xlsx")


def test_a_file_stands_in_for_the_link_and_nothing_at_all_is_refused(q):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    before = state_of(instance)
    with pytest.raises(Invalid) as refused:
        do(instance, "attach_base_discounts", q["sales_head"], {})
    assert set(refused.value.errors) == {"document_url", "document_file"}
    assert state_of(instance) == before
    # Someone else's upload answers like a file that does not exist.
    foreign = upload(q, "manager1", "чужой")
    with pytest.raises(Invalid) as refused:
        do(instance, "attach_base_discounts", q["sales_head"], {"document_file": foreign.pk})
    assert list(refused.value.errors) == ["document_file"]
    first = upload(q, "sales_head", "v1")
    do(instance, "attach_base_discounts", q["sales_head"], {"document_file": first.pk})
    first.refresh_from_db()
    assert (first.document.owner, first.document.slot) == (f"instance:{instance.pk}", "base_discounts")
    assert first.version == 1


def test_two_rework_loops_make_a_chain_of_three_versions_and_each_decision_records_what_it_saw(q):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    uploads = [upload(q, "sales_head", f"v{n}") for n in (1, 2, 3)]
    do(instance, "attach_base_discounts", q["sales_head"], {"document_file": uploads[0].pk})
    for stored in uploads[1:]:
        do(instance, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Пересчитать"})
        do(instance, "revise_base_discounts", q["sales_head"], {"document_file": stored.pk})
    do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})

    (document,) = documents.instance_documents(instance)
    assert [v.stored.version for v in document.versions] == [1, 2, 3]
    assert [v.stored.pk for v in document.versions] == [s.pk for s in uploads]
    assert [v.step for v in document.versions] == [
        "attach_base_discounts",
        "revise_base_discounts",
        "revise_base_discounts",
    ]
    decisions = History.objects.filter(instance=instance, event=HistoryEvent.COMPLETED, key="approve_base_discounts")
    seen = [entry.data[documents.SEEN][0] for entry in decisions.order_by("at", "pk")]
    assert [item["version"] for item in seen] == [1, 2, 3]
    assert seen[-1]["sha256"] == hashlib.sha256(b"v3").hexdigest()
    # The approval that closed the loop is the one that saw version 3.
    approving = decisions.filter(data__decision="approve").get()
    assert document.current.seen_by[-1] == approving


def test_a_rework_that_sends_the_current_version_back_adds_no_version(q):
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    first = upload(q, "sales_head", "v1")
    do(instance, "attach_base_discounts", q["sales_head"], {"document_file": first.pk})
    do(instance, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Проверьте ещё раз"})
    do(instance, "revise_base_discounts", q["sales_head"], {"document_file": first.pk, "comment": "Всё верно"})
    (document,) = documents.instance_documents(instance)
    assert [v.stored.version for v in document.versions] == [1]
