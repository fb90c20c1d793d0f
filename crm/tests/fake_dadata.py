"""A fake DaData ``findById/party`` server on 127.0.0.1, started by the tests themselves (no network).

It answers by the ИНН asked about: :data:`ACTIVE` and :data:`LIQUIDATED` are companies,
:data:`MISSING` is not in the register, :data:`SLOW` answers only after the client gave up,
:data:`BROKEN` answers 500; :attr:`FakeDadata.status` forces an HTTP status (401, 403, 429) for
every request, and :attr:`FakeDadata.parties` may be changed by a test (a company renamed, moved
or liquidated between two checks). Every request is kept (headers and JSON body) so tests can
assert DaData's request shape.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crm.demo import inn10, ogrn13

ACTIVE = inn10("770811100")
LIQUIDATED = inn10("770811101")
MISSING = inn10("770811102")
SLOW = inn10("770811103")
BROKEN = inn10("770811104")
TOKEN = "test-token-0123456789"

#: 2024-03-15 00:00 Moscow (21:00 UTC the day before), as DaData writes dates: ms since 1970.
LIQUIDATION_MS = 1710450000000
ACTUALITY_MS = 1710450000000


def party(inn: str, *, kpp: str = "770801001", status: str = "ACTIVE", **name: str) -> dict[str, Any]:
    """One ``suggestions[]`` item as DaData returns it (the fields we read, and a few we do not)."""
    full = name.get("full", "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА»")
    short = name.get("short", "ООО «РОМАШКА»")
    address = name.get("address", "г Москва, ул Тверская, д 1")
    return {
        "value": short,
        "unrestricted_value": short,
        "data": {
            "inn": inn,
            "kpp": kpp,
            "ogrn": ogrn13("117774611100"),
            "type": "LEGAL",
            "branch_type": "MAIN",
            "opf": {"code": "12300", "full": "Общество с ограниченной ответственностью", "short": "ООО"},
            "name": {"full_with_opf": full, "short_with_opf": short, "full": "РОМАШКА", "short": "РОМАШКА"},
            "address": {
                "value": address,
                "unrestricted_value": "125009, " + address,
                "data": {"region": "Москва", "region_with_type": "г Москва", "city": "Москва"},
            },
            "state": {
                "status": status,
                "actuality_date": ACTUALITY_MS,
                "registration_date": 1029456000000,
                "liquidation_date": LIQUIDATION_MS if status == "LIQUIDATED" else None,
            },
            "management": {"name": "Иванов Иван Иванович", "post": "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР"},
        },
    }


class FakeDadata:
    """The running server: its ``url``, the answers it gives, the requests it got."""

    def __init__(self) -> None:
        self.parties: dict[str, dict[str, Any]] = {
            ACTIVE: party(ACTIVE),
            LIQUIDATED: party(LIQUIDATED, status="LIQUIDATED", full="ООО «ЛИКВИДИРОВАННАЯ»", short="ООО «ЛИК»"),
        }
        self.status: int | None = None
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/suggestions/api/4_1/rs/findById/party"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.headers.get("Authorization") != f"Token {TOKEN}":
                    return self._answer(401, {"detail": "Authentication credentials were not provided"})
                if fake.status is not None:
                    return self._answer(fake.status, {"detail": "forced"})
                inn = body.get("query")
                if inn == SLOW:
                    fake.release.wait(10)
                    return self._answer(200, {"suggestions": []})
                if inn == BROKEN:
                    return self._answer(500, {"detail": "Internal Server Error"})
                found = fake.parties.get(inn)
                if found and body.get("kpp") and found["data"]["kpp"] != body["kpp"]:
                    found = None  # DaData filters by the КПП it is given
                return self._answer(200, {"suggestions": [copy.deepcopy(found)] if found else []})

            def _answer(self, status: int, payload: Any) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the slow answer)

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dadata(settings: Any) -> Iterator[FakeDadata]:
    """The fake server, configured as the provider (a one-second timeout keeps the slow test short)."""
    fake = FakeDadata()
    fake.start()
    settings.COMPANY_LOOKUP_URL = fake.url
    settings.COMPANY_LOOKUP_TOKEN = TOKEN
    settings.COMPANY_LOOKUP_TIMEOUT = 1
    try:
        yield fake
    finally:
        fake.stop()
