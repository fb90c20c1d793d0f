"""The «Показатели» page, its exports, the baseline form and GET /api/v1/analytics, by persona."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from analytics import figures
from analytics.models import Baseline
from analytics.tests.history import Walk, approval_history
from org.models import Employee

ALLOWED = ["director", "findir", "sales_head", "admin"]
REFUSED = ["manager1", "sales_admin", "accountant"]
APRIL_QUERY = "from=2026-04-01&to=2026-04-30"


@pytest.fixture
def history(processes, demo, time_machine):
    approval_history(Walk(demo, time_machine))
    time_machine.move_to("2026-04-30T12:00:00+00:00", tick=False)


@pytest.mark.parametrize("username", ALLOWED)
def test_the_api_answers_the_contract_shape_for_those_allowed(history, api_client, username):
    response = api_client(username).get(f"/api/v1/analytics?{APRIL_QUERY}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {
        "period",
        "processes",
        "assignments",
        "cards",
        "orphans",
        "baseline",
        "vs_baseline",
    }
    assert body["period"] == {"from": "2026-04-01", "to": "2026-04-30"}
    row = next(p for p in body["processes"] if p["process"] == "t_approval")
    assert set(row) >= {"process", "started", "finished", "outcomes", "cycle_hours", "steps", "rework_rate"}
    assert row["cycle_hours"] == {"median": 30.0, "p90": 152.0}
    assert set(row["steps"][0]) >= {"key", "median_hours", "p90_hours", "count"}
    assert set(body["assignments"]) >= {"completed", "completed_late", "overdue_share", "open_overdue"}
    assert set(body["cards"]) >= {"submitted", "returned_for_changes", "errors_caught_at_entry"}
    assert (body["orphans"]["assignments"], body["orphans"]["instances"]) == (0, 0)
    assert body == figures.compute(date(2026, 4, 1), date(2026, 4, 30)) | {"generated_at": body["generated_at"]}


@pytest.mark.parametrize("username", [*REFUSED, "outsider"])
def test_the_api_refuses_everyone_else(demo, outsider, api_client, username):
    response = api_client(username).get("/api/v1/analytics")
    assert response.status_code == 403
    assert "detail" in response.json()


def test_the_api_needs_authentication(demo):
    from django.test import Client

    assert Client().get("/api/v1/analytics").status_code == 401


def test_the_api_default_period_is_the_last_90_days(history, api_client):
    body = api_client("director").get("/api/v1/analytics").json()
    assert body["period"] == {"from": "2026-01-31", "to": "2026-04-30"}


def test_the_api_filters_and_names_the_field_it_refuses(history, api_client):
    client = api_client("director")
    only = client.get(f"/api/v1/analytics?{APRIL_QUERY}&process=t_parallel").json()
    assert [p["process"] for p in only["processes"]] == ["t_parallel"]
    response = client.get("/api/v1/analytics?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400 and "to" in response.json()["errors"]
    response = client.get("/api/v1/analytics?process=nope")
    assert response.status_code == 400 and "process" in response.json()["errors"]
    response = client.get("/api/v1/analytics?from=yesterday")
    assert response.status_code == 400 and "from" in response.json()["errors"]


@pytest.mark.parametrize("username", ALLOWED)
def test_the_page_shows_figures_and_charts(history, login, username):
    response = login(username).get(f"/analytics/?{APRIL_QUERY}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Показатели" in page and "Тестовое согласование" in page
    assert page.count("<svg") >= 2  # process durations and the steps of t_approval
    assert "Брошенных заданий и зависших процессов нет" in page
    assert "Тревога" not in page


@pytest.mark.parametrize("username", REFUSED)
def test_the_page_and_exports_refuse_everyone_else(demo, login, username):
    client = login(username)
    assert client.get("/analytics/").status_code == 403
    assert client.get("/analytics/export.csv").status_code == 403
    assert client.get("/analytics/export.xlsx").status_code == 403


def test_the_page_raises_the_alarm_for_orphans(history, demo, login):
    Employee.objects.filter(pk=demo["sales_head"].pk).update(is_active=False)
    page = login("director").get("/analytics/").content.decode()
    assert "Тревога" in page and "неактивному сотруднику" in page


def test_htmx_filter_renders_only_the_figures(history, login):
    response = login("director").get(f"/analytics/?{APRIL_QUERY}", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<div id="figures">')
    assert "<html" not in page


def test_a_bad_filter_is_shown_on_the_field(history, login):
    response = login("director").get("/analytics/?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 200
    assert "Конец периода раньше его начала" in response.content.decode()
    assert login("director").get("/analytics/export.csv?process=nope").status_code == 400


def test_xlsx_export_holds_the_same_figures(history, login):
    response = login("findir").get(f"/analytics/export.xlsx?{APRIL_QUERY}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="figures_2026-04-01_2026-04-30.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Сводка", "Процессы", "Шаги"]
    summary = {row[0]: row[1] for row in book["Сводка"].iter_rows(min_row=2, values_only=True)}
    assert summary["Заданий выполнено"] == 9 and summary["Выполнено с опозданием"] == 1
    processes = list(book["Процессы"].iter_rows(min_row=2, values_only=True))
    approval = next(r for r in processes if r[0] == "t_approval")
    assert approval[5:7] == (30, 152)
    steps = [r for r in book["Шаги"].iter_rows(min_row=2, values_only=True) if r[0] == "t_approval"]
    assert [(r[1], r[3], r[5], r[6]) for r in steps] == [
        ("attach", 3, 10, 80),
        ("approve_doc", 5, 13.5, 72),
        ("revise", 1, 24, 24),
    ]


def test_csv_export_opens_in_a_russian_excel(history, login):
    response = login("sales_head").get(f"/analytics/export.csv?{APRIL_QUERY}&process=t_approval")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert ["Заданий выполнено", "9"] in rows
    assert ["t_approval", "approve_doc", "Согласовать документ", "5", "0", "13.5", "72.0"] in rows


def test_administrator_enters_the_baseline_and_sees_the_ratios(history, login):
    admin = login("admin")
    assert 'id="baseline-form"' in admin.get("/analytics/").content.decode()
    data = {
        "avg_approval_days": "7",
        "overdue_share_pct": "30",
        "card_error_rate_pct": "20",
        "manual_minutes_per_approval": "45",
        "query": APRIL_QUERY,
    }
    response = admin.post("/analytics/baseline/", data)
    assert response.status_code == 302 and response["Location"] == f"/analytics/?{APRIL_QUERY}"
    saved = Baseline.load()
    assert saved.avg_approval_days == Decimal("7") and saved.updated_by.username == "admin"
    page = admin.get(f"/analytics/?{APRIL_QUERY}").content.decode()
    assert "Согласование в 2,9 раза быстрее" in page
    assert "Просроченных заданий в 2,7 раза меньше" in page
    assert "Сэкономлено 3 ч ручной работы в месяц" in page  # one number format: no «,0» (issue 17)
    assert "Как посчитано" in page
    bad = admin.post("/analytics/baseline/", {**data, "overdue_share_pct": "130"})
    assert bad.status_code == 400 and "overdue_share_pct" in bad.context["baseline_form"].errors
    assert Baseline.load().overdue_share_pct == Decimal("30")


def test_only_administrators_change_the_baseline(history, login):
    director = login("director")
    assert 'id="baseline-form"' not in director.get("/analytics/").content.decode()
    data = {
        "avg_approval_days": "1",
        "overdue_share_pct": "1",
        "card_error_rate_pct": "1",
        "manual_minutes_per_approval": "1",
    }
    assert director.post("/analytics/baseline/", data).status_code == 403
    assert Baseline.load() is None


def test_the_page_makes_the_same_queries_for_more_data(processes, demo, login, time_machine):
    client = login("director")
    url = f"/analytics/?{APRIL_QUERY}"
    client.get(url)  # the process files are parsed once
    with CaptureQueriesContext(connection) as empty:
        assert client.get(url).status_code == 200
    approval_history(Walk(demo, time_machine))
    with CaptureQueriesContext(connection) as full:
        assert client.get(url).status_code == 200
    assert len(full.captured_queries) == len(empty.captured_queries) < 30
