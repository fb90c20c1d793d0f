"""Stored titles such as «… на 2027-Q1» read in words wherever a person sees them (issue 17).

Titles are stored as rendered at the start (an ISO quarter inside); the task pages, the company card,
the approval sheet and the assignments' XLSX show them through the display layer (``base.words``).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.models import Company
from engine import actions
from engine.models import Instance
from engine.queries import AssignmentFilter
from reports import assignments, sheet
from tasks.models import Task

TITLE = "Подпишите соглашения на 2027-Q1"
IN_WORDS = "Подпишите соглашения на I квартал 2027 г."


@pytest.fixture
def instance(demo: dict[str, Any], processes: Any) -> Instance:
    """A running instance whose step is a task, titled with an ISO quarter inside."""
    started = actions.start("t_task_step", by=demo["manager1"].user)
    Instance.objects.filter(pk=started.pk).update(title=TITLE)
    return Instance.objects.get(pk=started.pk)


def test_the_task_pages_name_the_process_in_words(instance: Instance, login: Any) -> None:
    task = Task.objects.get(instance=instance)
    for url in (f"/tasks/{task.pk}/", "/tasks/?tab=all"):
        page = login("director").get(url).content.decode()
        assert IN_WORDS in page and "2027-Q1" not in page, url


def test_the_company_card_names_its_process_in_words(instance: Instance, demo: dict[str, Any], login: Any) -> None:
    company = Company.objects.create(
        inn="7707083893", kpp="770701001", responsible=demo["manager1"], name="Ромашка", kind="client",
        legal_form="ooo", city="Москва", created_by_instance=instance,
    )
    page = login("manager1").get(f"/companies/{company.pk}/").content.decode()
    assert IN_WORDS in page and "2027-Q1" not in page


def test_the_sheet_and_the_assignments_file_speak_in_words(demo: dict[str, Any], processes: Any) -> None:
    started = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    Instance.objects.filter(pk=started.pk).update(title="Тестовое согласование на 2027-Q1")
    approval = Instance.objects.get(pk=started.pk)
    built = sheet.build(approval)
    assert f"№ {approval.pk} — Тестовое согласование на I квартал 2027 г." in dict(built.facts).values()
    assert [step.title for step in built.steps] == ["Прикрепить документ на I квартал 2027 г."]
    book = load_workbook(io.BytesIO(assignments.export(demo["sales_head"].user, AssignmentFilter(assignee="me"))))
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    # the process's name is not repeated in front of a title that begins with it
    assert rows[0][:2] == ("Прикрепить документ на I квартал 2027 г.", "Тестовое согласование на I квартал 2027 г.")
