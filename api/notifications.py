"""Notifications: the user's own, newest first; mark as read."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from base import listing
from notify.models import Notification
from notify.queries import get_notification_for_user, inbox

router = Router(tags=["notifications"])


def notification_out(n: Notification) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": n.text,
        "url": n.url,
        "created_at": n.created_at,
        "read": n.read,
        "assignment": n.assignment_id,
        "instance": n.instance_id,
        "task": n.task_id,
    }


@router.get("/notifications", response=dict)
def list_notifications(request: HttpRequest, unread: bool | None = None, limit: int = 50, offset: int = 0):
    rows = inbox(request.user, unread=bool(unread))
    found = listing.window(rows, limit=max(1, min(limit, listing.MAX_LIMIT)), offset=max(offset, 0))
    return {"items": [notification_out(n) for n in found.items], "count": found.count}


@router.post("/notifications/{notification_id}/read", response=dict)
def mark_read(request: HttpRequest, notification_id: int):
    n = get_notification_for_user(request.user, notification_id)
    n.mark_read()
    return notification_out(n)
