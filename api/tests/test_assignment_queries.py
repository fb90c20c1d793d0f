"""``GET /api/v1/assignments`` reads the same few queries for 2 assignments as for 20 (``bench/inbox``
times it over a million)."""

from __future__ import annotations

import pytest

from engine.tests.flows import queries, some_approvals


@pytest.mark.parametrize(
    "params",
    [
        "assignee=me&status=open&order=due&limit=50",
        "assignee=me&status=open&order=due&limit=50&name=прикрепить",
        "assignee=me&status=done",
        "status=open&order=due&limit=500",
    ],
)
def test_the_same_queries_for_2_assignments_and_for_20(processes, demo, api_client, params):
    client = api_client("sales_head")
    some_approvals(demo, 2)
    small = queries(client, f"/api/v1/assignments?{params}")
    some_approvals(demo, 18)
    assert queries(client, f"/api/v1/assignments?{params}") == small
