"""The card's documents through the API (issue 14 point 3): rows with kind, title, link and file in
(a stored file's id from ``POST /files``) and out (``{"id", "name", "size", "sha256", "version",
"download"}`` or null); refusals are 4xx with a sentence on the row's field, never a 500."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.demo import inn10
from crm.models import Company
from crm.tests.factories import org_card

PDF = b"%PDF-1.4 the bank's letter"


def _post(client, path: str, body: dict[str, Any]):
    return client.post(path, body, content_type="application/json")


def _upload(client, content: bytes = PDF, name: str = "Письмо банка.pdf") -> dict[str, Any]:
    response = client.post("/api/v1/files", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_company_posted_with_a_file_row_answers_its_own_version_and_the_link_rows(demo, api_client):
    admin = api_client("admin")
    uploaded = _upload(admin)
    rows = [
        {"kind": "bank_letter", "title": "Письмо Сбербанка", "file": uploaded["id"]},
        {"kind": "contract", "title": "Договор поставки", "url": "https://docs.example/contract"},
        {"title": "Сайт", "url": "https://romashka.example"},  # no kind: «Другое»
    ]
    created = _post(admin, "/api/v1/companies", org_card(documents=rows))
    assert created.status_code == 201, created.content
    expected_file = {
        "id": uploaded["id"],
        "name": "Письмо банка.pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "version": 1,
        "download": f"/api/v1/files/{uploaded['id']}/download",
    }
    expected = [
        {"kind": "bank_letter", "title": "Письмо Сбербанка", "url": "", "file": expected_file},
        {"kind": "contract", "title": "Договор поставки", "url": "https://docs.example/contract", "file": None},
        {"kind": "other", "title": "Сайт", "url": "https://romashka.example", "file": None},
    ]
    assert created.json()["documents"] == expected
    company = Company.objects.get(pk=created.json()["id"])
    detail = api_client("manager2").get(f"/api/v1/companies/{company.pk}")
    assert detail.status_code == 200 and detail.json()["documents"] == expected
    listed = api_client("manager2").get("/api/v1/companies", {"inn": company.inn}).json()["items"]
    assert listed[0]["documents"] == expected
    download = api_client("manager2").get(expected_file["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    file_detail = api_client("manager2").get(f"/api/v1/files/{uploaded['id']}").json()
    assert file_detail["document"]["owner"] == f"company:{company.pk}"


@pytest.mark.parametrize(
    ("row", "key", "words"),
    [
        ({"kind": "passport", "title": "Паспорт", "url": "https://d.example/p"}, "documents.0.kind", "Документ: вид"),
        ({"kind": "charter", "title": "Устав"}, "documents.0.url", "ссылку или приложите файл"),
        ({"title": "Устав", "file": "один"}, "documents.0.file", "номер загруженного файла"),
        ({"title": "Устав", "file": 2**70}, "documents.0.file", "номер загруженного файла"),
        ({"title": "Устав", "file": -3}, "documents.0.file", "номер загруженного файла"),
        ({"title": "Устав", "file": 999_999_999}, "documents.0.file", "не найден"),
        ({"title": "Устав", "file": {"id": 1}}, "documents.0.file", "номер загруженного файла"),
    ],
)
def test_a_bad_row_is_refused_with_a_sentence_on_its_field(demo, api_client, row, key, words):
    admin = api_client("admin")
    for path in ("/api/v1/companies/check", "/api/v1/companies"):
        response = _post(admin, path, org_card(documents=[row]))
        assert response.status_code in (200, 400), response.content
        errors = response.json()["errors"]
        assert list(errors) == [key], errors
        assert words in errors[key][0]
    assert not Company.objects.filter(inn=org_card()["inn"]).exists()


def test_someone_elses_upload_is_refused_and_stays_theirs(demo, api_client):
    theirs = _upload(api_client("manager1"))
    admin = api_client("admin")
    row = {"kind": "charter", "title": "Устав", "file": theirs["id"]}
    checked = _post(admin, "/api/v1/companies/check", org_card(documents=[row]))
    assert checked.json()["errors"] == {"documents.0.file": [f"Файл №{theirs['id']} не найден."]}
    refused = _post(admin, "/api/v1/companies", org_card(documents=[row]))
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"documents.0.file": [f"Файл №{theirs['id']} не найден."]}
    assert api_client("manager1").get(f"/api/v1/files/{theirs['id']}").json()["document"] is None


def test_a_file_already_used_elsewhere_is_refused_by_the_api(demo, api_client):
    admin = api_client("admin")
    uploaded = _upload(admin)
    first = _post(admin, "/api/v1/companies", org_card(documents=[{"title": "Устав", "file": uploaded["id"]}]))
    assert first.status_code == 201
    other = org_card(inn=inn10("770822233"), name="Лютик", short_name="ООО «Лютик»", full_name="ООО «Лютик»")
    other["documents"] = [{"title": "Устав", "file": uploaded["id"]}]
    refused = _post(admin, "/api/v1/companies", other)
    assert refused.status_code == 400, refused.content
    (message,) = refused.json()["errors"]["documents.0.file"]
    assert "уже приложен к другому документу" in message
    assert refused.json()["errors"] == {"documents.0.file": [message]}
