"""Checks of a counterparty (контрагент) card: the one place that decides whether a card is valid.

The `add_counterparty` form (steps `fill_card` and `revise_card`), the process service that
completes those steps and `POST /api/v1/companies/check` all call `validate_card`, so the three can
never disagree about a card; the htmx "check the field as the user leaves it" calls `check_field`,
which runs the very same `validate_card` and picks one field's errors out of it.

Conventions:

- Errors are keyed by field id (`inn`), and rows of the list fields by `<list>.<index>.<field>`
  (`contacts.0.email`), the index being the row's position in the input (blank rows included), so
  the form can put the message next to the input the user typed into.
- Every message names the field and the rule, in Russian (wrapped in gettext), e.g.
  «ИНН организации — 10 цифр», «Неверное контрольное число ИНН».
- The single-identifier functions `check_*` return the error message, or None when the value is
  fine. An empty value is fine for them: whether a field is required depends on the rest of the card
  and is decided by `validate_card`. They never raise on bad input of any type.
- `CardCheck.cleaned` holds every card field (unknown keys of the input are dropped), normalised:
  identifiers without spaces (`"7707 083 893"` → `"7707083893"`), the region by its official name,
  the country «Россия» for its synonyms, the date as an ISO string. It is JSON-serialisable as it
  stands, so it can go into process variables and history and straight into the model. A field that
  has an error keeps the (stripped) value that was given, so the form can show it again.

Identifier facts the rules rest on (the tests prove the claims about single-digit changes):

- ИНН: python-stdnum (`stdnum.ru.inn`). 10 digits for organisations, 12 for ИП; all-zero numbers
  pass the checksum and are refused here.
- ОГРН (13 digits): python-stdnum (`stdnum.ru.ogrn`), control digit n[:12] % 11 % 10, first digit 1
  or 5 (a 13-digit number starting with 2 is a ГРН, the number of one record in ЕГРЮЛ).
- ОГРНИП (15 digits, first digit 3): our own check, n[:14] % 13 % 10. python-stdnum 2.2 compares
  the last digit with n[:14] % 13 and so refuses every real ОГРНИП whose remainder is 10, 11 or 12
  (about 3 in 13 of them).
- Bank accounts: the Bank of Russia's control key, weights 7,1,3 repeating over 23 digits (a
  three-digit prefix and the 20-digit account), sum % 10 == 0. The prefix is the БИК's digits 7–9
  for a settlement account (р/с) and "0" + the БИК's digits 5–6 for a correspondent account (к/с).
  Treasury accounts (казначейские счета, starting 03) have no such key and are not checked; a к/с
  that is the treasury's single account (ЕКС, starting 40102) is accepted without key or suffix
  check for the same reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from crm.choices import DocumentKind
from crm.regions import resolve_region

# --- The card's vocabulary ---------------------------------------------------------------------

KIND_CHOICES: tuple[tuple[str, Any], ...] = (
    ("client", gettext_lazy("клиент")),
    ("distributor", gettext_lazy("дистрибьютор")),
    ("service", gettext_lazy("автосервис")),
    ("supplier", gettext_lazy("поставщик")),
    ("other", gettext_lazy("прочее")),
)
LEGAL_FORM_CHOICES: tuple[tuple[str, Any], ...] = (
    ("ooo", gettext_lazy("ООО")),
    ("ao", gettext_lazy("АО")),
    ("pao", gettext_lazy("ПАО")),
    ("ip", gettext_lazy("ИП")),
    ("foreign", gettext_lazy("иностранная организация")),
)
KINDS = frozenset(key for key, _label in KIND_CHOICES)
LEGAL_FORMS = frozenset(key for key, _label in LEGAL_FORM_CHOICES)
ORGANISATION_FORMS = frozenset({"ooo", "ao", "pao"})
"""Russian legal forms of an organisation (юридическое лицо): 10-digit ИНН, КПП, 13-digit ОГРН."""
IP = "ip"
FOREIGN = "foreign"

RUSSIA = "Россия"
_RUSSIA_SYNONYMS = frozenset({"россия", "российская федерация", "рф", "russia", "russian federation", "ru", "rus"})

# Field ids in the order of the form. The ids are public (API and acceptance tests).
TEXT_FIELDS: tuple[str, ...] = (
    "name",
    "department",
    "responsible",
    "kind",
    "legal_form",
    "country",
    "region",
    "city",
    "business_group",
    "short_name",
    "full_name",
    "inn",
    "kpp",
    "ogrn",
    "reg_number",
    "legal_address",
    "bank_bik",
    "bank_name",
    "bank_account",
    "bank_corr_account",
    "responsible_manager",
)
FIELDS: tuple[str, ...] = ("created_on", *TEXT_FIELDS, "contacts", "documents")
CONTACT_FIELDS: tuple[str, ...] = ("name", "position", "phone", "email")
DOCUMENT_FIELDS: tuple[str, ...] = ("kind", "title", "url", "file")
DOCUMENT_KINDS = frozenset(DocumentKind.values)
MAX_FILE_ID = 2**63 - 1
"""The largest id a database key holds: a bigger "file" is refused as not a file's number, never a 500."""
BANK_FIELDS: tuple[str, ...] = ("bank_bik", "bank_name", "bank_account", "bank_corr_account")

LABELS: dict[str, str] = {
    "name": gettext_noop("Название"),
    "created_on": gettext_noop("Дата создания"),
    "department": gettext_noop("Подразделение"),
    "responsible": gettext_noop("Ответственный"),
    "kind": gettext_noop("Тип контрагента"),
    "legal_form": gettext_noop("Организационно-правовая форма"),
    "country": gettext_noop("Страна"),
    "region": gettext_noop("Регион"),
    "city": gettext_noop("Город"),
    "business_group": gettext_noop("Бизнес-группа"),
    "short_name": gettext_noop("Краткое наименование"),
    "full_name": gettext_noop("Полное наименование"),
    "inn": gettext_noop("ИНН"),
    "kpp": gettext_noop("КПП"),
    "ogrn": gettext_noop("ОГРН"),
    "reg_number": gettext_noop("Регистрационный номер"),
    "legal_address": gettext_noop("Юридический адрес"),
    "bank_bik": gettext_noop("БИК"),
    "bank_name": gettext_noop("Банк"),
    "bank_account": gettext_noop("Расчётный счёт"),
    "bank_corr_account": gettext_noop("Корреспондентский счёт"),
    "contacts": gettext_noop("Контакты"),
    "documents": gettext_noop("Документы"),
    "responsible_manager": gettext_noop("Руководитель"),
    "contacts.name": gettext_noop("Контакт: имя"),
    "contacts.position": gettext_noop("Контакт: должность"),
    "contacts.phone": gettext_noop("Контакт: телефон"),
    "contacts.email": gettext_noop("Контакт: e-mail"),
    "documents.kind": gettext_noop("Документ: вид"),
    "documents.title": gettext_noop("Документ: название"),
    "documents.url": gettext_noop("Документ: ссылка"),
    "status": gettext_noop("Статус в реестре"),
    "documents.file": gettext_noop("Документ: файл"),
}
"""Field labels (untranslated; pass through gettext to show)."""

MAX_LENGTHS: dict[str, int] = {
    "name": 255,
    "department": 255,
    "responsible": 150,
    "country": 100,
    "region": 100,
    "city": 100,
    "business_group": 255,
    "short_name": 255,
    "full_name": 1000,
    "inn": 50,
    "kpp": 50,
    "ogrn": 50,
    "reg_number": 100,
    "legal_address": 1000,
    "bank_bik": 100,
    "bank_name": 255,
    "bank_account": 100,
    "bank_corr_account": 100,
    "responsible_manager": 150,
    "contacts.name": 255,
    "contacts.position": 255,
    "contacts.phone": 50,
    "contacts.email": 254,
    "documents.title": 255,
    "documents.url": 2000,
}
"""Longest accepted value of each text field: the model's max_length should be these."""

# Reasons of `CardCheck.duplicates` entries, for the `duplicates` hook to use.
REASON_SAME_INN = "same_inn"
"""An existing company has this ИНН (and КПП, where there is one): an error."""
REASON_SAME_INN_RUNNING = "same_inn_running"
"""Another running add_counterparty instance has this ИНН (and КПП): an error."""
REASON_SIMILAR_NAME = "similar_name"
"""An existing company's name closely matches (legal form and quotes ignored): a warning."""

FileRefusal = Callable[[int], "str | None"]
"""Given a document row's file id, why the caller may not use it (a sentence), or None: the
database and the caller live there (``crm.services.check_card``), not here."""

DuplicatesHook = Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]
"""Given the cleaned card, return (exact duplicates, name matches), each a list of
{"id", "name", "inn", "kpp", "reason"} dicts (extra keys, e.g. "url", are kept). An exact
duplicate may carry "field" (default "inn") and "message" to override the default error text."""

StatusHook = Callable[[dict[str, Any]], str | None]
"""Given the cleaned card (its ИНН passed the checks), the warning about its company's state in the
state register when it is not active (liquidated, bankrupt, in liquidation), or None. The lookup
provider lives there (`crm.lookup`), not here."""


# --- The result --------------------------------------------------------------------------------


@dataclass
class CardCheck:
    """What `validate_card` found: normalised data, errors, warnings and possible duplicates.

    Errors block the card; warnings (a similar name) must only be confirmed by the user. The
    shape of `as_dict()` is the body of `POST /api/v1/companies/check`.
    """

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the card has no errors (warnings do not count)."""
        return not self.errors

    def add_error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def add_warning(self, key: str, message: str) -> None:
        self.warnings.setdefault(key, []).append(message)

    def as_dict(self) -> dict[str, Any]:
        """{"errors", "warnings", "duplicates"}: the check endpoint's response body."""
        return {"errors": self.errors, "warnings": self.warnings, "duplicates": self.duplicates}


# --- Small helpers -----------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def _label(field_id: str) -> str:
    return _(LABELS[field_id])


def _as_text(value: object) -> str | None:
    """The value as a stripped one-line string; None when it is not text (a list, a dict...).

    Numbers are accepted because a JSON client may send an ИНН as a number.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return _WHITESPACE.sub(" ", str(value)).strip()
    return None


def _loose_text(value: object) -> str:
    """`_as_text`, but a value that is not text becomes its repr, which the format check refuses.

    So `check_*` called directly with a list answers with an error instead of "fine".
    """
    text = _as_text(value)
    return str(value) if text is None else text


def _compact(value: object) -> str:
    """An identifier without any whitespace: people paste «7707 083 893» or «40702 810 ...»."""
    return _WHITESPACE.sub("", _loose_text(value))


def _all_zero(digits: str) -> bool:
    return set(digits) == {"0"}


def is_russia(country: object) -> bool:
    """Whether a country value means Russia («Россия», «РФ», «Российская Федерация», «Russia»...)."""
    text = _as_text(country)
    return bool(text) and text.lower().replace("ё", "е") in _RUSSIA_SYNONYMS


# --- Single identifiers ------------------------------------------------------------------------


def check_inn(value: object, legal_form: str | None = None) -> str | None:
    """The error of an ИНН for the given legal form, or None.

    The length depends on the legal form: a sales manager who types an organisation's 10 digits on
    an ИП card must be told that, not that the checksum is wrong. With no (or an unknown) legal
    form, either length is accepted. A foreign organisation has no Russian ИНН to check.
    """
    inn = _compact(value)
    if not inn or legal_form == FOREIGN:
        return None
    if legal_form == IP:
        if not re.fullmatch(r"[0-9]{12}", inn):
            if re.fullmatch(r"[0-9]{10}", inn):
                return _("ИНН индивидуального предпринимателя — 12 цифр; 10 цифр бывает у организаций")
            return _("ИНН индивидуального предпринимателя — 12 цифр")
    elif legal_form in ORGANISATION_FORMS:
        if not re.fullmatch(r"[0-9]{10}", inn):
            if re.fullmatch(r"[0-9]{12}", inn):
                return _("ИНН организации — 10 цифр; 12 цифр бывает у ИП и физических лиц")
            return _("ИНН организации — 10 цифр")
    elif not re.fullmatch(r"[0-9]{10}|[0-9]{12}", inn):
        return _("ИНН — 10 цифр (организация) или 12 цифр (ИП)")
    if _all_zero(inn):
        return _("ИНН не может состоять из одних нулей")
    if not stdnum_inn.is_valid(inn):
        return _("Неверное контрольное число ИНН")
    return None


def ogrnip_is_valid(number: str) -> bool:
    """Whether a 15-digit ОГРНИП's control digit is right: n[:14] % 13 % 10.

    Not python-stdnum's `ru.ogrn`: version 2.2 omits the final "% 10" and refuses real ОГРНИП
    whose remainder is 10–12.
    """
    return len(number) == 15 and number.isascii() and number.isdigit() and int(number[:14]) % 13 % 10 == int(number[14])


def _check_ogrn13(number: str) -> str | None:
    if number[0] not in "15":
        if number[0] == "2":
            return _("ОГРН начинается с 1 или 5; номер, начинающийся с 2, — это ГРН записи в ЕГРЮЛ, а не ОГРН")
        return _("ОГРН начинается с 1 или 5")
    if not stdnum_ogrn.is_valid(number):
        return _("Неверное контрольное число ОГРН")
    return None


def _check_ogrnip(number: str) -> str | None:
    if number[0] != "3":
        return _("ОГРНИП начинается с 3")
    if not ogrnip_is_valid(number):
        return _("Неверное контрольное число ОГРНИП")
    return None


def check_ogrn(value: object, legal_form: str | None = None) -> str | None:
    """The error of an ОГРН (organisation, 13 digits) or ОГРНИП (ИП, 15 digits), or None.

    With no (or an unknown) legal form the length decides which of the two it is.
    """
    number = _compact(value)
    if not number or legal_form == FOREIGN:
        return None
    if legal_form == IP:
        if not re.fullmatch(r"[0-9]{15}", number):
            if re.fullmatch(r"[0-9]{13}", number):
                return _("ОГРНИП индивидуального предпринимателя — 15 цифр; 13 цифр — это ОГРН организации")
            return _("ОГРНИП индивидуального предпринимателя — 15 цифр")
    elif legal_form in ORGANISATION_FORMS:
        if not re.fullmatch(r"[0-9]{13}", number):
            if re.fullmatch(r"[0-9]{15}", number):
                return _("ОГРН организации — 13 цифр; 15 цифр — это ОГРНИП индивидуального предпринимателя")
            return _("ОГРН организации — 13 цифр")
    elif not re.fullmatch(r"[0-9]{13}|[0-9]{15}", number):
        return _("ОГРН — 13 цифр (организация) или ОГРНИП — 15 цифр (ИП)")
    if _all_zero(number):
        return _("ОГРН не может состоять из одних нулей")
    return _check_ogrn13(number) if len(number) == 13 else _check_ogrnip(number)


_KPP_RE = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
_KPP_ANY_LETTERS_RE = re.compile(r"[0-9]{4}[\w]{2}[0-9]{3}")


def check_kpp(value: object, legal_form: str | None = None) -> str | None:
    """The error of a КПП, or None. Lower-case Latin letters are taken as capitals.

    Positions 5–6 (the reason code) may be capital Latin letters since 2013; a Russian keyboard
    produces Cyrillic look-alikes, which the tax office refuses, so that gets its own message.
    An ИП has no КПП at all.
    """
    kpp = _compact(value).upper()
    if not kpp or legal_form == FOREIGN:
        return None
    if legal_form == IP:
        return _("У индивидуального предпринимателя нет КПП — оставьте поле пустым")
    if not _KPP_RE.fullmatch(kpp):
        if _KPP_ANY_LETTERS_RE.fullmatch(kpp) and re.search("[А-ЯЁ]", kpp[4:6]):
            return _("КПП: в 5–6 знаках допускаются только латинские буквы A–Z, а не русские")
        return _("КПП — 9 знаков: 4 цифры, 2 цифры или латинские буквы A–Z, 3 цифры")
    if _all_zero(kpp):
        return _("КПП не может состоять из одних нулей")
    return None


def check_bik(value: object) -> str | None:
    """The error of a БИК, or None: 9 digits.

    Nothing more is hard-coded: bank БИКs start 04, but treasury (ТОФК) ones start 00/01.
    """
    bik = _compact(value)
    if not bik:
        return None
    if not re.fullmatch(r"[0-9]{9}", bik):
        return _("БИК — 9 цифр")
    if _all_zero(bik):
        return _("БИК не может состоять из одних нулей")
    return None


_KEY_WEIGHTS = ((7, 1, 3) * 8)[:23]


def account_key_ok(prefix: str, account: str) -> bool:
    """The Bank of Russia control key: weights 7,1,3 over prefix + account, sum % 10 == 0.

    The weights are coprime with 10, so any change of a single digit is caught.
    """
    digits = prefix + account
    return sum(int(d) * w for d, w in zip(digits, _KEY_WEIGHTS, strict=True)) % 10 == 0


def _valid_bik(bik: object) -> str | None:
    compact = _compact(bik)
    return compact if compact and check_bik(compact) is None else None


def check_settlement_account(account: object, bik: object = None) -> str | None:
    """The error of a settlement account (р/с), or None; the key is checked when the БИК is valid.

    An invalid or missing БИК is the БИК field's error, so the account is then only checked for
    its form. Treasury accounts (03...) have no control key.
    """
    number = _compact(account)
    if not number:
        return None
    if not re.fullmatch(r"[0-9]{20}", number):
        return _("Расчётный счёт — 20 цифр")
    valid_bik = _valid_bik(bik)
    if number.startswith("03") or valid_bik is None:
        return None
    if not account_key_ok(valid_bik[6:9], number):
        return _("Неверный контрольный ключ расчётного счёта: счёт не соответствует БИК %(bik)s") % {"bik": valid_bik}
    return None


def check_corr_account(account: object, bik: object = None) -> str | None:
    """The error of a correspondent account (к/с), or None; checked against the БИК when it is valid.

    A bank's к/с is 30101 + ... + the БИК's last three digits, with the control key of prefix
    "0" + БИК digits 5–6. The treasury's single account (ЕКС, 40102...) that ТОФК give as their к/с
    has neither rule and is accepted as it is.
    """
    number = _compact(account)
    if not number:
        return None
    if not re.fullmatch(r"[0-9]{20}", number):
        return _("Корреспондентский счёт — 20 цифр")
    if number.startswith("40102"):
        return None
    if not number.startswith("30101"):
        return _("Корреспондентский счёт начинается с 30101")
    valid_bik = _valid_bik(bik)
    if valid_bik is None:
        return None
    if number[-3:] != valid_bik[-3:]:
        return _("Корреспондентский счёт оканчивается тремя последними цифрами БИК (%(end)s)") % {"end": valid_bik[-3:]}
    if not account_key_ok("0" + valid_bik[4:6], number):
        return _("Неверный контрольный ключ корреспондентского счёта: счёт не соответствует БИК %(bik)s") % {
            "bik": valid_bik
        }
    return None


def check_region(value: object) -> str | None:
    """The error of a Russian region, or None: a subject's official name, a usual alias or its code."""
    text = _loose_text(value)
    if not text:
        return None
    if resolve_region(text) is None:
        return _("Регион: укажите субъект РФ по названию (например, «Московская область») или двузначному коду (50)")
    return None


_PHONE_RE = re.compile(
    r"(?P<number>\+?[0-9\s().\-]+?)\s*(?:(?:доб|ext|вн|x)\.?\s*(?P<extension>[0-9]{1,6}))?",
    re.IGNORECASE,
)


def check_phone(value: object) -> str | None:
    """The error of a phone number, or None: 10–15 digits, Russian or international form.

    «+7 (495) 123-45-67», «8 900 123 45 67», «+49 30 1234567» and an extension («доб. 123») are
    fine; letters are not. A number in +7 must have exactly 11 digits: it is a Russian one.
    """
    text = _loose_text(value)
    if not text:
        return None
    match = _PHONE_RE.fullmatch(text)
    example = "+7 (495) 123-45-67"
    if match is None:
        return _("Телефон: только цифры, пробелы, скобки, дефисы и + в начале, например %(example)s") % {
            "example": example
        }
    digits = re.sub(r"[^0-9]", "", match["number"])
    if not 10 <= len(digits) <= 15:
        return _("Телефон: от 10 до 15 цифр с кодом страны или города, например %(example)s") % {"example": example}
    if match["number"].startswith("+7") and len(digits) != 11:
        return _("Телефон: российский номер — +7 и ещё 10 цифр, например %(example)s") % {"example": example}
    return None


_EMAIL_VALIDATOR = EmailValidator()


def check_email(value: object) -> str | None:
    """The error of an e-mail address, or None (Django's EmailValidator decides)."""
    text = _loose_text(value)
    if not text:
        return None
    try:
        _EMAIL_VALIDATOR(text)
    except ValidationError:
        return _("E-mail: неверный адрес, нужен вид name@example.ru")
    return None


def check_url(value: object) -> str | None:
    """The error of a link, or None: http or https with a host.

    Deliberately looser than Django's URLValidator: documents live on intranet hosts without a
    dot («http://sharepoint/docs/1») and those links are right.
    """
    text = _loose_text(value)
    if not text:
        return None
    message = _("Ссылка: нужен адрес вида https://сайт/путь — с http:// или https:// и именем сайта")
    if re.search(r"\s", text):
        return message
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return message
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return message
    return None


# --- The card ----------------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


class _CardValidator:
    """One run of `validate_card`: reads `data`, fills a `CardCheck`."""

    def __init__(self, data: Mapping[str, Any], file_refusal: FileRefusal | None = None) -> None:
        self.data = data
        self.file_refusal = file_refusal
        self.result = CardCheck()
        self.cleaned = self.result.cleaned
        self.document_rows: dict[tuple[str, str], int] = {}

    def error(self, key: str, message: str) -> None:
        self.result.add_error(key, message)

    def warning(self, key: str, message: str) -> None:
        self.result.add_warning(key, message)

    def text(self, key: str, value: object, kind: str | None = None) -> str:
        """`value` as stripped text, with an error when it is not text or is too long.

        `kind` is the key in LABELS/MAX_LENGTHS when `key` is a row's (`contacts.0.phone` is a
        `contacts.phone`).
        """
        kind = kind or key
        text = _as_text(value)
        if text is None:
            self.error(key, _("%(field)s: ожидается текст") % {"field": _label(kind)})
            return ""
        limit = MAX_LENGTHS.get(kind)
        if limit is not None and len(text) > limit:
            self.error(
                key,
                _("%(field)s: не длиннее %(limit)d символов") % {"field": _label(kind), "limit": limit},
            )
        return text

    def file_id(self, key: str, value: object, kind: str) -> int | None:
        """A stored file's id as the API (a number) or a form (its digits) sends it; None for none.

        Only the shape is judged here: whether the caller may use that file is ``file_refusal``'s."""
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_FILE_ID:
            self.error(key, _("%(field)s: ожидается номер загруженного файла") % {"field": _label(kind)})
            return None
        return value

    def run(self) -> CardCheck:
        data = self.data
        for key in TEXT_FIELDS:
            self.cleaned[key] = self.text(key, data.get(key))
        if "country" not in data or data.get("country") is None:
            self.cleaned["country"] = RUSSIA
        self.created_on()
        self.choices()
        legal_form = self.cleaned["legal_form"] if self.cleaned["legal_form"] in LEGAL_FORMS else None
        foreign = legal_form == FOREIGN
        russia = is_russia(self.cleaned["country"])
        if russia:
            self.cleaned["country"] = RUSSIA
        self.required(legal_form, russia)
        self.geography(legal_form, russia)
        # A foreign organisation's numbers and bank follow its own country's rules: free text.
        if not foreign:
            self.identifiers(legal_form)
            self.bank(legal_form)
        self.cleaned["contacts"] = self.rows("contacts", CONTACT_FIELDS, self.contact)
        self.cleaned["documents"] = self.rows("documents", DOCUMENT_FIELDS, self.document, files=("file",))
        return self.result

    def created_on(self) -> None:
        raw = self.data.get("created_on")
        if raw is None or raw == "":
            self.cleaned["created_on"] = timezone.localdate().isoformat()
            return
        parsed = _parse_date(raw)
        if parsed is None:
            self.cleaned["created_on"] = raw if isinstance(raw, str) else ""
            self.error("created_on", _("Дата создания: неверная дата, нужен вид ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"))
        else:
            self.cleaned["created_on"] = parsed.isoformat()

    def choices(self) -> None:
        for key, allowed, choices in (
            ("kind", KINDS, KIND_CHOICES),
            ("legal_form", LEGAL_FORMS, LEGAL_FORM_CHOICES),
        ):
            value = self.cleaned[key].lower()
            if not value:
                continue
            if value in allowed:
                self.cleaned[key] = value
            else:
                options = ", ".join(str(label) for _key, label in choices)
                self.error(
                    key,
                    _("%(field)s: выберите одно из значений: %(options)s") % {"field": _label(key), "options": options},
                )

    def required(self, legal_form: str | None, russia: bool) -> None:
        required = ["name", "kind", "legal_form", "country", "city", "short_name", "full_name"]
        if legal_form != FOREIGN:
            required.append("inn")
        required.append("legal_address")
        for key in required:
            if not self.cleaned[key] and key not in self.result.errors:
                self.error(key, _("%(field)s — обязательное поле") % {"field": _label(key)})
        if legal_form == FOREIGN and not self.cleaned["reg_number"] and "reg_number" not in self.result.errors:
            self.error("reg_number", _("Регистрационный номер — обязательное поле для иностранной организации"))
        if legal_form in ORGANISATION_FORMS and not self.cleaned["kpp"] and "kpp" not in self.result.errors:
            self.error("kpp", _("КПП — обязательное поле для ООО, АО и ПАО"))
        if russia and legal_form != FOREIGN and not self.cleaned["region"] and "region" not in self.result.errors:
            self.error("region", _("Регион — обязательное поле для контрагентов из России"))

    def geography(self, legal_form: str | None, russia: bool) -> None:
        region = self.cleaned["region"]
        if region and "region" not in self.result.errors:
            found = resolve_region(region) if russia else None
            if found is not None:
                self.cleaned["region"] = found.name
            elif russia and legal_form != FOREIGN:
                self.error("region", check_region(region) or "")
        country = self.cleaned["country"]
        if legal_form == FOREIGN and russia:
            self.warning("country", _("Страна: для иностранной организации укажите страну её регистрации"))
        elif country and not russia and legal_form in {*ORGANISATION_FORMS, IP}:
            self.warning(
                "country",
                _("Страна: ООО, АО, ПАО и ИП регистрируются в России — проверьте страну или форму"),
            )

    def identifiers(self, legal_form: str | None) -> None:
        for key, check in (("inn", check_inn), ("kpp", check_kpp), ("ogrn", check_ogrn)):
            if key in self.result.errors or not self.cleaned[key]:
                continue
            compact = _compact(self.cleaned[key])
            if key == "kpp":
                compact = compact.upper()
            self.cleaned[key] = compact
            message = check(compact, legal_form)
            if message:
                self.error(key, message)

    def bank(self, legal_form: str | None) -> None:
        for key in ("bank_bik", "bank_account", "bank_corr_account"):
            if key not in self.result.errors:
                self.cleaned[key] = _compact(self.cleaned[key])
        filled = [key for key in BANK_FIELDS if self.cleaned[key]]
        if filled and len(filled) < len(BANK_FIELDS):
            for key in BANK_FIELDS:
                if not self.cleaned[key] and key not in self.result.errors:
                    self.error(
                        key,
                        _(
                            "%(field)s: банковские реквизиты заполняются полностью — укажите и это поле "
                            "или очистите БИК, банк, р/с и к/с"
                        )
                        % {"field": _label(key)},
                    )
        bik = self.cleaned["bank_bik"]
        for key, check in (
            ("bank_bik", check_bik),
            ("bank_account", lambda value: check_settlement_account(value, bik)),
            ("bank_corr_account", lambda value: check_corr_account(value, bik)),
        ):
            if self.cleaned[key] and key not in self.result.errors:
                message = check(self.cleaned[key])
                if message:
                    self.error(key, message)
        account = self.cleaned["bank_account"]
        if "bank_account" not in self.result.errors and account:
            if legal_form == IP and account.startswith("40702"):
                self.warning(
                    "bank_account",
                    _("Расчётный счёт: 40702 — счёт организации, у ИП счёт обычно начинается с 40802"),
                )
            elif legal_form in ORGANISATION_FORMS and account.startswith("40802"):
                self.warning(
                    "bank_account",
                    _("Расчётный счёт: 40802 — счёт ИП, у организации счёт обычно начинается с 40702"),
                )

    def rows(
        self,
        key: str,
        fields: tuple[str, ...],
        check_row: Callable[[str, dict[str, Any]], None],
        *,
        files: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        raw = self.data.get(key)
        if raw is None or raw == "":
            return []
        if not isinstance(raw, list | tuple):
            self.error(key, _("%(field)s: ожидается список") % {"field": _label(key)})
            return []
        rows: list[dict[str, Any]] = []
        for index, item in enumerate(raw):
            prefix = f"{key}.{index}"
            if not isinstance(item, Mapping):
                self.error(
                    prefix,
                    _("%(field)s: строка %(row)d заполнена неверно") % {"field": _label(key), "row": index + 1},
                )
                continue
            row = {
                name: (self.file_id if name in files else self.text)(
                    f"{prefix}.{name}", item.get(name), f"{key}.{name}"
                )
                for name in fields
            }
            if not any(row.values()):
                continue  # a blank row the form always offers: not data
            check_row(prefix, row)
            rows.append(row)
        return rows

    def contact(self, prefix: str, row: dict[str, str]) -> None:
        if not row["name"]:
            self.error(f"{prefix}.name", _("Контакт: укажите имя"))
        for name, check in (("phone", check_phone), ("email", check_email)):
            key = f"{prefix}.{name}"
            if row[name] and key not in self.result.errors:
                message = check(row[name])
                if message:
                    self.error(key, message)

    def document(self, prefix: str, row: dict[str, Any]) -> None:
        """A document row: a kind from the list (none given: «Другое»), a title, and a link or a file
        (either will do, as the process form's ``"or": "url"`` says). The kind and the title name
        the company's document, so two rows may not name the same one."""
        kind_key = f"{prefix}.kind"
        kind = row["kind"].lower()
        if not kind:
            row["kind"] = DocumentKind.OTHER.value
        elif kind in DOCUMENT_KINDS:
            row["kind"] = kind
        elif kind_key not in self.result.errors:
            options = ", ".join(str(label) for label in DocumentKind.labels)
            self.error(
                kind_key,
                _("%(field)s: выберите одно из значений: %(options)s")
                % {"field": _label("documents.kind"), "options": options},
            )
        if not row["title"]:
            self.error(f"{prefix}.title", _("Документ: укажите название"))
        else:
            same = (row["kind"], row["title"].casefold())
            earlier = self.document_rows.setdefault(same, int(prefix.rsplit(".", 1)[1]))
            if earlier != int(prefix.rsplit(".", 1)[1]) and f"{prefix}.title" not in self.result.errors:
                self.error(
                    f"{prefix}.title",
                    _("Документ: такой документ этого вида уже есть в строке %(row)d — дайте ему другое название")
                    % {"row": earlier + 1},
                )
        key = f"{prefix}.url"
        file_key = f"{prefix}.file"
        if not row["url"] and row["file"] is None:
            if file_key not in self.result.errors:
                self.error(key, _("Документ: укажите ссылку или приложите файл"))
        elif row["url"] and key not in self.result.errors:
            message = check_url(row["url"])
            if message:
                self.error(key, message)
        if row["file"] is not None and self.file_refusal is not None:
            problem = self.file_refusal(row["file"])
            if problem:
                self.error(file_key, problem)

    def add_duplicates(self, hook: DuplicatesHook) -> None:
        exact, similar = hook(dict(self.cleaned))
        for item in exact:
            entry = _duplicate_entry(item, REASON_SAME_INN)
            self.result.duplicates.append(entry)
            self.error(str(item.get("field") or "inn"), str(item.get("message") or _exact_message(entry)))
        for item in similar:
            entry = _duplicate_entry(item, REASON_SIMILAR_NAME)
            self.result.duplicates.append(entry)
            self.warning(
                str(item.get("field") or "name"),
                str(
                    item.get("message")
                    or _("Название: похоже на контрагента «%(name)s» — проверьте, не дубль ли это")
                    % {"name": entry["name"]}
                ),
            )


def _duplicate_entry(item: Mapping[str, Any], default_reason: str) -> dict[str, Any]:
    entry = {key: value for key, value in item.items() if key not in {"field", "message"}}
    for key in ("id", "name", "inn", "kpp"):
        entry.setdefault(key, None)
    entry.setdefault("reason", default_reason)
    return entry


def _exact_message(entry: Mapping[str, Any]) -> str:
    identifiers = _("ИНН %(inn)s") % {"inn": entry["inn"]}
    if entry.get("kpp"):
        identifiers = _("ИНН %(inn)s и КПП %(kpp)s") % {"inn": entry["inn"], "kpp": entry["kpp"]}
    if entry["reason"] == REASON_SAME_INN_RUNNING:
        return _("%(ids)s: контрагент «%(name)s» уже добавляется в другом процессе") % {
            "ids": identifiers,
            "name": entry["name"],
        }
    return _("%(ids)s: такой контрагент уже есть — «%(name)s»") % {"ids": identifiers, "name": entry["name"]}


def validate_card(
    data: Mapping[str, Any],
    *,
    duplicates: DuplicatesHook | None = None,
    status: StatusHook | None = None,
    file_refusal: FileRefusal | None = None,
) -> CardCheck:
    """Check a counterparty card and normalise it; the one rule book of form, process and API.

    `data` is the card as the form or the API sends it (field ids of processes.md §2; unknown keys,
    such as the form's `action`, are ignored). `country` absent or null means «Россия», the form's
    default; an empty string is a missing required value. `created_on` absent or empty means today.

    `duplicates`, when given, is called once with the cleaned card and returns (exact duplicates,
    name matches) as {"id", "name", "inn", "kpp", "reason"} dicts; the database lives there, not
    here. Exact duplicates become errors (on "inn" unless the entry says "field"), name matches
    warnings on "name"; both are listed in `CardCheck.duplicates` so the UI can link to them.

    `status`, when given, is called with the cleaned card whose ИНН has no error; the sentence it
    returns (a company that is not active) becomes a warning on "inn".

    `file_refusal`, when given, is asked about every document row's file id (a row takes a link or a
    stored file, `documents.0.file`); without it only the id's shape is checked — the process form,
    whose engine has already asked the files room about each file of its rows.
    """
    validator = _CardValidator(data, file_refusal)
    result = validator.run()
    if duplicates is not None:
        validator.add_duplicates(duplicates)
    if status is not None and result.cleaned.get("inn") and "inn" not in result.errors:
        message = status(dict(result.cleaned))
        if message:
            validator.warning("inn", message)
    return result


def check_field(field_id: str, data: Mapping[str, Any], *, duplicates: DuplicatesHook | None = None) -> list[str]:
    """The errors of one field in the context of the whole card, for the htmx check on leaving it.

    It runs the full `validate_card` and keeps `field_id`'s errors (a row field is addressed as
    `contacts.0.email`), so a field can never pass here and fail on submit, or the reverse.
    """
    return validate_card(data, duplicates=duplicates).errors.get(field_id, [])
