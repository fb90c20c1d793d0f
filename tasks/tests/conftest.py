"""Fixtures of the Tasks tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from base import clock
from tasks.models import Task
from tasks.services import create_task


@pytest.fixture
def task(demo: dict[str, Any]) -> Task:
    """manager1 asks manager2 to call a client, within two days."""
    return create_task(
        title="Позвонить клиенту «Ромашка»",
        description="Уточнить объём заказа",
        responsible=demo["manager2"],
        created_by=demo["manager1"],
        deadline=clock.now() + timedelta(days=2),
    )
