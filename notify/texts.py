"""A notice's words, kept so that each reader gets them in their own language.

A notification is written when something happens, in the language of whoever made it happen (or of
the worker); it is read later by someone else, in theirs. So a notice is built as a :class:`Phrase`:
Russian msgids with their arguments. The stored ``text`` is always the phrase in the site's language
(Russian: the e-mail, the search, the old rows), and ``message`` keeps the phrase itself, which the
notification list renders again for a reader of another language: the msgids translated, instants
in that language's format, and the title of the assignment or instance named again from its process
(``engine.titles``), since stored titles are Russian.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, override

from base import words
from engine.titles import assignment_title, instance_title

#: How an argument is kept: a literal (a name, a reason, a comment) as a plain string, the others
#: tagged so the reader's rendering knows what to do with them.
_MOMENT, _WORDS, _TITLE, _PHRASE = "moment", "words", "title", "phrase"


class Moment:
    """An instant in a phrase: shown as ``02.12.2026 15:00`` (or the reader's format), «—» if none."""

    def __init__(self, at: datetime | None) -> None:
        self.at = at


class Words:
    """A translatable argument (an outcome's label, a warning): a msgid, translated for each reader."""

    def __init__(self, msgid: Any) -> None:
        # A lazy label (a model choice's) in the site's language is its msgid: msgids are Russian.
        with override(settings.LANGUAGE_CODE):
            self.msgid = str(msgid)


class Title:
    """The title of the notice's assignment (or instance): named again for a reader of another language."""

    def __init__(self, stored: str) -> None:
        self.stored = stored or ""


class Phrase:
    """One or more msgids with their arguments, joined; ``str()`` renders them in the active language."""

    def __init__(self, msgid: str = "", **args: Any) -> None:
        self.parts: list[list[Any]] = [[str(msgid), _kept(args)]] if msgid else []

    def __add__(self, other: Phrase) -> Phrase:
        joined = Phrase()
        joined.parts = [*self.parts, *other.parts]
        return joined

    def __str__(self) -> str:
        return render(self.parts)

    def stored(self) -> list[list[Any]]:
        """What ``Notification.message`` keeps (JSON)."""
        return self.parts


def _kept(args: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in args.items():
        if isinstance(value, Moment):
            kept[name] = {_MOMENT: value.at.isoformat() if value.at else ""}
        elif isinstance(value, Words):
            kept[name] = {_WORDS: value.msgid}
        elif isinstance(value, Title):
            kept[name] = {_TITLE: value.stored}
        elif isinstance(value, Phrase):  # words inside words: «файл «…», версия 2»
            kept[name] = {_PHRASE: value.parts}
        else:
            kept[name] = "" if value is None else str(value)
    return kept


def render(parts: list[list[Any]], title: str | None = None) -> str:
    """The phrase in the active language; ``title`` replaces the stored titles when given."""
    out = []
    for msgid, args in parts:
        values = {name: _value(value, title) for name, value in (args or {}).items()}
        out.append(gettext(msgid) % values if values else gettext(msgid))
    return words.quarters_in("".join(out))


def _value(value: Any, title: str | None) -> str:
    if not isinstance(value, dict):
        return str(value)
    if _MOMENT in value:
        at = parse_datetime(value[_MOMENT]) if value[_MOMENT] else None
        return words.moment(at) if at else "—"
    if _WORDS in value:
        return gettext(value[_WORDS]) if value[_WORDS] else ""
    if _PHRASE in value:
        return render(value[_PHRASE], title)
    return title if title is not None else str(value.get(_TITLE, ""))


def in_site_language(text: str | Phrase) -> str:
    """What a notification stores as its ``text``: the site's language, whoever caused it."""
    if isinstance(text, Phrase):
        with override(settings.LANGUAGE_CODE):
            return str(text)
    return words.quarters_in(text)


def shown(notification: Any) -> str:
    """A notification's text for the reader: the stored text in the site's language, the phrase
    rendered again in another (the titles named again only from what the list already loaded)."""
    if not notification.message or words.in_site_language():
        return notification.text
    return render(notification.message, _title(notification))


def _title(notification: Any) -> str | None:
    fields = type(notification)._meta
    if notification.assignment_id and fields.get_field("assignment").is_cached(notification):
        return assignment_title(notification.assignment)
    if notification.instance_id and fields.get_field("instance").is_cached(notification):
        instance = notification.instance
        if type(instance)._meta.get_field("process").is_cached(instance):
            return instance_title(instance)
    return None
