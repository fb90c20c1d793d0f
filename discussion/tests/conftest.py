"""Fixtures of the discussion tests: an instance started by the head of sales (seen by him, the
director above him and administrators, not by the finance service or the other departments), a
demo company card; the real SMTP server is the mailbox plugin's."""

from __future__ import annotations

from typing import Any

import pytest

from crm.models import Company
from engine import actions
from engine.models import Instance
from notify.tests.mailbox import Inbox  # the SMTP fixtures come from the plugin the root conftest loads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def instance(processes: dict[str, Any], demo: dict[str, Any]) -> Instance:
    """«Тестовое согласование», started by sales_head; its first step is his too."""
    return actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})


@pytest.fixture
def company(demo: dict[str, Any]) -> Company:
    """«Автодеталь-Центр»: manager1 is responsible for it, sales_head is its head."""
    return Company.objects.select_related("responsible", "responsible_manager").get(name="Автодеталь-Центр")


__all__ = ["PDF", "Inbox"]
