"""Deactivating an employee hands their open assignments to their successor (same transaction)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from org.directory import employee_deactivated


@receiver(employee_deactivated)
def _reassign(sender: Any, employee: Any, by: Any = None, **kwargs: Any) -> None:
    from engine.actions import reassign_open_work

    reassign_open_work(employee, by=by)
