"""A person's notifications: the one query behind the bell's page and ``GET /api/v1/notifications``.

Only ever the caller's own: someone else's id is "not found", so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from base import words
from base.errors import NotFound
from notify.models import Notification
from org.access import employee_of


def inbox(user: Any, *, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (only the unread ones when asked)."""
    me = employee_of(user)
    rows = Notification.objects.filter(recipient=me) if me is not None else Notification.objects.none()
    if unread:
        rows = rows.filter(read_at__isnull=True)
    if not words.in_site_language():
        # Titles are named again in the reader's language from their process (``notify.texts``).
        rows = rows.select_related("assignment__instance__process", "instance__process__definition")
    return rows.order_by("-created_at", "-pk")


def get_notification_for_user(user: Any, pk: int) -> Notification:
    notification = inbox(user).filter(pk=pk).first()
    if notification is None:
        raise NotFound(_("Уведомление не найдено."))
    return notification
