"""The pages about work read the same few queries however much work there is: the query count of
«Автоматизация» (its default view, a title search, everything the viewer sees) and of the feed for 2
assignments and for 20 (``bench/inbox`` times them over a million)."""

from __future__ import annotations

import pytest

from engine.tests.flows import queries, some_approvals


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("sales_head", "/assignments/"),
        ("sales_head", "/assignments/?assignee=me&status=open&q=ПРИКРЕПИТЬ"),
        ("sales_head", "/assignments/?assignee=me&status=any&due=week"),
        ("manager1", "/assignments/?assignee=all&status=any"),
        ("manager1", "/assignments/?assignee=sales_head&status=open"),
        ("sales_head", "/"),
        ("manager1", "/"),
        ("director", "/"),
    ],
)
def test_the_same_queries_for_2_assignments_and_for_20(processes, demo, login, username, url):
    client = login(username)
    some_approvals(demo, 2)
    small = queries(client, url)
    some_approvals(demo, 18)
    assert queries(client, url) == small
