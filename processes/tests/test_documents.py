"""Uploaded files in the customer's processes (issue 14 point 2): a file instead of a link, a version
chain through the rework loop, and the SHA-256 of the version each decision saw."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from base.errors import Invalid
from engine import documents
from engine.models import History, HistoryEvent
from files import services as files
from notify.models import Notification
from processes.tests.quarterly_support import do, open_assignment, state_of
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
    assert (first.document.owner, first.document.slot, first.version) == (
        f"instance:{instance.pk}",
        "base_discounts",
        1,
    )


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


# ------------------------------------------------------------------ through the pages and the API


def _multipart_page(client, instance, key, data):
    """Post the ``key`` step's page as a browser without JavaScript does (files sent with the form)."""
    assignment = open_assignment(instance, key)
    page = client.get(f"/assignments/{assignment.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    return client.post(f"/assignments/{assignment.pk}/", data)


def test_trade_conditions_on_files_through_the_pages_and_the_api(q, login, api_client):
    """The registers uploaded instead of linked: sent with the form (no JavaScript) and uploaded at
    once (the id in the hidden input), a rework making version 2, the instance page and the API
    listing both versions with who, where and which decision saw each; the finish notice names the
    files and lets its recipient download them; an outsider gets 404."""
    people = {who: login(who) for who in ("sales_admin", "sales_head", "director", "manager1", "accountant")}
    instance = start(q)
    do(instance, "select_start_recipients", q["sales_admin"], {"recipients": ["manager1"]})

    # The form shows the upload control; an empty file is refused on the page, naming the field.
    empty = _multipart_page(
        people["sales_head"],
        instance,
        "attach_base_discounts",
        {"_upload.document_file": SimpleUploadedFile("x.xlsx", b"")},
    )
    assert empty.status_code == 400 and "Файл пустой" in empty.content.decode()
    first = SimpleUploadedFile("Реестр базовых скидок.xlsx", b"version one")
    sent = _multipart_page(people["sales_head"], instance, "attach_base_discounts", {"_upload.document_file": first})
    assert sent.status_code == 302, sent.content.decode()[:1500]
    approve = open_assignment(instance, "approve_base_discounts")
    assert "Реестр базовых скидок.xlsx" in people["director"].get(f"/assignments/{approve.pk}/").content.decode()
    do(instance, "approve_base_discounts", q["director"], {"decision": "reject", "comment": "Пересчитать"})

    # The revision shows the previous version; a file uploaded at once (the JS path) becomes version 2.
    revise = open_assignment(instance, "revise_base_discounts")
    page = people["sales_head"].get(f"/assignments/{revise.pk}/").content.decode()
    assert "Текущая версия:" in page and "Реестр базовых скидок.xlsx" in page
    uploaded = people["sales_head"].post(
        "/files/upload/",
        {"file": SimpleUploadedFile("Реестр базовых скидок v2.xlsx", b"version two")},
        headers={"accept": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.content
    sent = people["sales_head"].post(f"/assignments/{revise.pk}/", {"document_file": str(uploaded.json()["id"])})
    assert sent.status_code == 302, sent.content.decode()[:1500]
    do(instance, "approve_base_discounts", q["director"], {"decision": "approve"})
    registry = files.store(b"registry", by=q["sales_admin"], name="Реестр условий.xlsx")
    do(instance, "attach_conditions_registry", q["sales_admin"], {"document_file": registry.pk})
    do(instance, "approve_conditions_registry", q["director"], {"decision": "approve"})

    page = people["director"].get(f"/instances/{instance.pk}/").content.decode()
    for text in (
        "Реестр базовых скидок.xlsx",
        "Реестр базовых скидок v2.xlsx",
        hashlib.sha256(b"version two").hexdigest(),
    ):
        assert text in page
    assert q["sales_head"].full_name in page and "Доработать реестр базовых скидок" in page

    body = api_client("director").get(f"/api/v1/instances/{instance.pk}").json()
    base = next(
        d for d in body["documents"] if d["field"] == "document_file" and d["name"].startswith("Реестр базовых")
    )
    assert (base["version"], base["name"], base["sha256"]) == (
        2,
        "Реестр базовых скидок v2.xlsx",
        hashlib.sha256(b"version two").hexdigest(),
    )
    assert [v["version"] for v in base["versions"]] == [1, 2]
    assert [v["step"] for v in base["versions"]] == ["attach_base_discounts", "revise_base_discounts"]
    assert [[s["key"] for s in v["seen_by"]] for v in base["versions"]] == [
        # every completion records the versions current when it was done, its own upload included
        ["attach_base_discounts", "approve_base_discounts"],
        [
            "revise_base_discounts",
            "approve_base_discounts",
            "attach_conditions_registry",
            "approve_conditions_registry",
        ],
    ]

    # The finish: the notice names both files; its recipient may now open the instance and download them.
    do(instance, "select_finish_recipients", q["sales_admin"], {"recipients": ["manager1"]})
    notice = Notification.objects.get(kind="process_finished", recipient=q["manager1"])
    assert "Реестр базовых скидок v2.xlsx" in notice.text and "Реестр условий.xlsx" in notice.text
    assert notice.url == f"/instances/{instance.pk}/"
    assert people["manager1"].get(f"/instances/{instance.pk}/").status_code == 200
    version_two = files.current(f"instance:{instance.pk}", "base_discounts")
    got = people["manager1"].get(version_two.get_absolute_url())
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"version two"
    assert people["accountant"].get(version_two.get_absolute_url()).status_code == 404


def test_several_signed_agreements_are_sent_with_the_page_and_kept_as_documents(q, login):
    """The ``files`` field of «Бонусные соглашения» without JavaScript: two files sent with the form
    become two documents of the instance; the page sent back after an error keeps them chosen."""
    from processes.tests.test_bonus_agreements import start as start_bonus
    from processes.tests.test_bonus_agreements import to_sending

    admin = login("sales_admin")
    instance = start_bonus(q)
    to_sending(instance, q)
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    attach = open_assignment(instance, "attach_signed")
    page = admin.get(f"/assignments/{attach.pk}/").content.decode()
    assert 'name="_upload.signed_files"' in page and "Ещё файл" in page

    sent = admin.post(
        f"/assignments/{attach.pk}/",
        {
            "_upload.signed_files": [
                SimpleUploadedFile("Соглашение, Автодеталь.pdf", b"signed one"),
                SimpleUploadedFile("Соглашение, Запчасть-Сервис.pdf", b"signed two"),
            ],
            "comment": "Оба клиента",
        },
    )
    assert sent.status_code == 302, sent.content.decode()[sent.content.decode().find("<main") :][:3000]
    attach.refresh_from_db()
    assert len(attach.data["signed_files"]) == 2
    names = sorted(d.current.stored.name for d in documents.instance_documents(instance))
    assert "Соглашение, Автодеталь.pdf" in names and "Соглашение, Запчасть-Сервис.pdf" in names
    page = admin.get(f"/instances/{instance.pk}/").content.decode()
    assert "Соглашение, Запчасть-Сервис.pdf" in page
