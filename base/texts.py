"""What a person may write: the largest id, the longest title and text, the characters a database
cannot store, and the days a date may fall on.

One rule for every door (the API's JSON, the pages' forms, the services behind them), so a
refusal is a sentence next to the field rather than a truncated value or a database error: SQLite
cannot encode a lone surrogate (``"\\ud800"``, valid in JSON, not in UTF-8) and PostgreSQL refuses
a NUL character in text and in ``jsonb``; a date far from today overflows the conversion to UTC.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

#: The largest id a database integer key holds (SQLite and PostgreSQL ``bigint``); a bigger number
#: would not even reach the database (SQLite raises OverflowError), so it is refused as input.
MAX_ID = 2**63 - 1
#: The longest title (of a task, a step, an instance): a line, as the lists show it.
MAX_TITLE = 300
#: The longest free text (a description, a comment, a reason, a textarea field).
MAX_TEXT = 20_000
#: The days a date given as input may fall on: every real deadline and period, and nothing a
#: conversion between time zones could overflow.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def unstorable(value: str) -> str | None:
    """Why the database cannot store ``value`` (a NUL character, a lone surrogate), or None."""
    if "\x00" in value:
        return _("Недопустимый символ NUL (\\u0000).")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("Недопустимый символ: одиночный суррогат UTF-16.")
    return None


def text_problems(value: str, limit: int) -> list[str]:
    """The messages for a text field (empty when it is fine): too long, or not storable."""
    problems = []
    if len(value) > limit:
        problems.append(_("Не больше %(n)s символов") % {"n": limit})
    problem = unstorable(value)
    if problem:
        problems.append(problem)
    return problems


def day_problem(day: date) -> str | None:
    """Why ``day`` is refused as input (outside :data:`FIRST_DAY`…:data:`LAST_DAY`), or None."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("Дата должна быть между %(first)s и %(last)s.") % {
        "first": FIRST_DAY.strftime("%d.%m.%Y"),
        "last": LAST_DAY.strftime("%d.%m.%Y"),
    }
