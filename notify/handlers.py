"""What people are told when the engine reports an event: who, which kind, in which words.

The engine knows nothing of notifications: it emits :class:`engine.hooks.Event` s, and this module,
registered as a listener when the app is ready, turns each into notifications (and their e-mails).
A step's events arrive together, after the step's rows are written and before it commits, so
their notifications go in with one statement per table. A comment in a discussion arrives the same
way, as the ``comment_posted`` signal sent inside the transaction that saved it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from base import words
from discussion.models import Comment
from engine import assignees
from engine.access import THREAD as INSTANCE_THREAD
from engine.hooks import Event, EventKind
from engine.models import Outcome
from files.hooks import split_owner
from notify import links
from notify.models import Kind, Notification, OutboxEmail
from notify.services import build, mailed, write
from notify.texts import Moment, Phrase, Title, Words
from org import directory
from org.models import Employee

Pair = tuple[Notification, OutboxEmail | None]

#: A rule that says whether a newly opened assignment sends work back, answering the reviewer's
#: words and the reviewer, or ``None``. Notify knows no process: the processes register theirs
#: (``processes.sendbacks``), as they know which steps rework and which decision refuses.
SendBack = Callable[[Any, Any], "tuple[str, Employee | None] | None"]
SENT_BACK: list[SendBack] = []


def sent_back(rule: SendBack) -> SendBack:
    """Register a :data:`SendBack` rule (a decorator; registering twice keeps one)."""
    if rule not in SENT_BACK:
        SENT_BACK.append(rule)
    return rule


def on_engine_events(events: list[Event]) -> None:
    pairs: list[Pair] = []
    for event in events:
        pairs.extend(_HANDLERS[event.kind](event))
    write(pairs)


def _assigned(event: Event) -> list[Pair]:
    assignment = event.assignment
    back = next((found for rule in SENT_BACK if (found := rule(assignment, event.instance)) is not None), None)
    if back is not None:
        reason, reviewer = back
        name = words.person(reviewer)
        text = (
            Phrase(gettext_noop("Возвращено на доработку: %(reason)s — %(name)s"), reason=reason, name=name)
            if reason
            else Phrase(
                gettext_noop("Возвращено на доработку: %(title)s — %(name)s"), title=Title(assignment.title), name=name
            )
        )
    else:
        text = Phrase(gettext_noop("Новое задание: «%(title)s»"), title=Title(assignment.title))
    if assignment.due_at:
        text += Phrase(gettext_noop(", срок %(due)s"), due=Moment(assignment.due_at))
    # Decisions from the e-mail: links only for a mail that goes out (nobody could use the others).
    buttons = links.issue(assignment, event.instance) if mailed(assignment.assignee, Kind.ASSIGNED) else []
    return [_about(assignment.assignee, Kind.ASSIGNED, text, event, buttons=buttons)]


def _moved(event: Event) -> list[Pair]:
    """Both are told; the e-mail links of the assignment die (they were the previous assignee's)."""
    links.revoke(event.assignment)
    title = Title(event.assignment.title)
    target: Employee = event.data["target"]
    text_new = Phrase(gettext_noop("Вам передано задание «%(title)s»"), title=title)
    if event.data.get("comment"):
        text_new += Phrase(". %(comment)s", comment=event.data["comment"])
    text_old = Phrase(gettext_noop("Задание «%(title)s» передано: %(name)s"), title=title, name=target.full_name)
    return [
        _about(target, Kind.REASSIGNED, text_new, event),
        _about(event.data["previous"], Kind.REASSIGNED, text_old, event),
    ]


def _reminder(event: Event) -> list[Pair]:
    assignment = event.assignment
    text = Phrase(
        gettext_noop("Напоминание: задание «%(title)s» ждёт выполнения, срок %(due)s"),
        title=Title(assignment.title),
        due=Moment(assignment.due_at),
    )
    return [_about(assignment.assignee, Kind.REMINDER, text, event)]


def _overdue(event: Event) -> list[Pair]:
    """One notice to the assignee and one to their line manager."""
    assignment = event.assignment
    title, due = Title(assignment.title), Moment(assignment.due_at)
    text = Phrase(gettext_noop("Просрочено задание «%(title)s» (срок был %(due)s)"), title=title, due=due)
    pairs = [_about(assignment.assignee, Kind.OVERDUE, text, event)]
    manager = directory.line_manager(assignment.assignee)
    if manager is not None:
        text = Phrase(
            gettext_noop("Просрочено задание «%(title)s» сотрудника %(name)s (срок был %(due)s)"),
            title=title,
            name=assignment.assignee.full_name,
            due=due,
        )
        pairs.append(_about(manager, Kind.OVERDUE, text, event))
    return pairs


def _finished(event: Event) -> list[Pair]:
    instance = event.instance
    if not instance.started_by_id:
        return []
    starter = assignees.employee_by_pk(instance.started_by_id)
    if starter is None:
        return []
    outcome = event.data.get("outcome")
    label = Words(Outcome(outcome).label) if outcome in Outcome.values else outcome
    text = Phrase(gettext_noop("Процесс «%(title)s» завершён: %(outcome)s"), title=Title(instance.title), outcome=label)
    return [build(starter, Kind.PROCESS_FINISHED, text, url=instance.get_absolute_url(), instance=instance)]


def _about(
    recipient: Employee, kind: str, text: str, event: Event, *, buttons: list[links.Button] | None = None
) -> Pair:
    """A notification about the event's assignment, linking to its page (and offering ``buttons``)."""
    assignment = event.assignment
    return build(
        recipient,
        kind,
        text,
        url=assignment.get_absolute_url(),
        assignment=assignment,
        instance=event.instance,
        buttons=buttons or (),
    )


#: How much of a comment a notice quotes.
EXCERPT = 200


def on_comment_posted(
    sender: Any,
    comment: Comment,
    participants: list[Employee],
    mentioned: list[Employee],
    title: str,
    url: str,
    **kwargs: Any,
) -> None:
    """One notice (and one e-mail) per person: the mentioned are told they were called in, the
    thread's other participants that there is a new comment; never the author."""
    author = comment.author
    excerpt = comment.text if len(comment.text) <= EXCERPT else comment.text[: EXCERPT - 1] + "…"
    said = {"name": author.full_name, "title": title, "text": excerpt}
    kind, owner_id = split_owner(comment.owner)
    told: set[int] = {author.pk}
    pairs: list[Pair] = []
    for people, text in (
        (mentioned, Phrase(gettext_noop("%(name)s упоминает вас в обсуждении «%(title)s»: %(text)s"), **said)),
        (participants, Phrase(gettext_noop("Новый комментарий в обсуждении «%(title)s», %(name)s: %(text)s"), **said)),
    ):
        for person in people:
            if person.pk in told or not person.is_active:
                continue
            told.add(person.pk)
            notification, email = build(person, Kind.COMMENT, text, url=url)
            if kind == INSTANCE_THREAD and owner_id.isdigit():
                notification.instance_id = int(owner_id)
            pairs.append((notification, email))
    write(pairs)


def local_time(moment: datetime | None) -> str:
    """An instant as people read it in a notice: ``02.12.2026 15:00`` in the site's time zone."""
    if moment is None:
        return "—"
    return words.moment(moment)


_HANDLERS: dict[str, Any] = {
    EventKind.ASSIGNED: _assigned,
    EventKind.MOVED: _moved,
    EventKind.REMINDER: _reminder,
    EventKind.OVERDUE: _overdue,
    EventKind.FINISHED: _finished,
}
