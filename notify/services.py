"""Writing notifications. Called inside the step's transaction: nothing is sent before it commits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from notify.models import MAILED_KINDS, Notification, OutboxEmail
from org.models import Employee


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
    """Create an in-app notification and, for the mailed kinds, an outbox e-mail."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, text=text, url=url, assignment=assignment, instance=instance, task=task
    )
    email = recipient.user.email
    if kind in MAILED_KINDS and email:
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
        OutboxEmail.objects.create(notification=notification, to=email, subject=subject, body=body)
    return notification
