"""How things read where a person reads them: names, dates, durations, numbers, quarters, schedules.

One place, so a page, an e-mail, a notification and the API's ``*_name`` fields cannot drift apart:
``02.12.2026`` on one screen and ``2026-12-02`` on the next is the kind of thing a sales department
notices first. Everything follows the active language (Russian first, English second) and shows
instants in the site's time zone (Europe/Moscow), through Django's format machinery — one short
date and one date-time format per locale (``soglasie/formats``).

It lives in ``base`` so every room may use it; it imports nothing of ours. People are taken by
what they carry (``full_name``, ``position``), not by their model, for the same reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.dates import MONTHS_ALT
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

__all__ = [
    "day",
    "hours",
    "in_site_language",
    "join",
    "moment",
    "number",
    "person",
    "position",
    "quarter",
    "quarters_as_keys",
    "quarters_in",
    "schedule",
]



def in_site_language() -> bool:
    """Whether the reader reads the site's own language (Russian), in which stored texts are written:
    only a reader of another language needs titles and notices named again."""
    from django.conf import settings
    from django.utils.translation import get_language

    return (get_language() or settings.LANGUAGE_CODE).split("-")[0] == settings.LANGUAGE_CODE.split("-")[0]


# ------------------------------------------------------------------------------------------ people


def person(who: Any) -> str:
    """A person as people call them: the full name (an Employee, or anything with ``full_name``);
    a bare username stays as it is — callers that hold usernames look the people up first
    (``org.directory.by_usernames``), in one query for the page."""
    if who is None or who == "":
        return "—"
    name = getattr(who, "full_name", None)
    if name:
        return str(name)
    if isinstance(who, dict):
        return str(who.get("full_name") or who.get("name") or who.get("username") or "—")
    return str(who)


def position(who: Any) -> str:
    """The person's position, for a ``title`` shown on hover (empty when unknown)."""
    if isinstance(who, dict):
        return str(who.get("position") or "")
    return str(getattr(who, "position", "") or "")


# ------------------------------------------------------------------------------------------ dates


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        moment_value = parse_datetime(value) if "T" in value or " " in value.strip() else None
        if moment_value is not None:
            return _as_date(moment_value)
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return None


def day(value: Any) -> str:
    """A date (or the local date of an instant, or an ISO string as JSON stores it) in the locale's
    short format: ``02.12.2026`` in Russian. Anything that is no date comes back unchanged."""
    parsed = _as_date(value)
    if parsed is None:
        return "" if value is None else str(value)
    return formats.date_format(parsed, "SHORT_DATE_FORMAT")


def moment(value: Any) -> str:
    """An instant in the site's time zone in the locale's short format: ``02.12.2026 15:00``."""
    if isinstance(value, str) and value:
        value = parse_datetime(value) or value
    if not isinstance(value, datetime):
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


# ------------------------------------------------------------------------------------------ numbers


def number(value: Any, digits: int = 1) -> str:
    """A number in the locale's way (``1 234,5`` in Russian): at most ``digits`` decimals, none when
    the rounded value is whole, so «0 ч» never stands next to «0,0 ч»."""
    if value is None or value == "":
        return "—"
    if isinstance(value, timedelta):
        value = value.total_seconds()
    try:
        rounded = round(float(value), digits)
    except (TypeError, ValueError):
        return str(value)
    whole = rounded == int(rounded)
    shown: Any = int(rounded) if whole else Decimal(str(rounded))
    return formats.number_format(shown, 0 if whole else None, use_l10n=True, force_grouping=True)


def hours(value: Any) -> str:
    """A duration in hours (a number of hours or a ``timedelta``): «1,5 ч», «0 ч»."""
    if value is None or value == "":
        return "—"
    if isinstance(value, timedelta):
        value = value.total_seconds() / 3600
    return _("%(hours)s ч") % {"hours": number(value)}


# ------------------------------------------------------------------------------------------ quarters

_QUARTER = re.compile(r"\b(?P<year>[0-9]{4})-Q(?P<q>[1-4])\b")
#: A quarter's number as the language writes it in «I квартал 2027 г.» (English: "Q1 2027", so its
#: catalog turns the numeral into a digit and the sentence keeps one placeholder in both languages).
_ROMAN = {
    1: pgettext_lazy("номер квартала", "I"),
    2: pgettext_lazy("номер квартала", "II"),
    3: pgettext_lazy("номер квартала", "III"),
    4: pgettext_lazy("номер квартала", "IV"),
}


def quarter(value: Any) -> str:
    """``2027-Q1`` as people say it: «I квартал 2027 г.», in English «Q1 2027». Anything else comes
    back unchanged. The Russian words read the same after «на» and «за» (the accusative)."""
    match = _QUARTER.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        return "" if value is None else str(value)
    q = int(match["q"])
    return _("%(roman)s квартал %(year)s г.") % {"roman": _ROMAN[q], "year": match["year"]}


def quarters_in(text: Any) -> str:
    """Every ``2027-Q1`` inside a text (a stored title such as «Торговые условия на 2027-Q1») in
    words. Titles are stored as rendered at the start; this is how they read on every screen."""
    if not text:
        return "" if text is None else str(text)
    return _QUARTER.sub(lambda m: quarter(m.group(0)), str(text))


_ROMAN_NUMBERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_SAID_QUARTERS = [
    # «II квартал 2027 г.», «2 кв. 2027», «IV квартала»
    re.compile(
        r"\b(?P<q>IV|III|II|I|[1-4])(?:-?(?:й|го))?\s*кв(?:артал[а-я]*|\.)?(?:\s+(?P<year>[0-9]{4})(?:\s*г(?:од[а-я]*|\.)?)?)?",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?P<year>[0-9]{4})\s+Q(?P<q>[1-4])\b", re.IGNORECASE),  # "2027 Q2"
    # "Q2 2027", "Q2"; not the Q of a key already written (``2027-Q2``)
    re.compile(r"(?<![-\w])Q(?P<q>[1-4])(?:\s+(?P<year>[0-9]{4}))?\b", re.IGNORECASE),
]


def quarters_as_keys(text: str) -> str:
    """A search as people type it, with each quarter in words turned back into the stored key:
    «II квартал 2027 г.» and "Q2 2027" find the titles stored with ``2027-Q2``; a quarter without a
    year («II квартал») finds it in any year (``-Q2``). The inverse of :func:`quarters_in`."""

    def key(match: re.Match[str]) -> str:
        number = _ROMAN_NUMBERS[match["q"].lower()]
        return f"{match['year'] or ''}-Q{number}"

    for pattern in _SAID_QUARTERS:
        text = pattern.sub(key, text)
    return text


# ------------------------------------------------------------------------------------------ lists


def join(items: Iterable[str]) -> str:
    """«января, апреля, июля и октября»: commas, and the language's «и» before the last."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s и %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


# ------------------------------------------------------------------------------------------ schedules

_ZONES = {"Europe/Moscow": gettext_noop("МСК")}
_WEEKDAYS = [  # cron's 0..6, Sunday first; the dative plural that follows «по»
    gettext_noop("воскресеньям"),
    gettext_noop("понедельникам"),
    gettext_noop("вторникам"),
    gettext_noop("средам"),
    gettext_noop("четвергам"),
    gettext_noop("пятницам"),
    gettext_noop("субботам"),
]
_QUARTERLY = ({1, 4, 7, 10}, {2, 5, 8, 11}, {3, 6, 9, 12})


def _numbers(field: str, low: int, high: int) -> list[int] | None:
    """A cron field of plain numbers and ranges (``1,4,7,10``, ``1-5``, ``*/3``) as its values, or
    ``None`` for ``*``; ``ValueError`` for what this module does not put into words."""
    if field == "*":
        return None
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start_text, end_text = part.split("-", 1)
            start, end = int(start_text), int(end_text)
        else:
            start = end = int(part)
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(field)
        values.update(range(start, end + 1, step))
    return sorted(values)


def schedule(cron: str, tz: str = "Europe/Moscow", *, first_working_day: bool = False, manual: bool = False) -> str:
    """A start schedule in words, from its cron expression and its working-day rule:
    «ежеквартально, в первый рабочий день января, апреля, июля и октября в 09:00 (МСК); можно
    запустить вручную».

    Put into words: a fixed time (one minute, one hour) daily, on days of the week, or on one day of
    the month — every month, every quarter or in the listed months. Anything else (several times a
    day, several days of the month, both a day of the month and of the week, the ``@`` aliases)
    reads as the expression itself, «по расписанию: 0 */2 * * * (Europe/Moscow)», which is exact
    if not pretty.
    """
    words = _schedule_words(cron, tz, first_working_day)
    if manual:
        words = _("%(schedule)s; можно запустить вручную") % {"schedule": words}
    return words


def _schedule_words(cron: str, tz: str, first_working_day: bool) -> str:
    raw = _("по расписанию: %(cron)s (%(tz)s)") % {"cron": cron, "tz": tz}
    fields = cron.split() if isinstance(cron, str) else []
    if len(fields) != 5:
        return raw
    try:
        minutes, hours_, days, months, weekdays = (
            _numbers(fields[0], 0, 59),
            _numbers(fields[1], 0, 23),
            _numbers(fields[2], 1, 31),
            _numbers(fields[3], 1, 12),
            _numbers(fields[4], 0, 7),
        )
    except ValueError:
        return raw
    if minutes is None or hours_ is None or len(minutes) != 1 or len(hours_) != 1:
        return raw
    zone = _(_ZONES[tz]) if tz in _ZONES else tz
    at = _("в %(time)s (%(zone)s)") % {"time": f"{hours_[0]:02d}:{minutes[0]:02d}", "zone": zone}
    if days is None and months is None:
        if weekdays is None:
            when = _("ежедневно")
        else:
            names = [_(_WEEKDAYS[d % 7]) for d in sorted({d % 7 for d in weekdays}, key=lambda d: (d + 6) % 7)]
            when = _("по %(days)s") % {"days": join(names)}
        if first_working_day:
            when = _("%(when)s (в выходной — в первый рабочий день после него)") % {"when": when}
        return f"{when} {at}"
    if days is None or len(days) != 1 or weekdays is not None:
        return raw
    month_names = join(str(MONTHS_ALT[m]) for m in months) if months is not None else ""
    if first_working_day and days[0] == 1:
        on = (
            _("в первый рабочий день %(months)s") % {"months": month_names}
            if months is not None
            else _("в первый рабочий день месяца")
        )
    else:
        on = (
            _("%(day)s-го числа %(months)s") % {"day": days[0], "months": month_names}
            if months is not None
            else _("%(day)s-го числа") % {"day": days[0]}
        )
        if first_working_day:
            on = _("%(when)s (в выходной — в первый рабочий день после него)") % {"when": on}
    if months is None:
        return _("ежемесячно, %(on)s %(at)s") % {"on": on, "at": at}
    if set(months) in _QUARTERLY:
        return _("ежеквартально, %(on)s %(at)s") % {"on": on, "at": at}
    if len(months) == 1:
        return _("ежегодно, %(on)s %(at)s") % {"on": on, "at": at}
    return f"{on} {at}"
