"""Who may see a file attached to something: the owner kinds the rooms above register.

This room sits below the engine, the companies and the discussion, so it never imports them. A
document's ``owner`` is ``"<kind>:<id>"`` (see :func:`owner`); each room that attaches files
registers its kind when its app is ready, with the one question this room asks of it::

    register_owner("instance", may_see=lambda user, owner_id: <may user see instance owner_id?>)

``files.services.may_see`` asks it for every attached file. An owner kind nobody registered is seen
by administrators only, so a file never becomes visible by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: ``may_see(user, owner_id)``: the id is the text after the colon, as the owner string has it.
MaySee = Callable[[Any, str], bool]


@dataclass(frozen=True)
class OwnerKind:
    name: str
    may_see: MaySee


OWNER_KINDS: dict[str, OwnerKind] = {}


def register_owner(kind: str, *, may_see: MaySee) -> None:
    """Register (or replace) an owner kind; ``kind`` is a short word without a colon."""
    if not kind or ":" in kind:
        raise ValueError(f"an owner kind is a word without a colon, not {kind!r}")
    OWNER_KINDS[kind] = OwnerKind(kind, may_see)


def owner(kind: str, owner_id: int | str) -> str:
    """The owner string of a document: ``owner("instance", 12) == "instance:12"``."""
    if not kind or ":" in kind or str(owner_id) == "":
        raise ValueError(f"not an owner: {kind!r}, {owner_id!r}")
    return f"{kind}:{owner_id}"


def split_owner(value: str) -> tuple[str, str]:
    """``"instance:12"`` → ``("instance", "12")``; a string that is not an owner is a ValueError (owners
    are built by code with :func:`owner`, never typed by a user)."""
    kind, colon, owner_id = value.partition(":")
    if not kind or not colon or not owner_id:
        raise ValueError(f"not an owner: {value!r}")
    return kind, owner_id


def owner_kind(kind: str) -> OwnerKind | None:
    return OWNER_KINDS.get(kind)
