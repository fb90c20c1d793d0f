"""The subjects of the Russian Federation, for the counterparty card's `region` field.

A card stores the region by its official name, so that reports group one subject under one
spelling; people type it however they are used to: «Татарстан», «республика татарстан», «16»,
«г. Москва», «Кемеровская область» (since 2019 officially «Кемеровская область — Кузбасс»). This
module maps all of those to one `Region`.

The code of each subject is its ФНС (tax) code, the one that the first two digits of an ИНН and a
КПП carry and that ФИАС/КЛАДР use. For the subjects 01–79, 83, 86, 87, 89 and 92 it is also the
main traffic-police (ГИБДД) code. They differ only for the subjects admitted in 2014 and 2022:

    subject                        ФНС   ГИБДД
    Республика Крым                 91    82
    Донецкая Народная Республика    93    80
    Луганская Народная Республика   94    81
    Запорожская область             90    85
    Херсонская область              95    84

The ФНС code is canonical; the ГИБДД codes of those five are accepted as aliases, because no
current subject has 80, 81, 82, 84 or 85 as its ФНС code. The other ГИБДД codes (the extra
two- and three-digit ones, e.g. 90 and 97 for the Moscow region, 93 and 123 for Krasnodar) are NOT
accepted: 90, 93, 94 and 95 are the ФНС codes of other subjects, and one code must mean one subject.

As of 2026 there are 89 subjects (Article 65 of the Constitution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    """One subject of the Federation: its two-digit ФНС code, official name and other spellings."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


# (code, official name, aliases). The official name is the one the card stores; where the
# Constitution repeats the name in brackets («Республика Татарстан (Татарстан)») the bracketed
# form is an alias and the shorter common official form is stored.
_TABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("01", "Республика Адыгея", ("Адыгея", "Республика Адыгея (Адыгея)")),
    ("02", "Республика Башкортостан", ("Башкортостан", "Башкирия")),
    ("03", "Республика Бурятия", ("Бурятия",)),
    ("04", "Республика Алтай", ("Горный Алтай",)),
    ("05", "Республика Дагестан", ("Дагестан",)),
    ("06", "Республика Ингушетия", ("Ингушетия",)),
    ("07", "Кабардино-Балкарская Республика", ("Кабардино-Балкария", "КБР")),
    ("08", "Республика Калмыкия", ("Калмыкия",)),
    ("09", "Карачаево-Черкесская Республика", ("Карачаево-Черкесия", "КЧР")),
    ("10", "Республика Карелия", ("Карелия",)),
    ("11", "Республика Коми", ("Коми",)),
    ("12", "Республика Марий Эл", ("Марий Эл",)),
    ("13", "Республика Мордовия", ("Мордовия",)),
    ("14", "Республика Саха (Якутия)", ("Якутия", "Республика Саха", "Саха", "Саха (Якутия)")),
    (
        "15",
        "Республика Северная Осетия — Алания",
        ("Северная Осетия", "Северная Осетия — Алания", "Республика Северная Осетия", "РСО-Алания"),
    ),
    ("16", "Республика Татарстан", ("Татарстан", "Республика Татарстан (Татарстан)")),
    ("17", "Республика Тыва", ("Тыва", "Тува")),
    ("18", "Удмуртская Республика", ("Удмуртия",)),
    ("19", "Республика Хакасия", ("Хакасия",)),
    ("20", "Чеченская Республика", ("Чечня", "Чеченская Республика (Чечня)")),
    ("21", "Чувашская Республика", ("Чувашия", "Чувашская Республика — Чувашия")),
    ("22", "Алтайский край", ()),
    ("23", "Краснодарский край", ("Кубань",)),
    ("24", "Красноярский край", ()),
    ("25", "Приморский край", ("Приморье",)),
    ("26", "Ставропольский край", ("Ставрополье",)),
    ("27", "Хабаровский край", ()),
    ("28", "Амурская область", ()),
    ("29", "Архангельская область", ()),
    ("30", "Астраханская область", ()),
    ("31", "Белгородская область", ()),
    ("32", "Брянская область", ()),
    ("33", "Владимирская область", ()),
    ("34", "Волгоградская область", ()),
    ("35", "Вологодская область", ()),
    ("36", "Воронежская область", ()),
    ("37", "Ивановская область", ()),
    ("38", "Иркутская область", ()),
    ("39", "Калининградская область", ()),
    ("40", "Калужская область", ()),
    ("41", "Камчатский край", ("Камчатка",)),
    ("42", "Кемеровская область — Кузбасс", ("Кемеровская область", "Кузбасс")),
    ("43", "Кировская область", ()),
    ("44", "Костромская область", ()),
    ("45", "Курганская область", ()),
    ("46", "Курская область", ()),
    ("47", "Ленинградская область", ("Ленобласть",)),
    ("48", "Липецкая область", ()),
    ("49", "Магаданская область", ()),
    ("50", "Московская область", ("Подмосковье", "МО")),
    ("51", "Мурманская область", ()),
    ("52", "Нижегородская область", ()),
    ("53", "Новгородская область", ()),
    ("54", "Новосибирская область", ()),
    ("55", "Омская область", ()),
    ("56", "Оренбургская область", ()),
    ("57", "Орловская область", ()),
    ("58", "Пензенская область", ()),
    ("59", "Пермский край", ()),
    ("60", "Псковская область", ()),
    ("61", "Ростовская область", ()),
    ("62", "Рязанская область", ()),
    ("63", "Самарская область", ()),
    ("64", "Саратовская область", ()),
    ("65", "Сахалинская область", ()),
    ("66", "Свердловская область", ()),
    ("67", "Смоленская область", ()),
    ("68", "Тамбовская область", ()),
    ("69", "Тверская область", ()),
    ("70", "Томская область", ()),
    ("71", "Тульская область", ()),
    ("72", "Тюменская область", ()),
    ("73", "Ульяновская область", ()),
    ("74", "Челябинская область", ()),
    ("75", "Забайкальский край", ()),
    ("76", "Ярославская область", ()),
    ("77", "Москва", ("г. Москва", "город Москва", "Moscow")),
    (
        "78",
        "Санкт-Петербург",
        ("г. Санкт-Петербург", "город Санкт-Петербург", "СПб", "Петербург", "Saint Petersburg"),
    ),
    ("79", "Еврейская автономная область", ("ЕАО",)),
    ("83", "Ненецкий автономный округ", ("НАО",)),
    (
        "86",
        "Ханты-Мансийский автономный округ — Югра",
        ("Ханты-Мансийский автономный округ", "ХМАО", "ХМАО — Югра", "Югра"),
    ),
    ("87", "Чукотский автономный округ", ("Чукотка", "ЧАО")),
    ("89", "Ямало-Ненецкий автономный округ", ("ЯНАО", "Ямал")),
    ("90", "Запорожская область", ("85",)),
    ("91", "Республика Крым", ("Крым", "82")),
    ("92", "Севастополь", ("г. Севастополь", "город Севастополь")),
    ("93", "Донецкая Народная Республика", ("ДНР", "80")),
    ("94", "Луганская Народная Республика", ("ЛНР", "81")),
    ("95", "Херсонская область", ("84",)),
)

REGIONS: tuple[Region, ...] = tuple(Region(code, name, aliases) for code, name, aliases in _TABLE)
"""All 89 subjects, ordered by code."""

REGION_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS}

REGION_CHOICES: tuple[tuple[str, str], ...] = tuple((region.name, region.name) for region in REGIONS)
"""(stored value, label) pairs for a select: the card stores the official name."""

_NON_ALNUM = re.compile(r"[^0-9a-zа-я]+")


def region_key(text: str) -> str:
    """The form in which spellings are compared: lower case, ё→е, dashes, dots and brackets ignored.

    So «Республика Северная Осетия - Алания» (a hyphen typed for the dash) and «кабардино балкарская
    республика» both find their subject.
    """
    return _NON_ALNUM.sub(" ", text.lower().replace("ё", "е")).strip()


def _build_index() -> dict[str, Region]:
    index: dict[str, Region] = {}
    for region in REGIONS:
        for spelling in (region.code, region.name, *region.aliases):
            key = region_key(spelling)
            if index.setdefault(key, region) is not region:  # pragma: no cover - guards the table
                raise ValueError(f"region spelling {spelling!r} is ambiguous")
    return index


_INDEX = _build_index()


def resolve_region(value: object) -> Region | None:
    """The subject that `value` names (official name, common alias or code), or None.

    A one-digit code is read with its leading zero («2» is 02), because a number sent as JSON
    loses it.
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    return _INDEX.get(region_key(text))
