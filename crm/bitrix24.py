"""Bitrix24 as a source of counterparties: its REST API through an inbound webhook, its export files.

Two ways in, one way out: `fetch_portal` reads a portal, `read_export` + `cards_from_table` read an
export of «Компании» (CSV or XLSX); both give `SourceRow`s (a card in Soglasie's field ids, the
row's number and the Bitrix24 id), and `crm.imports` checks and writes them.

The REST client is a few lines of `urllib` (no dependency): every call has a timeout; calls go
through a `RateLimiter` (Bitrix24 allows about 2 requests a second per webhook, more in bursts);
`QUERY_LIMIT_EXCEEDED` (HTTP 503) waits and retries a bounded number of times; a wrong address, a
revoked webhook or a portal that does not answer becomes a `PortalError` with one sentence for the
administrator. Lists are read 50 a page (`start`, `next`, `total`); after a list's first page the
other pages are fetched 50 at a time through `batch`, so 10,000 companies cost 5 calls, not 200.
The REST reference followed is docs/bitrix24-import.md's «Версия API».
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from crm.validation import TEXT_FIELDS

PAGE = 50
"""Rows a Bitrix24 list method returns per call (fixed by the portal)."""
BATCH = 50
"""Commands one `batch` call may carry (the portal's limit)."""
COMPANY = 4
"""`ENTITY_TYPE_ID` of a company (CCrmOwnerType::Company)."""
REQUISITE = 8
"""`ENTITY_TYPE_ID` of a requisite: addresses hang on requisites."""
LEGAL_ADDRESS = 6
"""`TYPE_ID` of the legal address (crm.enum.addresstype: 1 actual, 4 registration, 6 legal)."""
PRESET_IP = "2"
"""The portal's default requisite preset for an ИП (1 is «Организация»)."""

COMPANY_SELECT = ["ID", "TITLE", "COMPANY_TYPE", "INDUSTRY", "PHONE", "EMAIL", "ASSIGNED_BY_ID"]
"""`select: ["*"]` leaves out the multi-fields PHONE and EMAIL: they are named."""
REQUISITE_SELECT = [
    "ID",
    "ENTITY_ID",
    "PRESET_ID",
    "RQ_INN",
    "RQ_KPP",
    "RQ_OGRN",
    "RQ_OGRNIP",
    "RQ_COMPANY_NAME",
    "RQ_COMPANY_FULL_NAME",
]
BANK_SELECT = ["ID", "ENTITY_ID", "RQ_BIK", "RQ_ACC_NUM", "RQ_COR_ACC_NUM", "RQ_BANK_NAME"]
ADDRESS_SELECT = ["TYPE_ID", "ENTITY_ID", "ADDRESS_1", "ADDRESS_2", "CITY", "POSTAL_CODE", "PROVINCE", "COUNTRY"]
CONTACT_SELECT = ["ID", "COMPANY_ID", "NAME", "SECOND_NAME", "LAST_NAME", "POST", "PHONE", "EMAIL"]
USER_SELECT = ["ID", "EMAIL", "NAME", "SECOND_NAME", "LAST_NAME", "WORK_POSITION", "ACTIVE"]

COMPANY_TYPES = {"CUSTOMER": "client", "SUPPLIER": "supplier", "PARTNER": "distributor", "OTHER": "other"}
"""Bitrix24's `COMPANY_TYPE` → the card's `kind`; a competitor or a custom type is not guessed."""

AUTH_ERRORS = frozenset(
    {"expired_token", "invalid_token", "INVALID_CREDENTIALS", "NO_AUTH_FOUND", "WRONG_AUTH_TYPE", "invalid_grant"}
)
RATE_ERRORS = frozenset({"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"})


class PortalError(Exception):
    """The portal could not be read; `str()` is the sentence for the administrator."""


# --------------------------------------------------------------------------- the client


class RateLimiter:
    """At most `rate` calls a second, `burst` at once (a token bucket).

    The clock and the sleep are injectable so the tests move time instead of waiting. Not shared
    between threads: one import, one limiter.
    """

    def __init__(
        self,
        rate: float = 2.0,
        burst: int = 2,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.burst, self.clock, self.sleep = rate, burst, clock, sleep
        self.tokens = float(burst)
        self.at = clock()

    def wait(self) -> None:
        """Return when one more call is allowed, sleeping as long as needed."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            self.sleep((1 - self.tokens) / self.rate)
            self.at = self.clock()
            self.tokens = 1.0
        self.tokens -= 1


def php_query(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """PHP's nested query string (`filter[ENTITY_TYPE_ID]=4&select[0]=ID`): how `batch` commands
    carry their parameters."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs += php_query(value, name)
        elif isinstance(value, list | tuple):
            pairs += php_query(dict(enumerate(value)), name)
        else:
            pairs.append((name, str(value)))
    return pairs


def _webhook_url(webhook: str) -> str:
    text = (webhook or "").strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname or not re.search(r"/rest/\d+/[^/]+/?$", parts.path):
        raise PortalError(
            _("Адрес вебхука должен иметь вид https://портал.bitrix24.ru/rest/<номер пользователя>/<ключ>/")
        )
    return text if text.endswith("/") else text + "/"


class Client:
    """Calls of one inbound webhook: `call` for one method, `pages` for a whole list."""

    def __init__(
        self,
        webhook: str,
        *,
        timeout: float = 20.0,
        limiter: RateLimiter | None = None,
        retries: int = 5,
        retry_wait: float | None = None,
    ) -> None:
        """`limiter` defaults to `BITRIX24_RATE` calls a second (setting, default 2: the portal's
        limit); `retry_wait` (`BITRIX24_RETRY_WAIT`, default 1 s) grows with each retry."""
        from django.conf import settings

        self.base = _webhook_url(webhook)
        self.host = urllib.parse.urlsplit(self.base).hostname or ""
        self.timeout = timeout
        self.limiter = limiter or RateLimiter(float(getattr(settings, "BITRIX24_RATE", 2.0)))
        self.retries = retries
        self.retry_wait = float(getattr(settings, "BITRIX24_RETRY_WAIT", 1.0)) if retry_wait is None else retry_wait
        self.calls = 0

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The portal's answer to one method (the whole JSON object: `result`, `next`, `total`).

        Waits and retries on the portal's rate limit at most `retries` times, then gives up with a
        sentence; raises `PortalError` for every other failure.
        """
        body = json.dumps(params or {}).encode()
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            self.calls += 1
            status, answer = self._post(method, body)
            error = str(answer.get("error") or "") if isinstance(answer, dict) else ""
            if error in RATE_ERRORS or status == 503:
                if attempt < self.retries:
                    self.limiter.sleep(self.retry_wait * (attempt + 1))
                    continue
                raise PortalError(
                    _("Портал %(host)s отвечает «слишком много запросов» и после %(tries)d повторов; попробуйте позже")
                    % {"host": self.host, "tries": self.retries}
                )
            if error or status >= 400:
                raise self._refusal(status, error, answer)
            if not isinstance(answer, dict) or "result" not in answer:
                raise PortalError(
                    _("По адресу %(host)s отвечает не REST Битрикс24: проверьте вебхук") % {"host": self.host}
                )
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, method: str, body: bytes) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by _webhook_url
            f"{self.base}{method}.json", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as answer:
            status, raw = answer.code, answer.read()
        except (urllib.error.URLError, TimeoutError, OSError) as failure:
            reason = getattr(failure, "reason", failure)
            raise PortalError(
                _("Портал %(host)s не отвечает (%(reason)s): проверьте адрес или попробуйте позже")
                % {"host": self.host, "reason": reason}
            ) from None
        try:
            return status, json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if status >= 500:
                return status, {"error": "PORTAL_DOWN"}
            return status, None

    def _refusal(self, status: int, error: str, answer: Any) -> PortalError:
        if error in AUTH_ERRORS or status == 401:
            return PortalError(
                _("Портал %(host)s не принял вебхук (%(error)s): он отозван или ключ неверен — создайте новый")
                % {"host": self.host, "error": error or status}
            )
        if error == "insufficient_scope":
            return PortalError(
                _("У вебхука нет прав на CRM (и на пользователей для --users): добавьте их в настройках вебхука")
            )
        if error == "ERROR_METHOD_NOT_FOUND" or status == 404 or answer is None:
            return PortalError(
                _("По адресу %(host)s отвечает не REST Битрикс24: проверьте вебхук") % {"host": self.host}
            )
        if status >= 500 or error == "PORTAL_DOWN":
            return PortalError(
                _("Портал %(host)s не работает (ошибка %(status)s): попробуйте позже")
                % {"host": self.host, "status": status}
            )
        description = answer.get("error_description", "") if isinstance(answer, dict) else ""
        return PortalError(
            _("Портал %(host)s отказал: %(error)s %(description)s")
            % {"host": self.host, "error": error or status, "description": description}
        )

    def pages(self, method: str, params: Mapping[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list method: the first by itself (it tells the total), the rest 50 pages
        to a `batch` call, in order."""
        first = self.call(method, {**params, "start": 0})
        yield _rows(first.get("result"))
        total = int(first.get("total") or 0)
        starts = list(range(PAGE, total, PAGE)) if first.get("next") else []
        for group in range(0, len(starts), BATCH):
            chunk = starts[group : group + BATCH]
            cmd = {
                f"p{start}": f"{method}?{urllib.parse.urlencode(php_query({**params, 'start': start}))}"
                for start in chunk
            }
            answer = self.call("batch", {"halt": 1, "cmd": cmd})["result"]
            errors = answer.get("result_error") or {}
            if errors:
                error = next(iter(errors.values()))
                code = error.get("error", "") if isinstance(error, dict) else str(error)
                raise self._refusal(400, code, error if isinstance(error, dict) else {})
            results = answer.get("result") or {}
            for start in chunk:
                yield _rows(results.get(f"p{start}"))


def _rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):  # some methods answer a list as {"0": {...}, ...}
        result = list(result.values())
    return [row for row in (result or []) if isinstance(row, dict)]


# --------------------------------------------------------------------------- what an import reads


@dataclass
class SourceRow:
    """One company from the source: its position (1-based: a file's data row, the portal's order),
    its Bitrix24 id ("" when the file has none) and its card in Soglasie's field ids."""

    row: int
    source_id: str
    card: dict[str, Any]


@dataclass
class PortalUser:
    """A Bitrix24 user, for `--users` and for the responsible of a company (matched by e-mail)."""

    id: str
    email: str
    full_name: str
    position: str
    active: bool


@dataclass
class Portal:
    """What `fetch_portal` read: the companies as rows, the users when asked, the calls it took."""

    rows: list[SourceRow] = field(default_factory=list)
    users: list[PortalUser] = field(default_factory=list)
    calls: int = 0


def _first_value(items: Any) -> str:
    """The first VALUE of a multi-field (PHONE, EMAIL: lists of {"ID","TYPE_ID","VALUE","VALUE_TYPE"})."""
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and str(item.get("VALUE") or "").strip():
                return str(item["VALUE"]).strip()
    return ""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_FORM_PREFIXES = (
    ("ip", ("ип ", "индивидуальный предприниматель ")),
    ("pao", ("пао ", "публичное акционерное общество ")),
    ("ooo", ("ооо ", "общество с ограниченной ответственностью ")),
    ("ao", ("ао ", "зао ", "оао ", "акционерное общество ", "непубличное акционерное общество ")),
)
LEGAL_FORM_WORDS = {
    "ооо": "ooo",
    "ао": "ao",
    "пао": "pao",
    "ип": "ip",
    "ooo": "ooo",
    "ao": "ao",
    "pao": "pao",
    "ip": "ip",
    "иностранная организация": "foreign",
    "foreign": "foreign",
}


def guess_legal_form(*, explicit: str = "", name: str = "", inn: str = "", preset: str = "") -> str:
    """The card's legal form from what Bitrix24 has: a legal-form column if mapped, the name's
    prefix («ООО …»), the ИП preset, a 12-digit ИНН. Empty when none of them says: the rule book
    then refuses the row with «Организационно-правовая форма — обязательное поле»."""
    word = explicit.strip().casefold()
    if word:
        return LEGAL_FORM_WORDS.get(word, explicit.strip())
    lowered = re.sub(r"[«»\"']", "", name).casefold().strip() + " "
    for form, prefixes in _FORM_PREFIXES:
        if lowered.startswith(prefixes):
            return form
    digits = re.sub(r"\s", "", inn)
    if preset == PRESET_IP or len(digits) == 12:
        return "ip"
    return ""


def legal_address(address: Mapping[str, Any] | None) -> str:
    """One line from Bitrix24's address parts (postal code, province, city, street, house)."""
    if not address:
        return ""
    parts = [_text(address.get(key)) for key in ("POSTAL_CODE", "PROVINCE", "CITY", "ADDRESS_1", "ADDRESS_2")]
    return ", ".join(part for part in parts if part)


def card_from_portal(
    company: Mapping[str, Any],
    requisite: Mapping[str, Any] | None,
    bank: Mapping[str, Any] | None,
    address: Mapping[str, Any] | None,
    contacts: Iterable[Mapping[str, Any]],
    responsible: str = "",
) -> dict[str, Any]:
    """A company of the portal with its first requisite, bank details, legal address and contacts
    as a card (field ids of processes.md §2), not yet checked."""
    rq = requisite or {}
    bk = bank or {}
    ad = address or {}
    title = _text(company.get("TITLE"))
    short = _text(rq.get("RQ_COMPANY_NAME")) or title
    inn = _text(rq.get("RQ_INN"))
    card: dict[str, Any] = {
        "name": title,
        "kind": COMPANY_TYPES.get(_text(company.get("COMPANY_TYPE")), ""),
        "legal_form": guess_legal_form(name=short or title, inn=inn, preset=_text(rq.get("PRESET_ID"))),
        "short_name": short,
        "full_name": _text(rq.get("RQ_COMPANY_FULL_NAME")) or short,
        "inn": inn,
        "kpp": _text(rq.get("RQ_KPP")),
        "ogrn": _text(rq.get("RQ_OGRN")) or _text(rq.get("RQ_OGRNIP")),
        "city": _text(ad.get("CITY")),
        "region": _text(ad.get("PROVINCE")),
        "legal_address": legal_address(ad),
        "bank_bik": _text(bk.get("RQ_BIK")),
        "bank_name": _text(bk.get("RQ_BANK_NAME")),
        "bank_account": _text(bk.get("RQ_ACC_NUM")),
        "bank_corr_account": _text(bk.get("RQ_COR_ACC_NUM")),
        "responsible": responsible,
        "contacts": [
            {
                "name": " ".join(_text(c.get(k)) for k in ("LAST_NAME", "NAME", "SECOND_NAME") if _text(c.get(k))),
                "position": _text(c.get("POST")),
                "phone": _first_value(c.get("PHONE")),
                "email": _first_value(c.get("EMAIL")),
            }
            for c in contacts
        ],
        "documents": [],
    }
    if _text(ad.get("COUNTRY")):
        card["country"] = _text(ad.get("COUNTRY"))
    return card


def _sweep(
    client: Client, method: str, params: Mapping[str, Any], progress: Callable[[int], None] | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in client.pages(method, params):
        rows += page
        if progress:
            progress(len(page))
    return rows


def fetch_users(client: Client) -> list[PortalUser]:
    """Every user of the portal (`user.get`), active or not."""
    users = []
    for row in _sweep(client, "user.get", {"select": USER_SELECT}, None):
        name = " ".join(_text(row.get(k)) for k in ("LAST_NAME", "NAME", "SECOND_NAME") if _text(row.get(k)))
        users.append(
            PortalUser(
                id=_text(row.get("ID")),
                email=_text(row.get("EMAIL")).lower(),
                full_name=name or _text(row.get("EMAIL")),
                position=_text(row.get("WORK_POSITION")),
                active=row.get("ACTIVE") in (True, "Y", "1", 1),
            )
        )
    return users


def fetch_portal(
    client: Client,
    *,
    users: list[PortalUser] | None = None,
    username_of: Callable[[str], str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Portal:
    """Read the portal's companies with their requisites, bank details, legal addresses and contacts.

    Five sweeps of whole lists (companies; requisites of companies; bank details; legal addresses
    of requisites; contacts by their company) joined here by id, instead of five calls per company.
    A company's first requisite (lowest ID) and that requisite's first bank details count; a contact
    belongs to the company of its `COMPANY_ID` (its main company in Bitrix24). With `users` (from
    `fetch_users`), `username_of` turns the responsible's e-mail into a Soglasie username; without
    them no responsible is set.
    `progress` hears the number of companies read so far, page by page.
    """
    companies = _sweep(client, "crm.company.list", {"order": {"ID": "ASC"}, "select": COMPANY_SELECT}, progress)
    requisites = _sweep(
        client,
        "crm.requisite.list",
        {"order": {"ID": "ASC"}, "filter": {"ENTITY_TYPE_ID": COMPANY}, "select": REQUISITE_SELECT},
        None,
    )
    banks = _sweep(client, "crm.requisite.bankdetail.list", {"order": {"ID": "ASC"}, "select": BANK_SELECT}, None)
    addresses = _sweep(
        client,
        "crm.address.list",
        {
            "order": {"ENTITY_ID": "ASC"},
            "filter": {"ENTITY_TYPE_ID": REQUISITE, "TYPE_ID": LEGAL_ADDRESS},
            "select": ADDRESS_SELECT,
        },
        None,
    )
    contacts = _sweep(client, "crm.contact.list", {"order": {"ID": "ASC"}, "select": CONTACT_SELECT}, None)
    portal = Portal(users=users or [])
    by_user = {user.id: user.email for user in portal.users}
    requisite_of: dict[str, dict[str, Any]] = {}
    for rq in requisites:
        requisite_of.setdefault(_text(rq.get("ENTITY_ID")), rq)
    bank_of: dict[str, dict[str, Any]] = {}
    for bank in banks:
        bank_of.setdefault(_text(bank.get("ENTITY_ID")), bank)
    address_of = {_text(ad.get("ENTITY_ID")): ad for ad in addresses if _text(ad.get("TYPE_ID")) == str(LEGAL_ADDRESS)}
    contacts_of: dict[str, list[dict[str, Any]]] = {}
    for contact in contacts:
        contacts_of.setdefault(_text(contact.get("COMPANY_ID")), []).append(contact)
    for position, company in enumerate(companies, start=1):
        company_id = _text(company.get("ID"))
        rq = requisite_of.get(company_id)
        rq_id = _text(rq.get("ID")) if rq else ""
        email = by_user.get(_text(company.get("ASSIGNED_BY_ID")), "")
        responsible = username_of(email) if (username_of and email) else ""
        card = card_from_portal(
            company, rq, bank_of.get(rq_id), address_of.get(rq_id), contacts_of.get(company_id, []), responsible
        )
        portal.rows.append(SourceRow(row=position, source_id=company_id, card=card))
    portal.calls = client.calls
    return portal


# --------------------------------------------------------------------------- export files

SOURCE_ID = "source_id"
"""The mapping target of the column holding the Bitrix24 id (not a card field)."""
CONTACT_TARGETS = ("contacts.name", "contacts.position", "contacts.phone", "contacts.email")
TARGETS: tuple[str, ...] = (
    SOURCE_ID,
    # the card's own fields, as its rule book names them; a portal has no «руководитель» of a card
    *(name for name in TEXT_FIELDS if name != "responsible_manager"),
    "created_on",
    *CONTACT_TARGETS,
)
"""What a column may be mapped to: Soglasie's card fields, one contact, and the Bitrix24 id."""

HEADER_NAMES: dict[str, tuple[str, ...]] = {
    SOURCE_ID: ("id", "ид", "идентификатор"),
    "name": ("название компании", "название", "company name", "name", "title", "company"),
    "kind": ("тип компании", "тип", "company type", "type"),
    "legal_form": ("организационно-правовая форма", "опф", "legal form"),
    "country": ("страна", "country"),
    "region": ("регион", "область", "region", "province", "state / province"),
    "city": ("город", "city"),
    "short_name": (
        "сокращенное наименование организации",
        "сокращённое наименование",
        "краткое наименование",
        "short name",
    ),
    "full_name": ("полное наименование организации", "полное наименование", "full name", "legal name"),
    "inn": ("инн", "inn", "tin", "tax id"),
    "kpp": ("кпп", "kpp"),
    "ogrn": ("огрн", "огрнип", "ogrn", "ogrnip"),
    "legal_address": ("юридический адрес", "legal address", "адрес", "address"),
    "bank_bik": ("бик", "bik", "bic"),
    "bank_name": ("наименование банка", "банк", "bank name", "bank"),
    "bank_account": ("расчетный счет", "расчётный счёт", "расч. счет", "р/с", "account number", "bank account"),
    "bank_corr_account": ("корреспондентский счет", "корр. счет", "кор. счет", "к/с", "correspondent account"),
    "responsible": ("ответственный", "responsible", "responsible person", "assigned to"),
    "created_on": ("дата создания", "created", "date created"),
    "contacts.name": ("контакт", "контакты", "contact", "contacts"),
}
"""Headers of a Bitrix24 export (Russian and English portals) and the field each one fills. The
company's own phone and e-mail are not proposed: the card keeps them only on a named contact."""


def _header_key(header: str) -> str:
    return re.sub(r"\s+", " ", header.replace("ё", "е").replace("Ё", "Е")).strip().casefold()


_BY_HEADER = {_header_key(name): target for target, names in HEADER_NAMES.items() for name in names}


@dataclass
class Table:
    """An export file as read: its headers and its data rows (text cells, padded to the headers)."""

    headers: list[str]
    rows: list[list[str]]


class FileError(Exception):
    """The file cannot be read as an export; `str()` says why."""


def read_export(name: str, data: bytes) -> Table:
    """An export of «Компании»: XLSX (first sheet) or CSV with `;` (or `,`) in UTF-8 or Windows-1251.

    The encoding is UTF-8 when the bytes decode as UTF-8 (a BOM or not), else Windows-1251, the
    Russian portals' default for CSV.
    """
    if name.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return _table(rows)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as failure:  # a fault boundary: openpyxl raises many kinds on a broken file
        raise FileError(_("Файл не читается как XLSX: %(reason)s") % {"reason": failure}) from None
    sheet = book.worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _table(rows)


def _table(rows: list[list[str]]) -> Table:
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise FileError(_("В файле нет строк: нужен экспорт «Компании» с заголовками в первой строке"))
    headers = [cell.strip() for cell in rows[0]]
    width = len(headers)
    body = [[cell.strip() for cell in (row + [""] * width)[:width]] for row in rows[1:]]
    return Table(headers=headers, rows=body)


def propose_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{header: target} for the headers this module recognises; the rest are left out (unknown),
    never guessed. A target is proposed once: the first header that names it wins."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = _BY_HEADER.get(_header_key(header))
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
    return mapping


def parse_mapping(pairs: Iterable[str], headers: list[str]) -> dict[str, str]:
    """`column=field` pairs of `--map` checked against the file's headers and the targets;
    `column=` leaves a column out. Raises FileError naming the wrong pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or column not in headers:
            raise FileError(_("--map %(pair)s: в файле нет столбца «%(column)s»") % {"pair": pair, "column": column})
        if target and target not in TARGETS:
            raise FileError(
                _("--map %(pair)s: нет поля «%(target)s»; поля: %(fields)s")
                % {"pair": pair, "target": target, "fields": ", ".join(TARGETS)}
            )
        mapping[column] = target
    return mapping


_KIND_WORDS = {
    "клиент": "client",
    "покупатель": "client",
    "customer": "client",
    "client": "client",
    "поставщик": "supplier",
    "supplier": "supplier",
    "партнер": "distributor",
    "partner": "distributor",
    "дистрибьютор": "distributor",
    "distributor": "distributor",
    "автосервис": "service",
    "service": "service",
    "другое": "other",
    "прочее": "other",
    "other": "other",
}


def cards_from_table(table: Table, mapping: Mapping[str, str]) -> list[SourceRow]:
    """The file's rows as cards by the confirmed mapping ({header: target}; "" or absent: left out).

    The company type and legal form are read as people write them («Клиент», «ООО»); the legal
    form, when no column holds it, follows from the name and the ИНН as for the portal.
    """
    index = {
        target: table.headers.index(header) for header, target in mapping.items() if target and header in table.headers
    }
    rows = []
    for number, cells in enumerate(table.rows, start=1):
        values = {target: cells[i] for target, i in index.items()}
        card: dict[str, Any] = {k: v for k, v in values.items() if k in TARGETS and "." not in k and k != SOURCE_ID}
        if "kind" in card:
            card["kind"] = _KIND_WORDS.get(card["kind"].casefold(), card["kind"])
        card["legal_form"] = guess_legal_form(
            explicit=values.get("legal_form", ""),
            name=values.get("short_name") or values.get("name", ""),
            inn=values.get("inn", ""),
        )
        card.setdefault("short_name", values.get("name", ""))
        card.setdefault("full_name", card["short_name"])
        contact = {t.split(".", 1)[1]: values[t] for t in CONTACT_TARGETS if values.get(t)}
        card["contacts"] = [contact] if contact else []
        card["documents"] = []
        rows.append(SourceRow(row=number, source_id=values.get(SOURCE_ID, ""), card=card))
    return rows
