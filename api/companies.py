"""API endpoints: companies (see api.md)."""

from ninja import Router

router = Router(tags=["companies"])
