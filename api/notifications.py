"""Notifications: the user's own, newest first; mark as read."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from base.errors import NotFound
from notify.models import Notification

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
    employee = getattr(request.user, "employee", None)
    qs = Notification.objects.filter(recipient=employee) if employee else Notification.objects.none()
    if unread:
        qs = qs.filter(read_at__isnull=True)
    limit = max(1, min(limit, 500))
    return {"items": [notification_out(n) for n in qs[max(offset, 0) : max(offset, 0) + limit]], "count": qs.count()}


@router.post("/notifications/{notification_id}/read", response=dict)
def mark_read(request: HttpRequest, notification_id: int):
    employee = getattr(request.user, "employee", None)
    n = Notification.objects.filter(pk=notification_id, recipient=employee).first() if employee else None
    if n is None:
        raise NotFound(_("Уведомление не найдено."))
    n.mark_read()
    return notification_out(n)
