"""Company names compared the way a person compares them, for the duplicate warning of the card.

«ООО "Ромашка"», «Общество с ограниченной ответственностью «Ромашка»» and «ромашка» are one company
to a sales manager; the legal form and the quotes are noise. `normalize_name` removes that noise and
`similar_names` compares what is left with `rapidfuzz.fuzz.token_sort_ratio`.

Why token_sort_ratio and not token_set_ratio: token_set_ratio scores 100 whenever one name's words
are a subset of the other's, so «Ромашка» and «Ромашка Плюс» would be "the same company" and every
short name would flag dozens of false duplicates. token_sort_ratio only forgives word order
(«Торговый дом Альфа» = «Альфа Торговый дом») and small typos.

Everything here is pure: the database lookup that feeds `candidates` belongs to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable

from rapidfuzz import fuzz

SIMILARITY_THRESHOLD = 90
"""token_sort_ratio at or above which two normalised names are "similar" (0–100)."""

# Every quote character people paste from Word, 1C and websites.
_QUOTES = "«»\"“”„‟‘’‚‛'`´〝〞〟＂‹›"
_QUOTES_RE = re.compile("[" + re.escape(_QUOTES) + "]")
# After the quotes are gone, any run of characters that is not a letter or a digit is one space.
_PUNCT_RE = re.compile(r"[\W_]+")

# Legal forms, full and short, Russian and foreign, as word sequences in normalised text
# (lower case, ё→е, punctuation already a space: «S.A.» is "s a", «Co., Ltd.» is "co ltd").
_LEGAL_FORMS: tuple[str, ...] = (
    # Russian, full
    "общество с ограниченной ответственностью",
    "публичное акционерное общество",
    "непубличное акционерное общество",
    "закрытое акционерное общество",
    "открытое акционерное общество",
    "акционерное общество",
    "индивидуальный предприниматель",
    "общество с дополнительной ответственностью",
    "товарищество с ограниченной ответственностью",
    "научно производственное предприятие",
    "производственный кооператив",
    "государственное унитарное предприятие",
    "муниципальное унитарное предприятие",
    "федеральное государственное унитарное предприятие",
    "автономная некоммерческая организация",
    "некоммерческое партнерство",
    "крестьянское фермерское хозяйство",
    # Russian, short
    "ооо",
    "пао",
    "нао",
    "зао",
    "оао",
    "ао",
    "ип",
    "одо",
    "тоо",
    "гуп",
    "муп",
    "фгуп",
    "ано",
    "кфх",
    # Russian short forms typed in Latin letters
    "ooo",
    "pao",
    "zao",
    "oao",
    "ao",
    # Foreign
    "limited liability company",
    "public limited company",
    "co ltd",
    "pte ltd",
    "pty ltd",
    "llc",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "gmbh",
    "gmbh co kg",
    "ag",
    "kg",
    "plc",
    "llp",
    "lp",
    "s a",
    "sa",
    "s a s",
    "sas",
    "s r l",
    "srl",
    "s p a",
    "spa",
    "b v",
    "bv",
    "n v",
    "nv",
    "oy",
    "ab",
    "as",
    "sp z o o",
    "s r o",
    "sro",
    "kft",
)

# Longest first, so «публичное акционерное общество» goes before «акционерное общество» would leave
# «публичное» behind; whole words only, so «ао» never eats a piece of «даосский».
_LEGAL_FORMS_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(form) for form in sorted(set(_LEGAL_FORMS), key=len, reverse=True)) + r")(?!\w)"
)
_SPACES_RE = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """The part of a company name that identifies it: no case, ё, quotes, legal form or punctuation.

    >>> normalize_name('ООО «Ромашка-Плюс»')
    'ромашка плюс'
    >>> normalize_name('Общество с ограниченной ответственностью "Ромашка Плюс"')
    'ромашка плюс'
    """
    text = (name or "").lower().replace("ё", "е")
    text = _QUOTES_RE.sub(" ", text)
    text = _PUNCT_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text).strip()
    # Removing a form can bring two others together («ООО ТД»), so repeat until nothing changes.
    while True:
        stripped = _SPACES_RE.sub(" ", _LEGAL_FORMS_RE.sub(" ", text)).strip()
        if stripped == text:
            return text
        text = stripped


def name_similarity(a: str, b: str) -> float:
    """How alike two company names are, 0–100, after `normalize_name`; 0 when either is empty.

    An empty normalised name (the name was only a legal form, «ООО») resembles nothing: otherwise
    every such card would "duplicate" every other.
    """
    left, right = normalize_name(a), normalize_name(b)
    if not left or not right:
        return 0.0
    return fuzz.token_sort_ratio(left, right)


def similar_names[K: Hashable](
    name: str,
    legal_form: str | None,
    candidates: Iterable[tuple[K, str, str | None]],
    *,
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[K]:
    """Keys of the candidates whose name is similar to `name` and whose legal form is the same.

    `candidates` are (key, name, legal_form) triples, e.g. (company id, name, "ooo") from the
    database. The legal form must match because «ООО Ромашка» and «АО Ромашка» are two different
    legal persons; when either side's form is unknown (None or empty) it is not used to exclude.
    The result is ordered from the most similar, ties in the candidates' order.
    """
    target = normalize_name(name)
    if not target:
        return []
    scored: list[tuple[float, int, K]] = []
    for position, (key, other_name, other_form) in enumerate(candidates):
        if legal_form and other_form and legal_form != other_form:
            continue
        other = normalize_name(other_name)
        if not other:
            continue
        score = fuzz.token_sort_ratio(target, other, score_cutoff=threshold)
        if score >= threshold:
            scored.append((-score, position, key))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [key for _score, _position, key in scored]
