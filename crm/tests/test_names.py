"""Company names: normalisation and the "similar name" rule of the duplicate warning."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from crm.names import name_similarity, normalize_name, similar_names

NORMALISED = [
    ("ООО «Ромашка»", "ромашка"),
    ('Общество с ограниченной ответственностью "Ромашка"', "ромашка"),
    ("ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ „Ромашка“", "ромашка"),
    ("ПАО «Сбербанк России»", "сбербанк россии"),
    ("Публичное акционерное общество «Сбербанк России»", "сбербанк россии"),
    ("АО “Ёлка”", "елка"),
    ("Акционерное общество 'Ёлка'", "елка"),
    ("ЗАО 'Альфа-Строй'", "альфа строй"),
    ("ОАО «Альфа—Строй»", "альфа строй"),
    ("Закрытое акционерное общество «Альфа Строй»", "альфа строй"),
    ("ИП Иванов Иван Иванович", "иванов иван иванович"),
    ("Индивидуальный предприниматель Иванов И.И.", "иванов и и"),
    ("Romashka LLC", "romashka"),
    ("Romashka, Ltd.", "romashka"),
    ("Robert Bosch GmbH", "robert bosch"),
    ("Shenzhen Best Co., Ltd.", "shenzhen best"),
    ("OOO Romashka", "romashka"),
    ("  ООО   «Ромашка»!!!  ", "ромашка"),
    ("ООО «ТД «Ромашка»»", "тд ромашка"),
    ("Даосский чай", "даосский чай"),  # «ао» only as a whole word
    ("Ипподром", "ипподром"),  # «ип» only as a whole word
    ("ООО", ""),
    ("", ""),
]


@pytest.mark.parametrize(("name", "expected"), NORMALISED)
def test_normalize_name(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_token_set_ratio_would_call_a_longer_name_equal() -> None:
    # Why the rule is token_sort_ratio: token_set_ratio forgives any extra words.
    assert fuzz.token_set_ratio("ромашка", "ромашка плюс") == 100
    assert name_similarity("Ромашка", "Ромашка Плюс") < 90


SIMILAR = [
    # (name, other name, similar?)
    ("ООО «Ромашка»", 'Общество с ограниченной ответственностью "Ромашка"', True),
    ("Ромашка", "РОМАШКА", True),
    ("Ромашка", "Ромашкка", True),  # a typo
    ("Торговый дом Альфа", "Альфа Торговый дом", True),  # word order
    ("Ёлка-Инвест", "Елка Инвест", True),
    ("Ромашка", "Ромашка Плюс", False),
    ("Ромашка", "Лютик", False),
    ("Альфа Строй", "Альфа Трейд", False),
]


@pytest.mark.parametrize(("name", "other", "similar"), SIMILAR)
def test_similar_names(name: str, other: str, similar: bool) -> None:
    assert (similar_names(name, "ooo", [(1, other, "ooo")]) == [1]) is similar


def test_legal_form_must_match_unless_unknown() -> None:
    candidates = [(1, "АО «Ромашка»", "ao"), (2, "ООО Ромашка", "ooo"), (3, "Ромашка", None), (4, "Ромашка", "")]
    assert similar_names("Ромашка", "ooo", candidates) == [2, 3, 4]
    assert similar_names("Ромашка", None, candidates) == [1, 2, 3, 4]


def test_results_are_ordered_by_similarity() -> None:
    candidates = ((key, name, "ooo") for key, name in [("a", "Ромашкка"), ("b", "Ромашка"), ("c", "Лютик")])
    assert similar_names("Ромашка", "ooo", candidates) == ["b", "a"]


def test_a_name_that_is_only_a_legal_form_matches_nothing() -> None:
    assert similar_names("ООО", "ooo", [(1, "ООО", "ooo"), (2, "Ромашка", "ooo")]) == []
    assert similar_names("Ромашка", "ooo", [(1, "ООО", "ooo")]) == []
    assert name_similarity("ООО", "ООО") == 0


words = st.lists(st.text(alphabet="абвгдежзиклмнопрстуфхцчшщэюя", min_size=1, max_size=8), min_size=1, max_size=4)


@given(words=words, form=st.sampled_from(["ООО", "АО", "Общество с ограниченной ответственностью", "ИП", "LLC"]))
def test_legal_form_and_quotes_do_not_matter(words: list[str], form: str) -> None:
    name = " ".join(words)
    assert normalize_name(f"{form} «{name}»") == normalize_name(name)
    assert normalize_name(f'"{name}" {form}') == normalize_name(name)


@given(name=st.text(max_size=40))
def test_normalize_name_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once
    assert once == once.strip() and "  " not in once and "ё" not in once
