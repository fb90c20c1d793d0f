"""Decisions from the e-mail: the one-time links of an ``assigned`` e-mail, and deciding by one.

An assignment whose form is a choice of outcomes (``engine.forms.choice_of_outcomes``) gets, in
its ``assigned`` e-mail, one link per outcome: ``SITE_URL/a/<token>``. The token is 256 random bits
(``secrets.token_urlsafe(32)``, 43 characters); the database keeps only its SHA-256, bound to the
assignment, its assignee and the outcome. The token is the credential: whoever holds the link may
take that one decision, as that assignee, once, within :data:`LIFETIME`, while the assignment is
still open and still theirs. Nothing else: the link logs nobody in and opens no other page.

A link dies when it is used, when its assignment closes (by any link, page or API), when the
assignment moves to someone else (delegated or reassigned: :func:`revoke`, called in the moving
step's transaction), or after :data:`LIFETIME`.

Concurrency: :func:`decide` locks the assignment's instance first (``engine.step.lock_assignment``,
the engine's unit of serialisation, the same order as every step), then claims the link and
completes the assignment in that one transaction, so two submits of one link (a double click, two
mail readers) complete it once and the second finds it used; a move that runs meanwhile waits for
the lock and finds the assignment done.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from base import clock
from base.errors import Conflict, Forbidden, Invalid, NotFound
from engine import actions, assignees, forms
from engine.definitions import model_for
from engine.models import Assignment, Instance
from engine.step import lock_assignment, model_of
from notify.models import DecisionLink

#: How long a link holds at most; it dies earlier when its assignment closes or moves.
LIFETIME = timedelta(days=7)
#: What ``secrets.token_urlsafe(32)`` makes: anything else is refused before the database is asked.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so a copy of the table opens nothing."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass
class Button:
    """One outcome's link, as the e-mail shows it: ``label`` as the form writes it (the mail translates)."""

    label: str
    url: str


def issue(assignment: Assignment, instance: Instance) -> list[Button]:
    """Make the links of a newly opened assignment, one per outcome, and return them for its e-mail.

    None (an empty list) when the form asks for more than one page can (``choice_of_outcomes``), or
    when four eyes would refuse the assignee anyway: a link must not promise what the engine
    refuses. Called inside the step that opened the assignment, so the links exist exactly when the
    e-mail row does.
    """
    model = model_of(instance)  # the step's own instance knows its version's checksum: no query
    task = model.user_tasks.get(assignment.key)
    choice = forms.choice_of_outcomes(task.form) if task is not None else None
    if choice is None:
        return []
    eyes = assignees.four_eyes(task, instance, model)
    if eyes is not None and eyes.excludes(assignment.assignee):
        return []
    now = clock.now()
    site = settings.SITE_URL.rstrip("/")
    buttons: list[Button] = []
    links: list[DecisionLink] = []
    for option in choice.options:
        token = secrets.token_urlsafe(32)
        links.append(
            DecisionLink(
                token_hash=digest(token),
                assignment=assignment,
                assignee_id=assignment.assignee_id,
                field=choice.id,
                outcome=option.id,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
        buttons.append(Button(option.label, site + reverse("decision_link", args=[token])))
    DecisionLink.objects.bulk_create(links)
    return buttons


def revoke(assignment: Assignment) -> int:
    """Kill the open links of an assignment that moved to someone else (inside the moving step)."""
    return DecisionLink.objects.filter(assignment=assignment, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def find(token: str) -> DecisionLink:
    """The link of a token, with what its page shows; ``NotFound`` for a forged or unknown one."""
    link = (
        DecisionLink.objects.select_related(
            "assignee__user",
            "assignment__assignee",
            "assignment__completed_by",
            "assignment__instance__process__definition",
            "assignment__instance__started_by",
        )
        .filter(token_hash=digest(token))
        .first()
        if _TOKEN.fullmatch(token or "")
        else None
    )
    if link is None:
        raise NotFound(_("Такой ссылки нет. Проверьте, что она скопирована из письма целиком."))
    return link


class Dead(Exception):
    """A link that no longer decides anything; ``reason`` is one of the ``Dead.*`` kinds."""

    USED = "used"
    CLOSED = "closed"
    MOVED = "moved"
    EXPIRED = "expired"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def why_dead(link: DecisionLink, now: datetime | None = None) -> str | None:
    """Why the link no longer holds (a ``Dead.*`` kind), or None while it does."""
    assignment = link.assignment
    if link.used_at is not None:
        return Dead.USED
    if not assignment.is_open:
        return Dead.CLOSED
    if link.revoked_at is not None or assignment.assignee_id != link.assignee_id:
        return Dead.MOVED
    if (now or clock.now()) >= link.expires_at:
        return Dead.EXPIRED
    return None


def needed_fields(link: DecisionLink) -> list[forms.FieldDef]:
    """The text fields the link's outcome requires (a send-back's comment): the page's boxes."""
    task = model_for(link.assignment.instance.process).user_tasks.get(link.assignment.key)
    if task is None:
        return []
    return forms.needed_for(task.form, link.outcome, link.assignment.instance.variables or {})


def outcome_label(link: DecisionLink) -> str:
    """The outcome as the form names it («Согласовать»)."""
    task = model_for(link.assignment.instance.process).user_tasks.get(link.assignment.key)
    choice = forms.decision_field(task.form) if task is not None else None
    option = next((o for o in choice.options if o.id == link.outcome), None) if choice else None
    return _(option.label) if option else link.outcome


def decide(link: DecisionLink, values: dict[str, Any]) -> Assignment:
    """Complete the link's assignment with its outcome, as its assignee, once.

    ``values`` are the page's boxes (only the text fields of the form are taken). Raises
    :class:`Dead` when the link no longer holds (checked under the instance's lock), and the
    engine's refusals as they come: ``Invalid`` (a required comment missing: the link stays
    usable), ``Forbidden`` (four eyes). A refusal leaves the link as it was; the engine's
    "refused" history note is kept, as for any refused submission.
    """
    task = model_for(link.assignment.instance.process).user_tasks.get(link.assignment.key)
    data: dict[str, Any] = {}
    if task is not None:
        data = {f.id: values[f.id] for f in task.form.fields if f.type in ("text", "textarea") and f.id in values}
    data[link.field] = link.outcome
    refused: Invalid | Forbidden | None = None
    with transaction.atomic():
        assignment, _instance = lock_assignment(link.assignment_id)
        link = DecisionLink.objects.select_related("assignee__user").get(pk=link.pk)
        link.assignment = Assignment.objects.select_related("completed_by", "assignee").get(pk=assignment.pk)
        reason = why_dead(link)
        if reason is not None:
            raise Dead(reason)
        DecisionLink.objects.filter(pk=link.pk).update(used_at=clock.now())
        try:
            done = actions.complete(assignment.pk, by=link.assignee.user, data=data)
        except (Invalid, Forbidden) as error:
            DecisionLink.objects.filter(pk=link.pk).update(used_at=None)
            refused = error
        except Conflict:  # cannot happen under the lock; kept so that a change there fails plainly
            raise Dead(Dead.CLOSED) from None
    if refused is not None:
        raise refused
    return done
