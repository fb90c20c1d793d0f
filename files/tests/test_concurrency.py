"""Attaching at the same moment on PostgreSQL: two new versions of one document are numbered one
after the other, and one file attached to two owners at once goes to exactly one. (SQLite
serialises writers with IMMEDIATE transactions; these need real row locks.)"""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from base.errors import Invalid
from engine.tests.flows import race
from files import hooks
from files.models import Document, StoredFile
from files.services import attach, store

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_two_first_versions_at_once_become_versions_1_and_2(demo):
    manager, head = demo["manager1"], demo["sales_head"]
    for round_ in range(20):
        owner = hooks.owner("instance", round_)
        mine, theirs = store(b"a", name="a.pdf", by=manager), store(b"b", name="b.pdf", by=head)
        errors = race(
            partial(attach, [mine.pk], owner=owner, slot="document_url", by=manager),
            partial(attach, [theirs.pk], owner=owner, slot="document_url", by=head),
        )
        assert errors == []
        versions = StoredFile.objects.filter(document__owner=owner).values_list("version", flat=True)
        assert sorted(versions) == [1, 2]
    assert Document.objects.count() == 20


def test_one_file_attached_to_two_owners_at_once_goes_to_one(demo):
    manager = demo["manager1"]
    for round_ in range(20):
        stored = store(b"x", name="x.pdf", by=manager)
        errors = race(
            partial(attach, [stored.pk], owner=hooks.owner("company", round_), slot="documents.0", by=manager),
            partial(attach, [stored.pk], owner=hooks.owner("instance", round_), slot="document_url", by=manager),
        )
        assert len(errors) == 1 and isinstance(errors[0], Invalid)
        stored.refresh_from_db()
        assert stored.version == 1
