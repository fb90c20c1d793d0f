"""A small fake Bitrix24 portal: a real HTTP server on 127.0.0.1 answering the REST methods the
import calls, from fixture data, with the portal's paging (50 a page, `next`, `total`), `batch`
with PHP-style command strings, a page that answers `QUERY_LIMIT_EXCEEDED` once, and switches for
a revoked webhook and a portal that is down."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "s3cr3t"


def inn10(n: int) -> str:
    """A valid 10-digit ИНН of an organisation, one per number."""
    digits = f"50{n:07d}"
    control = sum(int(d) * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8), strict=True)) % 11 % 10
    return digits + str(control)


def company_fixture(count: int = 60) -> dict[str, list[dict[str, Any]]]:
    """`count` companies (more than a page), their requisites, bank details, legal addresses, a
    contact each and two users; company 2 has a broken ИНН, company 3 the ИНН+КПП of company 1."""
    companies, requisites, banks, addresses, contacts = [], [], [], [], []
    for n in range(1, count + 1):
        inn = inn10(n)
        if n == 2:
            inn = inn[:-1] + str((int(inn[-1]) + 1) % 10)
        if n == 3:
            inn = inn10(1)
        companies.append(
            {
                "ID": str(n),
                "TITLE": f"ООО «Компания {n}»",
                "COMPANY_TYPE": "CUSTOMER",
                "INDUSTRY": "IT",
                "PHONE": [{"ID": "1", "TYPE_ID": "PHONE", "VALUE": "+7 495 000-00-00", "VALUE_TYPE": "WORK"}],
                "EMAIL": [],
                "ASSIGNED_BY_ID": "1",
            }
        )
        requisites.append(
            {
                "ID": str(100 + n),
                "ENTITY_TYPE_ID": "4",
                "ENTITY_ID": str(n),
                "PRESET_ID": "1",
                "RQ_INN": inn,
                "RQ_KPP": "773601001",
                "RQ_OGRN": "",
                "RQ_OGRNIP": "",
                "RQ_COMPANY_NAME": f"ООО «Компания {n}»",
                "RQ_COMPANY_FULL_NAME": f"Общество с ограниченной ответственностью «Компания {n}»",
            }
        )
        addresses.append(
            {
                "TYPE_ID": "6",
                "ENTITY_TYPE_ID": "8",
                "ENTITY_ID": str(100 + n),
                "ADDRESS_1": "ул. Ленина, 1",
                "ADDRESS_2": "",
                "CITY": "Москва",
                "POSTAL_CODE": "101000",
                "PROVINCE": "Москва",
                "COUNTRY": "Россия",
            }
        )
        contacts.append(
            {
                "ID": str(500 + n),
                "COMPANY_ID": str(n),
                "NAME": "Иван",
                "SECOND_NAME": "",
                "LAST_NAME": "Петров",
                "POST": "директор",
                "PHONE": [{"VALUE": "+7 495 123-45-67", "TYPE_ID": "PHONE"}],
                "EMAIL": [],
            }
        )
    banks.append(
        {"ID": "900", "ENTITY_ID": "101", "RQ_BIK": "", "RQ_ACC_NUM": "", "RQ_COR_ACC_NUM": "", "RQ_BANK_NAME": ""}
    )
    users = [
        {"ID": "1", "EMAIL": "manager1@example.com", "NAME": "Мария", "LAST_NAME": "Иванова", "ACTIVE": True},
        {"ID": "2", "EMAIL": "new.person@example.com", "NAME": "Новый", "LAST_NAME": "Сотрудник", "ACTIVE": True},
    ]
    return {
        "crm.company.list": companies,
        "crm.requisite.list": requisites,
        "crm.requisite.bankdetail.list": banks,
        "crm.address.list": addresses,
        "crm.contact.list": contacts,
        "user.get": users,
    }


def php_parse(query: str) -> dict[str, Any]:
    """The nested parameters of a PHP query string (`filter[A]=1&select[0]=ID`)."""
    out: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakePortal:
    """The portal: `url` is its webhook; `mode` "ok", "revoked" or "down"; `calls` the methods asked."""

    def __init__(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.data = data
        self.mode = "ok"
        self.calls: list[str] = []
        self.limited_once = False
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = json.loads(self.rfile.read(length) or b"{}")
                status, body = portal.answer(self.path, params)
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/rest/1/{SECRET}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        match = re.fullmatch(r"/rest/1/([^/]+)/(.+)\.json", path)
        if self.mode == "down":
            return 502, b"<html>Bad Gateway</html>"
        if match is None:
            return 404, {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
        if match.group(1) != SECRET or self.mode == "revoked":
            return 401, {"error": "expired_token", "error_description": "The access token provided has expired."}
        method = match.group(2)
        self.calls.append(method)
        if method == "batch":
            results, totals, nexts = {}, {}, {}
            for key, command in params.get("cmd", {}).items():
                name, _sep, query = command.partition("?")
                page = self.page(name, php_parse(query))
                results[key], totals[key] = page["result"], page["total"]
                if "next" in page:
                    nexts[key] = page["next"]
            body = {"result_error": [], "result": results, "result_total": totals, "result_next": nexts}
            return 200, {"result": body, "time": {}}
        if method not in self.data:
            return 404, {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
        if method == "crm.requisite.list" and not self.limited_once:
            self.limited_once = True
            return 503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
        return 200, self.page(method, params)

    def page(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        rows = self.data[method]
        for key, value in (params.get("filter") or {}).items():
            rows = [row for row in rows if str(row.get(key)) == str(value)]
        start = int(params.get("start") or 0)
        page = rows[start : start + 50]
        answer: dict[str, Any] = {"result": page, "total": len(rows), "time": {}}
        if start + 50 < len(rows):
            answer["next"] = start + 50
        return answer
