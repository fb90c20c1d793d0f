"""The table of the subjects of the Russian Federation."""

from __future__ import annotations

import pytest

from crm.regions import REGION_BY_CODE, REGIONS, region_key, resolve_region


def test_there_are_89_subjects_with_unique_codes_and_names() -> None:
    assert len(REGIONS) == 89
    assert len({region.code for region in REGIONS}) == 89
    assert len({region.name for region in REGIONS}) == 89
    expected_codes = {f"{n:02d}" for n in range(1, 80)} | {"83", "86", "87", "89"} | {f"{n}" for n in range(90, 96)}
    assert {region.code for region in REGIONS} == expected_codes


@pytest.mark.parametrize("region", REGIONS, ids=lambda region: region.code)
def test_every_subject_is_found_by_code_name_and_alias(region) -> None:
    assert resolve_region(region.code) is region
    assert resolve_region(region.name) is region
    assert resolve_region(region.name.upper()) is region
    assert resolve_region(f"  {region.name.lower()}  ") is region
    for alias in region.aliases:
        assert resolve_region(alias) is region


RESOLVED = [
    ("77", "Москва"),
    ("50", "Московская область"),
    ("16", "Республика Татарстан"),
    ("Татарстан", "Республика Татарстан"),
    ("Республика Татарстан (Татарстан)", "Республика Татарстан"),
    ("г. Москва", "Москва"),
    ("г.Москва", "Москва"),
    ("санкт-петербург", "Санкт-Петербург"),
    ("Санкт Петербург", "Санкт-Петербург"),
    ("Республика Северная Осетия - Алания", "Республика Северная Осетия — Алания"),
    ("Кемеровская область", "Кемеровская область — Кузбасс"),
    ("Якутия", "Республика Саха (Якутия)"),
    ("Чувашия", "Чувашская Республика"),
    ("ДНР", "Донецкая Народная Республика"),
    ("Луганская Народная Республика", "Луганская Народная Республика"),
    ("Запорожская область", "Запорожская область"),
    ("Херсонская область", "Херсонская область"),
    ("Республика Крым", "Республика Крым"),
    ("Севастополь", "Севастополь"),
    # ФНС codes of the new subjects, and their traffic-police codes as aliases
    ("91", "Республика Крым"),
    ("82", "Республика Крым"),
    ("93", "Донецкая Народная Республика"),
    ("80", "Донецкая Народная Республика"),
    ("94", "Луганская Народная Республика"),
    ("81", "Луганская Народная Республика"),
    ("90", "Запорожская область"),  # not the Moscow region's extra traffic-police code
    ("85", "Запорожская область"),
    ("95", "Херсонская область"),  # not Chechnya's extra traffic-police code
    ("84", "Херсонская область"),
    ("2", "Республика Башкортостан"),
    (16, "Республика Татарстан"),
]


@pytest.mark.parametrize(("value", "name"), RESOLVED)
def test_resolve_region(value: object, name: str) -> None:
    found = resolve_region(value)
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    "value", ["", None, True, "00", "88", "97", "177", "Неверленд", "Бавария", "Москва-сити", "Area 51"]
)
def test_unknown_regions(value: object) -> None:
    assert resolve_region(value) is None


def test_region_key_ignores_case_yo_and_punctuation() -> None:
    assert region_key("Ёлкинская  область") == region_key("елкинская-ОБЛАСТЬ") == "елкинская область"


def test_codes_index() -> None:
    assert REGION_BY_CODE["77"].name == "Москва"
    assert REGION_BY_CODE["42"].name == "Кемеровская область — Кузбасс"
