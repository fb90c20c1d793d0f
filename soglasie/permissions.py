"""Who is an administrator: one definition for pages, API and services."""

from __future__ import annotations

from typing import Any


def is_administrator(user: Any) -> bool:
    """An active staff member. The demo's ``admin`` is one; ordinary employees are not."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)
