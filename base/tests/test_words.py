"""``base.words``: how names, dates, numbers, quarters and schedules read, in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import translation

from base import words


def _english_catalog_has_these_words() -> bool:
    """The English of this module's strings comes with the catalog (``make messages``); until it is
    compiled, the English cases wait for it rather than fail on Russian text."""
    with translation.override("en"):
        return translation.gettext("%(items)s и %(last)s") != "%(items)s и %(last)s"


@pytest.fixture(params=["ru", "en"])
def lang(request):
    if request.param == "en" and not _english_catalog_has_these_words():
        pytest.skip("the English catalog does not have base.words' strings yet")
    with translation.override(request.param):
        yield request.param


@pytest.fixture
def english():
    if not _english_catalog_has_these_words():
        pytest.skip("the English catalog does not have base.words' strings yet")
    with translation.override("en"):
        yield


def test_a_person_is_their_full_name_and_position():
    boss = SimpleNamespace(full_name="Петров Пётр Петрович", position="Директор")
    assert words.person(boss) == "Петров Пётр Петрович"
    assert words.position(boss) == "Директор"
    assert words.person({"username": "x", "full_name": "Иванов И. И."}) == "Иванов И. И."
    assert words.person(None) == "—"
    assert words.position("manager1") == ""


def test_dates_have_one_format_per_language():
    noon_utc = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    late_utc = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # already 1 January in Moscow
    with translation.override("ru"):
        assert words.day(date(2026, 12, 2)) == "02.12.2026"
        assert words.day("2026-12-02") == "02.12.2026"
        assert words.day(late_utc) == "01.01.2027"
        assert words.moment(noon_utc) == "02.12.2026 15:00"
        assert words.moment(noon_utc.isoformat()) == "02.12.2026 15:00"
    with translation.override("en"):
        assert words.day(date(2026, 12, 2)) == "02 Dec 2026"
        assert words.moment(noon_utc) == "02 Dec 2026, 15:00"
    assert words.day("не дата") == "не дата"
    assert words.day(None) == ""


def test_numbers_and_hours_drop_a_zero_decimal():
    with translation.override("ru"):
        assert words.number(0.0) == "0"
        assert words.number(1.25) in ("1,2", "1,3")
        assert words.number(1234.5) == "1\xa0234,5"
        assert words.hours(0) == "0 ч"
        assert words.hours(0.04) == "0 ч"
        assert words.hours(timedelta(minutes=90)) == "1,5 ч"
    assert words.number(None) == "—"
    with translation.override("en"):
        assert words.number(1234.5) == "1,234.5"


def test_hours_in_english(english):
    assert words.hours(1.5) == "1.5 h"


def test_quarters_in_words():
    with translation.override("ru"):
        assert words.quarter("2027-Q1") == "I квартал 2027 г."
        assert words.quarter("2026-Q3") == "III квартал 2026 г."
        assert words.quarters_in("Торговые условия на 2027-Q1") == "Торговые условия на I квартал 2027 г."
        assert words.quarters_in("Бонусные соглашения за 2026-Q4") == "Бонусные соглашения за IV квартал 2026 г."
    assert words.quarter("2027-Q5") == "2027-Q5"
    assert words.quarters_in("") == ""


def test_quarters_in_english(english):
    assert words.quarter("2027-Q1") == "Q1 2027"
    assert words.quarters_in("Trade conditions for 2027-Q1") == "Trade conditions for Q1 2027"


def test_the_schedules_of_the_three_processes_in_words():
    with translation.override("ru"):
        assert (
            words.schedule("0 9 1 1,4,7,10 *", "Europe/Moscow", first_working_day=True, manual=True)
            == "ежеквартально, в первый рабочий день января, апреля, июля и октября в 09:00 (МСК); "
            "можно запустить вручную"
        )
        assert (
            words.schedule("0 9 15 3,6,9,12 *", "Europe/Moscow", manual=True)
            == "ежеквартально, 15-го числа марта, июня, сентября и декабря в 09:00 (МСК); можно запустить вручную"
        )
        assert words.schedule("0 9 1 1,4,7,10 *") == (
            "ежеквартально, 1-го числа января, апреля, июля и октября в 09:00 (МСК)"
        )


def test_the_schedules_in_english(english):
    assert (
        words.schedule("0 9 1 1,4,7,10 *", "Europe/Moscow", first_working_day=True, manual=True)
        == "quarterly, on the first working day of January, April, July and October at 09:00 (Moscow time); "
        "can also be started by hand"
    )
    assert words.schedule("0 9 15 3,6,9,12 *") == (
        "quarterly, on day 15 of March, June, September and December at 09:00 (Moscow time)"
    )


@pytest.mark.parametrize(
    ("cron", "ru"),
    [
        ("30 8 * * *", "ежедневно в 08:30 (МСК)"),
        ("0 10 * * 1-5", "по понедельникам, вторникам, средам, четвергам и пятницам в 10:00 (МСК)"),
        ("0 10 * * 0", "по воскресеньям в 10:00 (МСК)"),
        ("0 9 5 * *", "ежемесячно, 5-го числа в 09:00 (МСК)"),
        ("0 9 1 * *", "ежемесячно, 1-го числа в 09:00 (МСК)"),
        ("0 9 10 6 *", "ежегодно, 10-го числа июня в 09:00 (МСК)"),
        ("0 9 10 1,6 *", "10-го числа января и июня в 09:00 (МСК)"),
    ],
)
def test_other_plain_schedules_in_words(cron, ru):
    with translation.override("ru"):
        assert words.schedule(cron) == ru


@pytest.mark.parametrize("cron", ["0 */2 * * *", "0 9 1,15 * *", "0 9 1 * 1", "@monthly", "0 9 32 * *", "x"])
def test_what_is_not_put_into_words_reads_as_the_expression(cron, lang):
    expected = {"ru": "по расписанию: %s (Europe/Moscow)", "en": "on schedule: %s (Europe/Moscow)"}[lang]
    assert words.schedule(cron) == expected % cron


def test_a_list_joins_with_the_language_and(lang):
    assert words.join(["a"]) == "a"
    assert words.join(["a", "b", "c"]) == {"ru": "a, b и c", "en": "a, b and c"}[lang]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("II квартал 2027 г.", "2027-Q2"),
        ("на IV квартала 2026 года", "на 2026-Q4"),
        ("2 кв. 2027", "2027-Q2"),
        ("III квартал", "-Q3"),
        ("Q1 2027", "2027-Q1"),
        ("2027 Q4", "2027-Q4"),
        ("q3", "-Q3"),
        ("2027-Q1", "2027-Q1"),
        ("Исполнитель IV", "Исполнитель IV"),
    ],
)
def test_a_quarter_typed_in_words_searches_by_its_stored_key(typed, key):
    assert words.quarters_as_keys(typed) == key
    if key.startswith("20"):  # and back again: what the lists show is what finds it
        assert words.quarters_as_keys(words.quarters_in(key)) == key
