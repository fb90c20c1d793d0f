"""API endpoints: analytics (see api.md)."""

from ninja import Router

router = Router(tags=["analytics"])
