"""Notifications: the user's own, newest first; mark as read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.schemas import Id, Page, PageQuery, page_of, refusals
from notify.models import Kind, Notification
from notify.queries import get_notification_for_user, inbox

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="Вид, например " + ", ".join(Kind.values) + ".")
    text: str
    url: str = Field(description="Страница, о которой уведомление (может быть пусто).")
    created_at: datetime
    read: bool
    assignment: int | None
    instance: int | None
    task: int | None


def notification_out(n: Notification) -> dict[str, Any]:
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


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="true — только непрочитанные.")


@router.get("/notifications", response={200: Page[NotificationOut], **refusals(400)})
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """The caller's own notifications, newest first (``notify.queries.inbox``)."""
    return page_of(query.window(inbox(request.user, unread=bool(query.unread))), notification_out)


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **refusals(400, 403, 404)})
def mark_read(request: HttpRequest, notification_id: Id) -> dict[str, Any]:
    """404 for someone else's notification, as for one that does not exist; 403 only for a browser
    session without its CSRF token."""
    n = get_notification_for_user(request.user, notification_id)
    n.mark_read()
    return notification_out(n)
