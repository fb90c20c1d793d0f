"""API endpoints: tasks (see api.md)."""

from ninja import Router

router = Router(tags=["tasks"])
