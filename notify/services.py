"""Writing notifications. Called inside the step's transaction: nothing is sent before it commits."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from notify.models import MAILED_KINDS, Notification, OutboxEmail
from org.models import Employee

Writer = Callable[[list[Notification], list[OutboxEmail]], None]

_collecting: contextvars.ContextVar[list[tuple[Notification, OutboxEmail | None]] | None] = contextvars.ContextVar(
    "notifications_collecting", default=None
)


def notify(
    recipient: Employee,
    kind: str,
    text: str,
    *,
    url: str = "",
    assignment: Any = None,
    instance: Any = None,
    task: Any = None,
) -> Notification:
    """Create an in-app notification and, for the mailed kinds, an outbox e-mail.

    Inside :func:`collected` the two rows are held and written at the block's end (the returned
    notification has no pk until then); elsewhere they are saved at once.
    """
    notification = Notification(
        recipient=recipient, kind=kind, text=text, url=url, assignment=assignment, instance=instance, task=task
    )
    email = _email(notification, recipient, kind, text, url)
    pending = _collecting.get()
    if pending is not None:
        pending.append((notification, email))
        return notification
    notification.save()
    if email is not None:
        email.save()
    return notification


def _email(notification: Notification, recipient: Employee, kind: str, text: str, url: str) -> OutboxEmail | None:
    address = recipient.user.email
    if kind not in MAILED_KINDS or not address:
        return None
    with override(settings.LANGUAGE_CODE):
        subject = text if len(text) <= 300 else text[:299] + "…"
        link = settings.SITE_URL.rstrip("/") + url if url else settings.SITE_URL
        body = "\n".join(
            [
                _("Здравствуйте, %(name)s!") % {"name": recipient.full_name},
                "",
                text,
                "",
                _("Открыть: %(link)s") % {"link": link},
                "",
                _("— Soglasie, бизнес-процессы отдела продаж"),
            ]
        )
    return OutboxEmail(notification=notification, to=address, subject=subject, body=body)


@contextlib.contextmanager
def collected(write: Writer) -> Iterator[None]:
    """Hold the notifications made inside the block and hand them to ``write`` at its end.

    For a caller that writes many rows in one transaction (the engine's step): its notifications
    go in with one statement per table instead of two per notification. ``write`` must save the
    notifications first (they get their pks) and then the e-mails. If the block fails, nothing is
    written, as the transaction around it is rolled back anyway.
    """
    token = _collecting.set([])
    try:
        yield
        pending = _collecting.get() or []
    finally:
        _collecting.reset(token)
    if pending:
        write([n for n, _e in pending], [e for _n, e in pending if e is not None])
