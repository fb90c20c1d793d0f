"""The import from Bitrix24: a fake portal on loopback (paging, batch, one rate-limit answer), export
files in both encodings and XLSX, the command's reports, its refusals, and the page «Импорт»."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from crm import bitrix24
from crm.models import ChangeSource, Company, CompanyChange, ImportRun
from crm.tests.fake_bitrix24 import FakePortal, company_fixture, inn10
from org.models import Employee

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_waiting(settings: Any) -> None:
    """The portal's limit is 2 calls a second; the fake has none, and the tests do not wait."""
    settings.BITRIX24_RATE = 10_000
    settings.BITRIX24_RETRY_WAIT = 0


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    fake = FakePortal(company_fixture(60))
    yield fake
    fake.close()


def run_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("import_bitrix24", *args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


# --------------------------------------------------------------------------- the client


def test_the_rate_limiter_waits_on_its_own_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = bitrix24.RateLimiter(2.0, 2, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        limiter.wait()
    assert slept == [0.5, 0.5, 0.5, 0.5]


def test_php_query_nests_like_php() -> None:
    pairs = bitrix24.php_query({"filter": {"ENTITY_TYPE_ID": 4}, "select": ["ID", "TITLE"], "start": 50})
    assert pairs == [("filter[ENTITY_TYPE_ID]", "4"), ("select[0]", "ID"), ("select[1]", "TITLE"), ("start", "50")]


def test_the_portal_is_read_in_pages_and_batches_and_waits_out_the_limit(portal: FakePortal) -> None:
    client = bitrix24.Client(portal.url)
    read = bitrix24.fetch_portal(client)
    assert [row.source_id for row in read.rows] == [str(n) for n in range(1, 61)]
    assert "batch" in portal.calls  # the second page of 50 came through batch
    assert portal.calls.count("crm.requisite.list") == 2  # QUERY_LIMIT_EXCEEDED once, then again
    card = read.rows[0].card
    assert card["inn"] == inn10(1) and card["kpp"] == "773601001" and card["legal_form"] == "ooo"
    assert card["city"] == "Москва" and card["legal_address"].startswith("101000, Москва")
    assert card["contacts"] == [
        {"name": "Петров Иван", "position": "директор", "phone": "+7 495 123-45-67", "email": ""}
    ]


# --------------------------------------------------------------------------- the command, webhook


def test_a_dry_run_writes_nothing_and_names_the_refused_fields(demo: Any, portal: FakePortal) -> None:
    before = Company.objects.count()
    report = run_json("--webhook", portal.url)
    assert Company.objects.count() == before
    assert report["read"] == 60
    assert report["created"] == 58 and report["updated"] == report["unchanged"] == 0
    assert report["valid"] == 58
    assert report["invalid"] == [{"row": 2, "source_id": "2", "errors": {"inn": ["Неверное контрольное число ИНН"]}}]
    [duplicate] = report["duplicates"]
    assert duplicate["row"] == 3 and duplicate["source_id"] == "3"
    assert duplicate["company"]["row"] == 1 and duplicate["company"]["source_id"] == "1"


def test_commit_creates_cards_with_history_and_a_second_run_creates_nothing(demo: Any, portal: FakePortal) -> None:
    first = run_json("--webhook", portal.url, "--commit")
    assert first["created"] == 58
    company = Company.objects.get(bitrix24_id="1")
    assert company.inn == inn10(1) and company.contacts.get().name == "Петров Иван"
    change = CompanyChange.objects.get(company=company)
    assert change.source == ChangeSource.BITRIX24 and change.get_source_display() == "импорт из Битрикс24"
    assert change.action == "created"
    count = Company.objects.count()

    second = run_json("--webhook", portal.url, "--commit")
    assert Company.objects.count() == count
    assert second["created"] == 0 and second["updated"] == 0 and second["unchanged"] == 58

    portal.data["crm.company.list"][0]["TITLE"] = "ООО «Компания 1 Плюс»"
    third = run_json("--webhook", portal.url, "--commit")
    assert third["updated"] == 1 and third["created"] == 0
    company.refresh_from_db()
    assert company.name == "ООО «Компания 1 Плюс»"
    assert company.changes.filter(action="updated", source=ChangeSource.BITRIX24).count() == 1


def test_users_become_inactive_employees_by_email(demo: Any, portal: FakePortal) -> None:
    out = io.StringIO()
    call_command("import_bitrix24", "--webhook", portal.url, "--users", "--commit", stdout=out)
    new = Employee.objects.get(user__email="new.person@example.com")
    assert not new.is_active and not new.user.is_active and new.full_name == "Сотрудник Новый"
    assert Employee.objects.filter(user__email="new.person@example.com").count() == 1


@pytest.mark.parametrize(
    ("mode", "url_suffix", "sentence"),
    [
        ("revoked", "", "не принял вебхук (expired_token)"),
        ("down", "", "не работает (ошибка 502)"),
        ("ok", "wrong", "отвечает не REST Битрикс24"),
    ],
)
def test_a_bad_portal_is_one_sentence_and_a_non_zero_exit(
    db: Any, portal: FakePortal, mode: str, url_suffix: str, sentence: str
) -> None:
    portal.mode = mode
    url = portal.url.replace("/rest/1/", "/rest/1/x") if url_suffix else portal.url
    if url_suffix:
        url = portal.url.replace("/rest/", "/api/rest/")
    with pytest.raises(CommandError, match=re.escape(sentence)):
        call_command("import_bitrix24", "--webhook", url, stdout=io.StringIO())


def test_a_portal_that_does_not_answer(db: Any, manage_py: Any, tmp_path: Path) -> None:
    import os
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "SOGLASIE_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    done = manage_py("import_bitrix24", "--webhook", f"http://127.0.0.1:{port}/rest/1/key/", env=env)
    assert done.returncode == 1
    assert "не отвечает" in done.stderr and "Traceback" not in done.stderr


# --------------------------------------------------------------------------- export files

HEADERS = ["ID", "Название компании", "Тип компании", "ИНН", "КПП", "Юридический адрес", "Город", "Регион", "Сайт"]


def export_rows() -> list[list[str]]:
    rows = []
    for n in range(1, 6):
        inn = inn10(n) if n != 2 else inn10(2)[:-1] + str((int(inn10(2)[-1]) + 1) % 10)
        rows.append([str(n), f"ООО «Файл {n}»", "Клиент", inn, "773601001", "Москва, ул. Ленина, 1", "Москва",
                     "Москва", "https://example.ru"])  # fmt: skip
    rows.append(["6", "ООО «Файл 1»", "Клиент", inn10(1), "773601001", "Москва", "Москва", "Москва", ""])
    return rows


def write_csv(path: Path, encoding: str) -> Path:
    text = "\r\n".join(";".join(row) for row in [HEADERS, *export_rows()]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    for row in [HEADERS, *export_rows()]:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["cp1251", "utf-8-sig", "xlsx"])
def test_an_export_file_in_each_encoding(demo: Any, tmp_path: Path, kind: str) -> None:
    path = write_xlsx(tmp_path / "companies.xlsx") if kind == "xlsx" else write_csv(tmp_path / "c.csv", kind)
    err = io.StringIO()
    out = io.StringIO()
    call_command("import_bitrix24", "--file", str(path), "--json", stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    assert "«Сайт»" in err.getvalue()  # the unknown column is reported, not guessed
    assert report["read"] == 6 and report["created"] == 4
    assert [item["row"] for item in report["invalid"]] == [2]
    assert "inn" in report["invalid"][0]["errors"]
    assert [item["row"] for item in report["duplicates"]] == [6]
    assert not Company.objects.filter(bitrix24_id__isnull=False).exists()

    run_json("--file", str(path), "--commit")
    assert Company.objects.filter(bitrix24_id__isnull=False).count() == 4
    assert run_json("--file", str(path), "--commit")["created"] == 0


def test_map_changes_a_column_and_refuses_an_unknown_field(demo: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", "utf-8")
    report = run_json("--file", str(path), "--map", "Город=", "--map", "Сайт=business_group")
    assert all("city" in item["errors"] for item in report["invalid"])
    with pytest.raises(CommandError, match="нет поля «website»"):
        call_command("import_bitrix24", "--file", str(path), "--map", "Сайт=website", stdout=io.StringIO())
    with pytest.raises(CommandError, match="нет столбца «Нет такого»"):
        call_command("import_bitrix24", "--file", str(path), "--map", "Нет такого=name", stdout=io.StringIO())


def test_the_proposed_mapping_knows_english_headers() -> None:
    mapping = bitrix24.propose_mapping(["ID", "Company name", "Company type", "TIN", "Legal address", "Web site"])
    assert mapping == {"ID": "source_id", "Company name": "name", "Company type": "kind", "TIN": "inn",
                       "Legal address": "legal_address"}  # fmt: skip


# --------------------------------------------------------------------------- the page


def test_the_page_is_for_administrators_only(demo: Any, login: Any) -> None:
    assert login("manager1").get("/companies/import/").status_code == 403
    assert login("manager1").post("/companies/import/", {"webhook": "x"}).status_code == 403
    assert login("admin").get("/companies/import/").status_code == 200
    assert "/companies/import/" in login("admin").get("/companies/").content.decode()
    assert "/companies/import/" not in login("manager1").get("/companies/").content.decode()


def test_the_page_needs_csrf(demo: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.login(username="admin", password="demo")
    assert client.post("/companies/import/", {"webhook": "https://a.bitrix24.ru/rest/1/k/"}).status_code == 403
    assert not ImportRun.objects.exists()


def test_the_page_shows_the_mapping_checks_then_imports(demo: Any, login: Any, tmp_path: Path) -> None:
    admin = login("admin")
    path = write_csv(tmp_path / "c.csv", "cp1251")
    with path.open("rb") as upload:
        answer = admin.post("/companies/import/", {"file": upload})
    run = ImportRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == run.get_absolute_url()
    page = admin.get(run.get_absolute_url()).content.decode()
    assert "«Сайт»" in page and 'value="inn" selected' in page
    columns = {f"column-{i}": run.mapping.get(h, "") for i, h in enumerate(HEADERS)}

    admin.post(run.get_absolute_url(), {**columns, "action": "check"})
    run.refresh_from_db()
    assert run.status == "done" and run.report["created"] == 4 and not run.report["commit"]
    assert not Company.objects.filter(bitrix24_id__isnull=False).exists()
    page = admin.get(run.get_absolute_url()).content.decode()
    assert "Проверка: ничего не записано" in page and "Неверное контрольное число ИНН" in page

    admin.post(run.get_absolute_url(), {**columns, "action": "commit"})
    run.refresh_from_db()
    assert run.report["created"] == 4 and run.report["commit"]
    company = Company.objects.get(bitrix24_id="1")
    assert company.changes.get().actor == demo["admin"]
    assert "импорт из Битрикс24" in admin.get(company.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_import_from_the_page_runs_in_its_thread_with_progress(
    demo: Any, login: Any, portal: FakePortal
) -> None:
    """A webhook (or a long file) runs in a thread of the web process: the page answers at once, the
    progress poll reads the run's row, and the report is there when the thread is done."""
    import threading

    from crm.import_views import thread_name

    admin = login("admin")
    answer = admin.post("/companies/import/", {"webhook": portal.url})
    run = ImportRun.objects.get()
    assert answer.status_code == 302
    assert admin.post(run.get_absolute_url(), {"action": "commit"}).status_code == 302
    for thread in [t for t in threading.enumerate() if t.name == thread_name(run.pk)]:
        thread.join(timeout=60)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.error
    assert run.report["commit"] and run.report["created"] > 0 and run.webhook == ""
    assert run.done == run.total > 0
    finished = admin.get(f"{run.get_absolute_url()}progress/")
    assert finished["HX-Redirect"] == run.get_absolute_url()
    assert Company.objects.filter(bitrix24_id__isnull=False).count() == run.report["created"]
