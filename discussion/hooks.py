"""Whose threads there are: the thread kinds the rooms above register.

This room sits below the engine and the companies, so it never imports them. A thread's owner is
``"<kind>:<id>"`` as the files room spells it (``files.hooks.owner``); each room that has a
discussion registers its kind when its app is ready, with the questions this room asks of it::

    register_thread("instance", may_see=..., participants=..., url=..., title=...)

- ``may_see(user, owner_id)``: may the user read (and so write in) the thread — whoever may see
  the instance or the card; a mentioned user is a :class:`~discussion.models.Participant` and the
  owner's own check lets them in from then on;
- ``participants(owner_id)``: the employees told of every new comment (the starter and assignees
  of an instance, the responsible people of a card…); the mentioned ones are added by this room;
- ``url(owner_id)`` and ``title(owner_id)``: where the thread is shown and what to call it in a
  notification.

A kind nobody registered is seen by administrators only, so a thread never becomes visible by
accident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: ``may_see(user, owner_id)``: the id is the text after the colon, as the owner string has it.
MaySee = Callable[[Any, str], bool]
#: ``participants(owner_id)``: the employees (``org.models.Employee``) to tell of a new comment.
Participants = Callable[[str], Iterable[Any]]


def _no_one(owner_id: str) -> list[Any]:
    return []


def _nowhere(owner_id: str) -> str:
    return "/"


def _untitled(owner_id: str) -> str:
    return owner_id


@dataclass(frozen=True)
class ThreadKind:
    name: str
    may_see: MaySee
    participants: Participants = _no_one
    url: Callable[[str], str] = _nowhere
    title: Callable[[str], str] = _untitled


THREAD_KINDS: dict[str, ThreadKind] = {}


def register_thread(
    kind: str,
    *,
    may_see: MaySee,
    participants: Participants = _no_one,
    url: Callable[[str], str] = _nowhere,
    title: Callable[[str], str] = _untitled,
) -> None:
    """Register (or replace) a thread kind; ``kind`` is a short word without a colon."""
    if not kind or ":" in kind:
        raise ValueError(f"a thread kind is a word without a colon, not {kind!r}")
    THREAD_KINDS[kind] = ThreadKind(kind, may_see, participants, url, title)


def thread_kind(kind: str) -> ThreadKind | None:
    return THREAD_KINDS.get(kind)


#: The largest id a database integer key holds (``base.texts.MAX_ID``).
_MAX_ID = 2**63 - 1


def pk_of(owner_id: str) -> int | None:
    """The row id an owner id names (``"12"`` → 12); None for text no key could be (a hook answers
    "nobody sees it" rather than letting a database overflow)."""
    return int(owner_id) if owner_id.isascii() and owner_id.isdigit() and 0 < int(owner_id) <= _MAX_ID else None
