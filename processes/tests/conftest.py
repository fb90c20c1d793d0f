"""Fixtures of the customer's processes' tests."""

from __future__ import annotations

from typing import Any

import pytest

from processes.tests.quarterly_support import deploy_processes


@pytest.fixture
def q(demo: dict[str, Any]) -> dict[str, Any]:
    """The demo company (people by login) with the process files deployed."""
    return deploy_processes(demo)
