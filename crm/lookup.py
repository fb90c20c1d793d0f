"""The company lookup by ИНН: a connector to a DaData-compatible ``findById/party`` service.

One call, :func:`find_party`, asks the provider about an ИНН (and КПП) and returns a typed answer:
:class:`Found` (the company's data as card fields and its state), :class:`Missing` (the register
has no such company) or :class:`Refusal` (not configured, the day's limit spent, a timeout, 401,
403, 429, 5xx, an answer it cannot read), each with a sentence for a person and how soon to try
again. Nothing raises out of it: a provider that is down must never break a form.

Why not the ``dadata`` client package: it needs httpx, which nothing else here uses, while the one
request we make is a JSON POST with a token header; the standard library's ``urllib`` does it in
a few lines with a hard timeout, and the fake server of the tests speaks plain HTTP.

The request (DaData «Организация по ИНН или ОГРН»)::

    POST COMPANY_LOOKUP_URL   Authorization: Token <COMPANY_LOOKUP_TOKEN>
    {"query": "<ИНН>", "kpp": "<КПП>", "branch_type": "MAIN", "count": 1}

The answer is ``{"suggestions": [{"value", "data": {"inn", "kpp", "ogrn", "type", "opf",
"name": {"full_with_opf", "short_with_opf", "short"}, "address": {"value", "data"},
"state": {"status", "actuality_date", "liquidation_date"}, "management"}}]}`` with the dates as
millisecond timestamps; an empty ``suggestions`` means not found.

Every answer (found or not) is kept in :class:`crm.models.PartyRecord`: the form's checks and the
approvals read it (:func:`known`), never the network, and every request is counted against
``COMPANY_LOOKUP_DAILY_LIMIT`` in :class:`crm.models.LookupUsage`, shared by all processes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base import clock
from crm.models import CompanyStatus, LookupUsage, PartyRecord
from crm.regions import resolve_region
from crm.validation import check_inn, check_kpp
from notify.texts import Phrase, Words

log = logging.getLogger(__name__)

SOURCE = "dadata"
"""The ``source`` of the API's answer and of the card's history rows the provider's data wrote."""
SOURCE_NAME = "DaData"

FRESH = dt.timedelta(hours=24)
"""An answer younger than this is used again instead of asking once more."""

#: The provider's ``state.status`` → ours.
STATUSES = {
    "ACTIVE": CompanyStatus.ACTIVE,
    "LIQUIDATING": CompanyStatus.LIQUIDATING,
    "LIQUIDATED": CompanyStatus.LIQUIDATED,
    "BANKRUPT": CompanyStatus.BANKRUPT,
    "REORGANIZING": CompanyStatus.REORGANIZING,
}
_LEGAL_FORMS = {"ООО": "ooo", "АО": "ao", "ПАО": "pao", "НАО": "ao", "ЗАО": "ao", "ОАО": "pao"}

# How soon a request that failed is worth making again.
RETRY_SOON = dt.timedelta(hours=1)
RETRY_TOMORROW = dt.timedelta(hours=12)


# --------------------------------------------------------------------------- the answers


@dataclass(frozen=True)
class Party:
    """What the register says about a company, in our terms."""

    inn: str
    kpp: str
    ogrn: str
    full_name: str
    short_name: str
    name: str
    legal_form: str
    address: str
    region: str
    city: str
    status: str
    liquidation_date: dt.date | None
    actuality_date: dt.date | None

    def card(self) -> dict[str, str]:
        """The card fields this fills (processes.md §2); empty values are left out."""
        values = {
            "name": self.name,
            "legal_form": self.legal_form,
            "short_name": self.short_name,
            "full_name": self.full_name,
            "inn": self.inn,
            "kpp": self.kpp,
            "ogrn": self.ogrn,
            "legal_address": self.address,
            "region": self.region,
            "city": self.city,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return self.status == CompanyStatus.ACTIVE


@dataclass(frozen=True)
class Found:
    party: Party


@dataclass(frozen=True)
class Missing:
    """The register has no company with this ИНН (and КПП)."""

    inn: str
    kpp: str = ""


@dataclass(frozen=True)
class Refusal:
    """No answer this time. ``reason`` is for logs and tests, ``message`` for a person."""

    reason: str
    message: str
    retry_after: dt.timedelta = field(default=RETRY_SOON)

    @property
    def retry_seconds(self) -> int:
        return int(self.retry_after.total_seconds())


Answer = Found | Missing | Refusal

NOT_CONFIGURED = "not_configured"
OVER_LIMIT = "over_limit"
BAD_INN = "bad_inn"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
UNAUTHORIZED = "unauthorized"
QUOTA = "quota"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
BAD_ANSWER = "bad_answer"


def configured() -> bool:
    """Whether a provider is configured (a token is set): the button and the endpoint depend on it."""
    return bool(settings.COMPANY_LOOKUP_TOKEN and settings.COMPANY_LOOKUP_URL)


def not_configured() -> Refusal:
    return Refusal(
        NOT_CONFIGURED,
        _("Поиск компаний по ИНН не настроен: администратору нужно задать COMPANY_LOOKUP_TOKEN."),
        dt.timedelta(days=1),
    )


# --------------------------------------------------------------------------- asking


def find_party(inn: str, kpp: str = "", *, reserve: int = 0) -> Answer:
    """Ask the provider about ``inn`` (+ ``kpp``); keep and return its answer. Never raises.

    ``reserve``: leave this many of the day's requests unused (the monthly re-check leaves some to
    the people pressing the button). The ИНН must pass its checksum (else a ``bad_inn`` refusal,
    without a request).
    """
    inn = (inn or "").strip()
    kpp = (kpp or "").strip().upper()
    problem = check_inn(inn) if inn else _("ИНН — обязательное поле")
    if problem is None and kpp:
        problem = check_kpp(kpp)
    if problem:
        return Refusal(BAD_INN, problem, dt.timedelta(0))
    if not configured():
        return not_configured()
    if not _spend(reserve):
        return Refusal(
            OVER_LIMIT,
            _("Лимит запросов к справочнику компаний на сегодня исчерпан; попробуйте завтра."),
            _until_tomorrow(),
        )
    answer = _ask(inn, kpp)
    if isinstance(answer, Refusal):
        log.warning("company lookup of %s/%s refused: %s (%s)", inn, kpp, answer.reason, answer.message)
    else:
        _keep(inn, kpp, answer)
    return answer


def _ask(inn: str, kpp: str) -> Answer:
    body: dict[str, Any] = {"query": inn, "branch_type": "MAIN", "count": 1}
    if kpp:
        body["kpp"] = kpp
    request = urllib.request.Request(  # noqa: S310 - the URL's scheme is checked by the settings
        settings.COMPANY_LOOKUP_URL,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Token {settings.COMPANY_LOOKUP_TOKEN}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        method="POST",
    )
    down = _("Справочник компаний не отвечает; заполните карточку вручную или попробуйте позже.")
    try:
        with urllib.request.urlopen(request, timeout=settings.COMPANY_LOOKUP_TIMEOUT) as response:  # noqa: S310
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return _http_refusal(error.code, down)
    except TimeoutError:
        return Refusal(TIMEOUT, down)
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            return Refusal(TIMEOUT, down)
        return Refusal(UNREACHABLE, down)
    except (OSError, ValueError, UnicodeDecodeError):  # a connection cut mid-answer, or not JSON
        return Refusal(BAD_ANSWER, down)
    try:
        return _read(payload, inn, kpp)
    except (AttributeError, KeyError, TypeError, ValueError):
        log.warning("company lookup: an answer of an unexpected shape: %.500r", payload)
        return Refusal(BAD_ANSWER, down)


def _http_refusal(code: int, down: str) -> Refusal:
    if code == 401:
        return Refusal(
            UNAUTHORIZED,
            _("Справочник компаний не принял ключ доступа; администратору нужно проверить COMPANY_LOOKUP_TOKEN."),
            RETRY_TOMORROW,
        )
    if code == 403:
        return Refusal(
            QUOTA,
            _("Справочник компаний отказал: дневной лимит запросов исчерпан или ключ заблокирован."),
            RETRY_TOMORROW,
        )
    if code == 429:
        return Refusal(RATE_LIMITED, _("Справочник компаний просит подождать; попробуйте через минуту."))
    return Refusal(SERVER_ERROR, down)


def _read(payload: Any, inn: str, kpp: str) -> Answer:
    suggestions = payload["suggestions"]
    if not suggestions:
        return Missing(inn, kpp)
    data = suggestions[0]["data"]
    name = data.get("name") or {}
    address = data.get("address") or {}
    address_data = address.get("data") or {}
    state = data.get("state") or {}
    opf = (data.get("opf") or {}).get("short") or ""
    legal_form = "ip" if data.get("type") == "INDIVIDUAL" else _LEGAL_FORMS.get(opf, "")
    region = resolve_region(address_data.get("region") or address_data.get("region_with_type") or "")
    short_with_opf = name.get("short_with_opf") or ""
    party = Party(
        inn=str(data.get("inn") or inn),
        kpp=str(data.get("kpp") or ""),
        ogrn=str(data.get("ogrn") or ""),
        full_name=name.get("full_with_opf") or "",
        short_name=short_with_opf,
        name=name.get("short") or name.get("full") or short_with_opf,
        legal_form=legal_form,
        address=address.get("unrestricted_value") or address.get("value") or "",
        region=region.name if region else "",
        city=address_data.get("city") or address_data.get("settlement") or "",
        status=STATUSES.get(str(state.get("status") or "").upper(), CompanyStatus.UNKNOWN),
        liquidation_date=_day(state.get("liquidation_date")),
        actuality_date=_day(state.get("actuality_date")),
    )
    return Found(party)


def _day(milliseconds: Any) -> dt.date | None:
    """A provider's date (milliseconds since 1970, UTC) as a Moscow day; None when absent."""
    if milliseconds in (None, ""):
        return None
    moment = dt.datetime.fromtimestamp(int(milliseconds) / 1000, tz=dt.UTC)
    return timezone.localtime(moment).date()


# --------------------------------------------------------------------------- the day's limit


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _until_tomorrow() -> dt.timedelta:
    now = timezone.localtime(clock.now())
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - now


def _spend(reserve: int = 0) -> bool:
    """Take one request of today's limit; False when none is left (beyond ``reserve``).

    A conditional UPDATE, so two processes never both take the last one.
    """
    day = _today()
    if not LookupUsage.objects.filter(day=day).exists():
        try:
            with transaction.atomic():
                LookupUsage.objects.create(day=day)
        except IntegrityError:
            pass  # another process made today's row a moment ago
    allowed = settings.COMPANY_LOOKUP_DAILY_LIMIT - reserve
    return LookupUsage.objects.filter(day=day, requests__lt=allowed).update(requests=F("requests") + 1) == 1


def spent_today() -> int:
    """Requests made to the provider today (Moscow time)."""
    return LookupUsage.objects.filter(day=_today()).values_list("requests", flat=True).first() or 0


# --------------------------------------------------------------------------- kept answers


def _keep(inn: str, kpp: str, answer: Found | Missing) -> None:
    party = answer.party if isinstance(answer, Found) else None
    values = {
        "found": party is not None,
        "status": party.status if party else "",
        "liquidation_date": party.liquidation_date if party else None,
        "actuality_date": party.actuality_date if party else None,
        "card": party.card() if party else {},
        "fetched_at": clock.now(),
    }
    try:
        with transaction.atomic():
            PartyRecord.objects.update_or_create(inn=inn, kpp=kpp, defaults=values)
    except IntegrityError:  # two processes asked about the same company at once: either answer will do
        pass


def known(inn: str, kpp: str = "") -> PartyRecord | None:
    """The last answer kept about ``inn`` (+ ``kpp``, else any КПП of it), however old; no request."""
    inn = (inn or "").strip()
    if not inn:
        return None
    records = PartyRecord.objects.filter(inn=inn).order_by("-fetched_at")
    kpp = (kpp or "").strip().upper()
    if kpp:
        exact = records.filter(kpp=kpp).first()
        if exact is not None:
            return exact
        return records.filter(kpp="").first()
    return records.first()


def standing(inn: str, kpp: str = "", *, live: bool = False) -> PartyRecord | None:
    """What is known about the company: the kept answer, refreshed first when ``live`` and it is
    older than a day (or missing) and a provider is configured. A refusal leaves what was kept."""
    record = known(inn, kpp)
    fresh = record is not None and clock.now() - record.fetched_at < FRESH
    if live and not fresh and configured() and check_inn(inn) is None and inn:
        answer = find_party(inn, kpp)
        if not isinstance(answer, Refusal):
            record = known(inn, kpp)
    return record


# --------------------------------------------------------------------------- the warning


def status_warning(inn: str, status: str, liquidation_date: dt.date | None, as_of: dt.date | None = None) -> str | None:
    """The warning for a company that is not active (liquidated, bankrupt, in liquidation,
    reorganizing), with the date; None for an active or unknown one."""
    phrase = status_phrase(inn, status, liquidation_date, as_of)
    return str(phrase) if phrase is not None else None


def status_phrase(
    inn: str, status: str, liquidation_date: dt.date | None, as_of: dt.date | None = None
) -> Phrase | None:
    """:func:`status_warning` as a notice's phrase, so its reader gets it in their own language."""
    if status in (CompanyStatus.ACTIVE, CompanyStatus.UNKNOWN, ""):
        return None
    states = {
        CompanyStatus.LIQUIDATED: gettext_noop("компания ликвидирована"),
        CompanyStatus.LIQUIDATING: gettext_noop("компания в процессе ликвидации"),
        CompanyStatus.BANKRUPT: gettext_noop("компания признана банкротом"),
        CompanyStatus.REORGANIZING: gettext_noop("компания в процессе реорганизации"),
    }
    state = states.get(status)
    if state is None:
        return None
    date = liquidation_date or as_of
    if date is not None:
        return Phrase(
            gettext_noop("ИНН %(inn)s: %(state)s, дата: %(date)s (по данным %(source)s)"),
            inn=inn,
            state=Words(state),
            date=formats.date_format(date, "d.m.Y"),
            source=SOURCE_NAME,
        )
    return Phrase(
        gettext_noop("ИНН %(inn)s: %(state)s (по данным %(source)s)"), inn=inn, state=Words(state), source=SOURCE_NAME
    )


def record_warning(record: PartyRecord | None) -> str | None:
    """:func:`status_warning` of a kept answer."""
    if record is None or not record.found:
        return None
    return status_warning(record.inn, record.status, record.liquidation_date, record.actuality_date)


# --------------------------------------------------------------------------- the card form's fill


def from_record(record: PartyRecord) -> Found | Missing:
    """A kept answer as an answer (so pressing the button twice costs one request)."""
    if not record.found:
        return Missing(record.inn, record.kpp)
    card = record.card or {}
    party = Party(
        inn=card.get("inn") or record.inn,
        kpp=card.get("kpp") or "",
        ogrn=card.get("ogrn") or "",
        full_name=card.get("full_name") or "",
        short_name=card.get("short_name") or "",
        name=card.get("name") or "",
        legal_form=card.get("legal_form") or "",
        address=card.get("legal_address") or "",
        region=card.get("region") or "",
        city=card.get("city") or "",
        status=record.status,
        liquidation_date=record.liquidation_date,
        actuality_date=record.actuality_date,
    )
    return Found(party)


def _normal(field_id: str, value: str) -> str:
    text = " ".join(str(value or "").split()).casefold().replace("ё", "е")
    if field_id in ("inn", "kpp", "ogrn"):
        return text.replace(" ", "")
    if field_id == "region":
        region = resolve_region(value)
        return region.name.casefold() if region else text
    return text.replace("«", '"').replace("»", '"')


def same_value(field_id: str, typed: str, registered: str) -> bool:
    """Whether what a person typed says the same as the register (case, spaces, quotes, region
    code or name aside): only a real difference is worth asking about."""
    return _normal(field_id, typed) == _normal(field_id, registered)


def used_in(record: PartyRecord, card: Any) -> bool:
    """Whether a card carries the register's values (it was filled by the button): the source its
    history row names."""
    if not record.found:
        return False
    registered = record.card or {}
    keys = [key for key in ("full_name", "legal_address", "ogrn") if registered.get(key)]
    return bool(keys) and all(same_value(key, str(card.get(key) or ""), registered[key]) for key in keys)
