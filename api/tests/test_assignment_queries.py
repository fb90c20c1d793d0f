"""``GET /api/v1/assignments`` reads the same few queries for 2 assignments as for 20 (``bench/inbox``
times it over a million)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.tests.flows import some_approvals


def queries(client, url: str) -> int:
    """The statements of one call, after one more before it (the first use of a token writes)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


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
