"""Writing notifications: in-app rows and their outbox e-mails, in the caller's transaction.

Nothing is sent before the transaction commits: the worker sends the outbox (``notify.outbox``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from engine import rows
from notify.models import MAILED_KINDS, Notification, OutboxEmail
from notify.texts import Phrase, in_site_language
from org.models import Employee


def notify(recipient: Employee, kind: str, text: str | Phrase, **about: Any) -> Notification:
    """Create an in-app notification and, for the mailed kinds, an outbox e-mail, now.

    ``about`` is what :func:`build` takes: ``url`` and the ``assignment``, ``instance`` or ``task``.
    """
    notification, email = build(recipient, kind, text, **about)
    write([(notification, email)])
    return notification


def build(
    recipient: Employee,
    kind: str,
    text: str | Phrase,
    *,
    url: str = "",
    assignment: Any = None,
    instance: Any = None,
    task: Any = None,
    buttons: Sequence[Any] = (),
) -> tuple[Notification, OutboxEmail | None]:
    """The rows of one notification, unsaved: :func:`write` saves many with one statement per table.

    ``buttons`` (``notify.links.Button``: a label and an absolute url) are the decisions the e-mail
    offers besides its link to the page.
    """
    message = text.stored() if isinstance(text, Phrase) else []
    # Stored in the site's language («Торговые условия на I квартал 2027 г.», as every page says it),
    # whoever caused it; a Phrase is shown again in each reader's language (``notify.texts``).
    text = in_site_language(text)
    notification = Notification(
        recipient=recipient,
        kind=kind,
        text=text,
        message=message,
        url=url,
        assignment=assignment,
        instance=instance,
        task=task,
    )
    return notification, _email(notification, recipient, kind, text, url, buttons)


def write(pairs: list[tuple[Notification, OutboxEmail | None]]) -> None:
    """Insert notifications, then their e-mails (which take the notifications' pks)."""
    if pairs:
        rows.insert([n for n, _e in pairs])
        rows.insert([e for _n, e in pairs if e is not None], returning=False)


def mailed(recipient: Employee, kind: str) -> bool:
    """Whether a notification of this kind to this person also goes out by e-mail."""
    return kind in MAILED_KINDS and bool(recipient.user.email)


def _email(
    notification: Notification, recipient: Employee, kind: str, text: str, url: str, buttons: Sequence[Any] = ()
) -> OutboxEmail | None:
    if not mailed(recipient, kind):
        return None
    with override(settings.LANGUAGE_CODE):
        subject = text if len(text) <= 300 else text[:299] + "…"
        link = settings.SITE_URL.rstrip("/") + url if url else settings.SITE_URL
        # A button's label is the form's (Russian) text, translated here with the rest of the mail.
        offered = [{"label": _(button.label), "url": button.url} for button in buttons]
        decisions: list[str] = []
        if offered:
            decisions = [_("Решить прямо из письма (ссылка откроет страницу подтверждения):")]
            decisions += [f"{button['label']}: {button['url']}" for button in offered]
            decisions.append("")
        body = "\n".join(
            [
                _("Здравствуйте, %(name)s!") % {"name": recipient.full_name},
                "",
                text,
                "",
                *decisions,
                _("Открыть: %(link)s") % {"link": link},
                "",
                _("— Soglasie, бизнес-процессы отдела продаж"),
            ]
        )
        # The buttons as buttons for the mail readers that show HTML; the text above for the others.
        html = (
            render_to_string(
                "notify/email.html",
                {"name": recipient.full_name, "text": text, "buttons": offered, "link": link},
            )
            if offered
            else ""
        )
    return OutboxEmail(notification=notification, to=recipient.user.email, subject=subject, body=body, html=html)
