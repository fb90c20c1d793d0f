"""The notification list behind the bell: my notifications, newest first, marked read one by one or all.

A person only ever sees and marks their own notifications; someone else's id answers 404, so ids
reveal nothing. Marking read never touches the e-mail outbox.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from base import clock, listing
from notify.queries import get_notification_for_user, inbox


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """My notifications; ``?unread=1`` shows only the unread ones."""
    unread_only = request.GET.get("unread") in ("1", "true")
    page = listing.page(inbox(request.user, unread=unread_only), request.GET.get("page"))
    context = {"title": _("Уведомления"), "page": page, "unread_only": unread_only}
    return render(request, "notify/notifications.html", context)


@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with htmx the row is redrawn in place."""
    notification = get_notification_for_user(request.user, pk)
    notification.mark_read()
    if request.htmx:
        response = render(request, "notify/_notification.html", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications")


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = inbox(request.user, unread=True).update(read_at=clock.now())
    messages.success(request, _("Отмечено прочитанными: %(n)s.") % {"n": count})
    return redirect("notifications")


@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link and mark it read on the way (only links within the site)."""
    notification = get_notification_for_user(request.user, pk)
    notification.mark_read()
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications")
