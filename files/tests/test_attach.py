"""Files become versions of an owner's document: a chain of versions through rework loops, the
current id sent back changing nothing, and a file used once and only by whom it may be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from base import clock
from base.errors import Invalid
from files import hooks
from files.models import Document, StoredFile
from files.services import attach, current, refusal, usable, versions

INSTANCE = hooks.owner("instance", 12)
SLOT = "document_url"


def test_three_versions_through_two_rework_loops(demo, upload):
    manager, start = demo["manager1"], datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    chain = []
    for loop, name in enumerate(["Условия v1.pdf", "Условия v2.pdf", "Условия v3.pdf"]):
        with clock.frozen(start + timedelta(days=loop)):
            stored = upload("manager1", f"версия {loop + 1}".encode(), name)
            # The form of the rework step is pre-filled with the current version and sends its id back too.
            sent = [stored.pk] if loop == 0 else [chain[-1].pk, stored.pk]
            attached = attach(sent, owner=INSTANCE, slot=SLOT, by=manager, title="Торговые условия")
        chain.append(attached[-1])
        assert attached[-1].version == loop + 1
        assert current(INSTANCE, SLOT).pk == stored.pk

    [document] = versions(INSTANCE)
    assert (document.slot, document.title, document.current.pk) == (SLOT, "Торговые условия", chain[-1].pk)
    kept = list(document.versions.all())
    assert [(f.version, f.name) for f in kept] == [(1, "Условия v1.pdf"), (2, "Условия v2.pdf"), (3, "Условия v3.pdf")]
    assert [f.attached_at for f in kept] == [start, start + timedelta(days=1), start + timedelta(days=2)]
    assert all(f.attached_by == manager for f in kept)
    assert Document.objects.count() == 1


def test_sending_the_current_version_back_changes_nothing(demo, upload):
    stored = upload("manager1")
    attach([stored.pk], owner=INSTANCE, slot=SLOT, by=demo["manager1"])
    again = attach([stored.pk, stored.pk], owner=INSTANCE, slot=SLOT, by=demo["sales_head"])
    assert [(f.pk, f.version) for f in again] == [(stored.pk, 1)]
    stored.refresh_from_db()
    assert (stored.version, stored.attached_by) == (1, demo["manager1"])
    assert StoredFile.objects.filter(document__isnull=False).count() == 1


def test_a_list_of_files_numbers_them_in_order(demo, upload):
    first, second = upload("manager1", b"a", "a.txt"), upload("manager1", b"b", "b.txt")
    attached = attach([second.pk, first.pk], owner=INSTANCE, slot="attachments", by=demo["manager1"])
    assert [(f.name, f.version) for f in attached] == [("b.txt", 1), ("a.txt", 2)]


def test_a_file_used_once_is_not_used_again_elsewhere(demo, upload):
    stored = upload("manager1")
    attach([stored.pk], owner=INSTANCE, slot=SLOT, by=demo["manager1"])
    for owner, slot in [(hooks.owner("company", 3), "documents.0"), (INSTANCE, "contract")]:
        with pytest.raises(Invalid) as refused:
            attach([stored.pk], owner=owner, slot=slot, by=demo["manager1"])
        assert "уже приложен к другому документу" in refused.value.errors[slot][0]
    assert Document.objects.count() == 1
    assert not usable(stored.pk, by=demo["manager1"], owner=hooks.owner("company", 3))
    assert usable(stored.pk, by=demo["manager2"], owner=INSTANCE)  # a version of that owner's document


def test_someone_elses_unused_upload_is_as_if_it_did_not_exist(demo, upload):
    theirs, mine = upload("manager2"), upload("manager1")
    assert usable(mine.pk, by=demo["manager1"], owner=INSTANCE)
    assert not usable(theirs.pk, by=demo["manager1"], owner=INSTANCE)
    assert refusal(theirs.pk, by=demo["manager1"]) == refusal(999_999, by=demo["manager1"]).replace(
        "999999", str(theirs.pk)
    )
    with pytest.raises(Invalid) as refused:
        attach([mine.pk, theirs.pk], owner=INSTANCE, slot=SLOT, by=demo["manager1"])
    assert refused.value.errors == {SLOT: [f"Файл №{theirs.pk} не найден."]}
    # All or nothing: the good file was not attached either.
    assert StoredFile.objects.filter(document__isnull=False).count() == 0 and Document.objects.count() == 0


def test_an_owner_is_built_by_code_and_a_malformed_one_is_a_programming_error(demo, upload):
    assert hooks.owner("company", 3) == "company:3" and hooks.split_owner("company:3") == ("company", "3")
    for bad in ["company", "company:", ":3", ""]:
        with pytest.raises(ValueError, match="not an owner"):
            attach([upload("manager1").pk], owner=bad, slot=SLOT, by=demo["manager1"])
    assert Document.objects.count() == 0


def test_ids_as_a_form_sends_them_and_ids_no_database_holds(demo, upload):
    stored = upload("manager1")
    assert usable(str(stored.pk), by=demo["manager1"])
    for bad in ["abc", "", -1, 0, 2**63, 2**64, True, None, 1.5]:
        assert not usable(bad, by=demo["manager1"]), bad
        assert refusal(bad, by=demo["manager1"]) == f"Файл №{bad} не найден."
    with pytest.raises(Invalid) as refused:
        attach([str(stored.pk), 2**64], owner=INSTANCE, slot=SLOT, by=demo["manager1"])
    assert refused.value.errors == {SLOT: [f"Файл №{2**64} не найден."]}
    [attached] = attach([str(stored.pk), stored.pk], owner=INSTANCE, slot=SLOT, by=demo["manager1"])
    assert (attached.pk, attached.version) == (stored.pk, 1)
