"""The integrity check: ``manage.py verify_files`` re-hashes every stored file, names the missing and
changed ones and exits non-zero; the figures show what it last found (``documents``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics import figures
from base import clock
from files import hooks
from files.models import CheckResult, StoredFile
from files.services import attach, integrity

CHECKED = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def _verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        with clock.frozen(CHECKED):
            call_command("verify_files", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def three(demo, upload):
    """Three versions of a contract, stored and attached."""
    owner = hooks.owner("company", 3)
    files = [upload("manager1", f"редакция {n}".encode(), f"Договор v{n}.pdf") for n in (1, 2, 3)]
    for stored in files:
        attach([stored.pk], owner=owner, slot="documents.0", by=demo["manager1"])
    return [StoredFile.objects.get(pk=f.pk) for f in files]


def test_all_files_intact_exits_0_and_the_figures_say_so(three):
    assert integrity() == {"stored": 3, "missing": 0, "changed": 0, "unchecked": 3, "checked_at": None}
    code, said = _verify()
    assert code == 0 and "Проверено файлов: 3; нет в хранилище: 0; изменилось содержимое: 0." in said
    assert integrity() == {"stored": 3, "missing": 0, "changed": 0, "unchecked": 0, "checked_at": CHECKED}
    assert set(StoredFile.objects.values_list("check_result", flat=True)) == {CheckResult.OK}


def test_a_missing_and_a_changed_file_are_named_and_the_exit_code_says_so(three, storage_dir):
    deleted, tampered, intact = three
    (storage_dir / deleted.storage_name).unlink()
    (storage_dir / tampered.storage_name).write_bytes("редакция 9".encode())  # the same size, other bytes

    code, said = _verify()
    assert code == 1
    assert f"Файл №{deleted.pk} «Договор v1.pdf» (company:3, documents.0, версия 1): нет в хранилище." in said
    assert f"Файл №{tampered.pk} «Договор v2.pdf» (company:3, documents.0, версия 2): содержимое изменилось" in said
    assert f"№{intact.pk}" not in said
    assert "нет в хранилище: 1; изменилось содержимое: 1." in said
    assert integrity() | {"checked_at": None} == {
        "stored": 3,
        "missing": 1,
        "changed": 1,
        "unchecked": 0,
        "checked_at": None,
    }

    # The figures count rows and read the last check: no file is read on a page view.
    (storage_dir / intact.storage_name).unlink()
    shown = figures.compute()["documents"]
    assert shown == {"stored": 3, "missing": 1, "changed": 1, "unchecked": 0, "checked_at": CHECKED.isoformat()}
    # Restored from a backup: the next run finds it whole again.
    (storage_dir / tampered.storage_name).write_bytes("редакция 2".encode())
    code, said = _verify()
    assert code == 1 and integrity()["missing"] == 2 and integrity()["changed"] == 0


def test_an_unused_upload_is_checked_too(demo, upload, storage_dir):
    stored = upload("manager2", b"draft", "черновик.txt")
    (storage_dir / stored.storage_name).unlink()
    code, said = _verify()
    assert code == 1 and f"Файл №{stored.pk} «черновик.txt» (ещё не приложен): нет в хранилище." in said


def test_the_figures_page_and_api_show_the_documents(three, storage_dir, login, api_client):
    body = api_client("director").get("/api/v1/analytics").json()
    assert body["documents"] == {"stored": 3, "missing": 0, "changed": 0, "unchecked": 3, "checked_at": None}
    page = login("director").get("/analytics/").content.decode()
    assert "Хранится 3 файл" in page and "потерянных и изменённых нет." in page  # «файла» once ru counts it
    assert "Файлы ещё не проверялись" in page

    (storage_dir / three[0].storage_name).unlink()
    _verify()
    assert api_client("director").get("/api/v1/analytics").json()["documents"]["missing"] == 1
    page = login("director").get("/analytics/").content.decode()
    assert "Тревога: документы повреждены или потеряны" in page
    assert "Нет в хранилище: 1; содержимое изменилось: 0." in page
    assert "Проверено 01.06.2026" in page  # one date format per locale (дд.мм.гггг)
