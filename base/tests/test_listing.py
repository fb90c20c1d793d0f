"""``base.listing.window``: the count of a list is right whichever page is asked for, and a page
that ends the list costs no COUNT query."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from base.listing import window


@pytest.fixture
def seven(db):
    User = get_user_model()
    User.objects.bulk_create([User(username=f"u{n}") for n in range(7)])
    return User.objects.filter(username__startswith="u").order_by("username")


@pytest.mark.parametrize(
    ("limit", "offset", "names", "queries"),
    [
        (10, 0, [f"u{n}" for n in range(7)], 1),  # the whole list on the first page: no COUNT
        (3, 0, ["u0", "u1", "u2"], 2),  # a full page: more may follow, so COUNT
        (3, 6, ["u6"], 1),  # the last page, not full
        (7, 0, [f"u{n}" for n in range(7)], 2),  # exactly full: COUNT to know nothing follows
        (3, 9, [], 2),  # past the end: COUNT says how many there are
    ],
)
def test_the_count_is_the_whole_lists(seven, django_assert_num_queries, limit, offset, names, queries):
    with django_assert_num_queries(queries):
        found = window(seven, limit=limit, offset=offset)
    assert [u.username for u in found.items] == names
    assert found.count == 7


def test_an_empty_list_counts_zero(db):
    found = window(get_user_model().objects.filter(username="nobody"), limit=5)
    assert found.items == [] and found.count == 0
