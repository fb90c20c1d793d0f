"""Sending the e-mail outbox. Safe to run from several workers at once.

A row is claimed by a conditional UPDATE that moves its ``next_attempt_at`` forward by a lease; only
the worker whose UPDATE matched sends it. The SMTP conversation happens outside any transaction, so
a slow mail server never holds a database lock. A failure is recorded and retried with exponential
backoff; the in-app notification is never touched.

A worker killed during the SMTP conversation leaves its row claimed: it is sent after the lease, by
whichever worker runs then. Killed in the instant between the server's "250 accepted" and the row's
``sent_at``, it cannot know the mail went out, and the mail goes out a second time; both copies carry
the same ``Message-ID`` (:func:`message_id`), by which mail servers and readers can tell the second.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F

from base import clock
from notify.models import OutboxEmail

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def unbreakable(subject: str) -> str:
    """The subject with no-break spaces, so that header folding cannot lose them.

    CPython's e-mail folder (python/cpython#92081) splits a long non-ASCII subject into RFC 2047
    encoded words at its spaces and leaves each space *between* the words, where the RFC tells mail
    readers to drop it: «ждёт выполнения» arrives as «ждётвыполнения». With no ASCII spaces the
    folder splits inside the text instead, which decoders join back exactly.
    """
    return subject.replace(" ", "\u00a0")


def message_id(email: OutboxEmail) -> str:
    """The same ``Message-ID`` for every attempt at one outbox row, and for no other row."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def send_due(now: datetime | None = None, *, limit: int = 100) -> tuple[int, int]:
    """Send what is due; returns (sent, failed)."""
    now = now or clock.now()
    sent = failed = 0
    candidates = list(
        OutboxEmail.objects.filter(sent_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    for pk, seen_next in candidates:
        claimed = OutboxEmail.objects.filter(pk=pk, sent_at__isnull=True, next_attempt_at=seen_next).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
        if claimed != 1:
            continue  # another worker has it
        email = OutboxEmail.objects.get(pk=pk)
        try:
            message = EmailMultiAlternatives(
                subject=unbreakable(email.subject),
                body=email.body,
                to=[email.to],
                headers={"Message-ID": message_id(email)},
            )
            if email.html:
                message.attach_alternative(email.html, "text/html")
            message.send()
        except (OSError, ValueError) as error:  # SMTP and socket errors (OSError), bad headers
            failed += 1
            log.warning("e-mail %s to %s failed: %s", pk, email.to, error)
            changes = {"last_error": str(error)[:2000], "next_attempt_at": now + backoff(email.attempts)}
            if email.attempts >= MAX_ATTEMPTS:
                changes["gave_up_at"] = now
            OutboxEmail.objects.filter(pk=pk).update(**changes)
        else:
            sent += 1
            OutboxEmail.objects.filter(pk=pk).update(sent_at=now, last_error="")
    return sent, failed
