"""The approval sheet: its text as a PDF viewer shows it (pdftotext), its pages as pictures
(pdftoppm), the same rows in the XLSX, and who may have it (API and page)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.tests.factories import deploy_counterparty_process, org_card
from engine import actions
from engine.models import Assignment, AssignmentStatus, Instance
from files import hooks as file_hooks
from files import services as file_services

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is missing (scripts/ensure-poppler)")

# Times in UTC; the sheet shows them in Moscow time (UTC+3).
STARTED = "2027-03-01 06:00:00+00:00"  # 09:00 MSK, a Monday


def _open(instance: Instance) -> Assignment:
    return Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)


@pytest.fixture
def approved(demo: dict[str, Any], time_machine: Any) -> Instance:
    """A counterparty card: submitted, sent back by the head of sales with a comment, revised,
    approved by both, with one document in two versions. Each step an hour after the last."""
    deploy_counterparty_process()
    time_machine.move_to(STARTED, tick=False)
    instance = actions.start("add_counterparty", by=demo["manager1"].user, variables={})
    steps = [
        ("manager1", {**org_card(), "action": "submit"}),
        ("sales_head", {"decision": "reject", "comment": "Проверьте реквизиты банка"}),
        ("manager1", {**org_card(), "action": "submit"}),
        ("sales_head", {"decision": "approve"}),
        ("findir", {"decision": "approve", "comment": "Лимит согласован"}),
    ]
    for hour, (who, data) in enumerate(steps, start=1):
        time_machine.move_to(f"2027-03-01 {6 + hour:02d}:00:00+00:00", tick=False)
        actions.complete(_open(instance).pk, by=demo[who].user, data=data)
    owner = file_hooks.owner("instance", instance.pk)
    for text in (b"%PDF-1.4 first", b"%PDF-1.4 second"):
        stored = file_services.store(text + b"\n%%EOF\n", by=demo["manager1"], name="Устав.pdf")
        file_services.attach([stored.pk], owner=owner, slot="charter", by=demo["manager1"], title="Устав")
    return Instance.objects.get(pk=instance.pk)


def _text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, timeout=60)
    return done.stdout.decode()


@needs_poppler
def test_the_pdf_says_who_decided_what_and_when_in_cyrillic(approved, demo, api_client, tmp_path):
    response = api_client("manager1").get(f"/api/v1/instances/{approved.pk}/sheet.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="sheet-{approved.pk}.pdf"' in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf  # the TrueType font travels inside
    text = _text(pdf, tmp_path)
    for expected in (
        "Лист согласования",
        "Добавление контрагента, версия 1",
        demo["manager1"].full_name,
        demo["sales_head"].full_name,
        demo["findir"].full_name,
        "Согласовать контрагента",  # the step (its title wraps in the narrow column)
        "На доработку",
        "Согласовать",
        "Проверьте реквизиты банка",
        "Лимит согласован",
        "Ромашка",  # the company the card created
        "01.03.2027 09:00",  # started, Moscow time
        "01.03.2027 10:00",  # the card submitted
        "01.03.2027 14:00",  # the finance director's approval
        hashlib.sha256(b"%PDF-1.4 second\n%%EOF\n").hexdigest(),
        hashlib.sha256(b"%PDF-1.4 first\n%%EOF\n").hexdigest(),
    ):
        assert expected in text, expected
    # One page for a five-step process, and it renders as a picture.
    pages = subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-", str(tmp_path / "page")], input=pdf, capture_output=True, timeout=60
    )
    assert pages.returncode == 0, pages.stderr
    rendered = sorted(tmp_path.glob("page*.png"))
    assert len(rendered) == 1 and rendered[0].read_bytes().startswith(b"\x89PNG")


def test_the_xlsx_holds_the_same_rows(approved, demo, api_client):
    response = api_client("manager1").get(f"/api/v1/instances/{approved.pk}/sheet.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    facts = dict(book["Лист согласования"].iter_rows(min_row=2, values_only=True))
    assert facts["Запустил"] == demo["manager1"].full_name
    assert facts["Процесс"] == "Добавление контрагента, версия 1"
    assert "Ромашка" in facts["Контрагент"]
    steps = list(book["Шаги"].iter_rows(values_only=True))
    assert steps[0][:5] == ("№", "Шаг", "Исполнитель", "Выполнил", "Итог")
    reject = steps[2]
    assert reject[1] == "Согласовать контрагента (руководитель)"
    assert reject[3] == demo["sales_head"].full_name
    assert reject[4:7] == ("На доработку", "Проверьте реквизиты банка", "01.03.2027 10:00")
    assert reject[7] == "01.03.2027 11:00" and reject[9] == "нет"
    assert [row[4] for row in steps[1:]] == [
        "Отправить на согласование",
        "На доработку",
        "Отправить на согласование",
        "Согласовать",
        "Согласовать",
    ]
    documents = list(book["Документы"].iter_rows(min_row=2, values_only=True))
    assert [(d[0], d[1], d[2]) for d in documents] == [("Устав", "1", "Устав.pdf"), ("Устав", "2", "Устав.pdf")]
    assert documents[1][3] == hashlib.sha256(b"%PDF-1.4 second\n%%EOF\n").hexdigest()


@needs_poppler
def test_without_documents_the_sheet_says_so_and_marks_a_late_step(processes, demo, api_client, time_machine, tmp_path):
    time_machine.move_to(STARTED, tick=False)
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    time_machine.move_to("2027-03-10 06:00:00+00:00", tick=False)  # past the P3D deadline
    text = _text(api_client("sales_head").get(f"/api/v1/instances/{instance.pk}/sheet.pdf").content, tmp_path)
    assert "Документов нет" in text and "Прикрепить документ на" in text
    row = next(line for line in text.splitlines() if "04.03.2027 09:00" in line)  # due, in Moscow time
    assert demo["sales_head"].full_name in row and "открыто" in row
    assert row.rstrip().endswith("да")  # late


def test_another_departments_employee_gets_404_and_so_does_a_missing_instance(approved, api_client, login):
    # The accountant (finance service, under the finance director) took no part in the card.
    for path in ("sheet.pdf", "sheet.xlsx"):
        assert api_client("accountant").get(f"/api/v1/instances/{approved.pk}/{path}").status_code == 404
        assert api_client("manager1").get(f"/api/v1/instances/999999/{path}").status_code == 404
        assert login("accountant").get(f"/instances/{approved.pk}/{path}").status_code == 404


def test_the_instance_page_links_the_sheet_and_serves_it_to_a_session(approved, login):
    client = login("sales_head")
    page = client.get(f"/instances/{approved.pk}/").content.decode()
    for kind in ("pdf", "xlsx"):
        assert f'href="/instances/{approved.pk}/sheet.{kind}"' in page
    pdf = client.get(f"/instances/{approved.pk}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    xlsx = client.get(f"/instances/{approved.pk}/sheet.xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content))["Шаги"].max_row == 6


def test_a_substitutes_step_says_instead_of_whom(processes, demo):
    from engine.definitions import model_for
    from reports import sheet

    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    step = instance.assignments.get()
    actions.complete(step.pk, by=demo["sales_head"].user, data={"document_url": "https://d.example/1"})
    step.refresh_from_db()
    step.instead_of = demo["manager1"]  # as absences set it on an assignment given to a substitute
    row = sheet._step(1, step, model_for(instance.process), step.completed_at)
    expected = f"{demo['sales_head'].full_name} (вместо {demo['manager1'].full_name})"
    assert row.assignee == expected and row.completed_by == expected
    assert row.outcome == "выполнено" and row.late == "нет"
