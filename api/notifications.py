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
    text: str = Field(alias="shown_text", description="Текст на языке запроса (русский по умолчанию).")
    url: str = Field(description="Страница, о которой уведомление (может быть пусто).")
    created_at: datetime
    read: bool
    # Read straight from the model: the ids of what the notification is about.
    assignment: int | None = Field(alias="assignment_id")
    instance: int | None = Field(alias="instance_id")
    task: int | None = Field(alias="task_id")


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="true — только непрочитанные.")


@router.get("/notifications", response={200: Page[NotificationOut], **refusals(400)})
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """The caller's own notifications, newest first (``notify.queries.inbox``)."""
    return page_of(query.window(inbox(request.user, unread=bool(query.unread))), lambda n: n)


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **refusals(400, 403, 404)})
def mark_read(request: HttpRequest, notification_id: Id) -> Notification:
    """404 for someone else's notification, as for one that does not exist; 403 only for a browser
    session without its CSRF token."""
    n = get_notification_for_user(request.user, notification_id)
    n.mark_read()
    return n
