"""Russian first, English second: both catalogs are complete and Russian counts right."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.translation import ngettext, override

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def entries(po: Path) -> list[tuple[str, str | None, list[str]]]:
    """(msgid, msgid_plural, msgstrs) for every entry but the header."""

    def unquote(lines: list[str]) -> str:
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', "\n".join(lines)))

    result = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#")]
        parts: dict[str, list[str]] = {}
        current = None
        for line in lines:
            match = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d\])?) (.*)$", line)
            if match:
                current = match.group(1)
                parts[current] = [match.group(2)]
            elif current:
                parts[current].append(line)
        if "msgid" not in parts or unquote(parts["msgid"]) == "":
            continue
        msgstrs = [unquote(v) for k, v in sorted(parts.items()) if k.startswith("msgstr")]
        plural = unquote(parts["msgid_plural"]) if "msgid_plural" in parts else None
        result.append((unquote(parts["msgid"]), plural, msgstrs))
    return result


def test_every_string_has_an_english_translation():
    untranslated = [
        msgid for msgid, _plural, msgstrs in entries(LOCALE / "en/LC_MESSAGES/django.po") if not all(msgstrs)
    ]
    assert untranslated == []


def test_no_translation_is_a_guess():
    """``makemessages`` marks a changed string's old translation fuzzy; ``compilemessages`` leaves
    such entries out, so the English interface would quietly show Russian there."""
    po = (LOCALE / "en/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    fuzzy = [block.splitlines()[-2:] for block in po.split("\n\n")[1:] if "#, fuzzy" in block]
    assert fuzzy == []


def test_every_plural_has_the_three_russian_forms():
    english_plurals = {msgid for msgid, plural, _ in entries(LOCALE / "en/LC_MESSAGES/django.po") if plural}
    russian = {msgid: msgstrs for msgid, plural, msgstrs in entries(LOCALE / "ru/LC_MESSAGES/django.po") if plural}
    assert english_plurals <= set(russian)
    assert all(len(forms) == 3 and all(forms) for forms in russian.values())


def test_russian_counts_like_russian():
    with override("ru"):
        said = [
            ngettext("Найден %(counter)s контрагент", "Найдено контрагентов: %(counter)s", n) % {"counter": n}
            for n in (1, 3, 5, 21)
        ]
    assert said == ["Найден 1 контрагент", "Найдено 3 контрагента", "Найдено 5 контрагентов", "Найден 21 контрагент"]
