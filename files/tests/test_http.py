"""Uploads and downloads over HTTP (the API of api.md and the pages): the size limit answered 413,
bad input 400 with the field, downloads as attachments under their own names, and 404 for whoever
may not see the file."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from files import hooks
from files.models import StoredFile
from files.services import MB, attach
from files.tests.conftest import HTML_WITH_SCRIPT, PDF, SVG_WITH_SCRIPT, png, stored_paths

CONTRACT = {"id", "name", "size", "sha256", "content_type", "uploaded_by", "uploaded_at", "download"}


def _post(client: Client, content: bytes, filename: str = "Договор.pdf", url: str = "/api/v1/files", **fields: str):
    return client.post(url, {"file": SimpleUploadedFile(filename, content), **fields}, **_json_accept(url))


def _json_accept(url: str) -> dict[str, str]:
    return {"headers": {"Accept": "application/json"}} if url.startswith("/files/") else {}


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_upload_answers_the_contract_and_the_download_gives_the_same_bytes(api_client):
    client = api_client("manager1")
    response = _post(client, PDF, "Договор поставки.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= CONTRACT
    assert body["name"] == "Договор поставки.pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["content_type"] == "application/pdf"
    assert body["uploaded_by"] == "manager1" and body["version"] is None and body["document"] is None
    assert body["download"] == f"/api/v1/files/{body['id']}/download"

    download = client.get(body["download"])
    assert download.status_code == 200 and _body(download) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == (
        f"attachment; filename=\"Dogovor postavki.pdf\"; filename*=UTF-8''{quote('Договор поставки.pdf', safe='')}"
    )


@pytest.mark.parametrize(("name", "content"), [("страница.html", HTML_WITH_SCRIPT), ("логотип.svg", SVG_WITH_SCRIPT)])
def test_html_and_svg_with_a_script_are_downloaded_never_shown(api_client, settings, name, content):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = False  # a download says nosniff itself, whatever the site's setting
    client = api_client("manager1")
    stored = _post(client, content, name).json()
    for url in [stored["download"], f"/files/{stored['id']}/download/"]:
        response = client.get(url) if url.startswith("/api/") else _page_client(client, "manager1").get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert _body(response) == content


def _page_client(_api: Client, username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="demo")
    return client


def test_a_png_named_txt_is_a_png(api_client):
    body = _post(api_client("manager1"), png(), "на самом деле картинка.txt").json()
    assert body["content_type"] == "image/png"


@pytest.mark.parametrize("url", ["/api/v1/files", "/files/upload/"])
def test_the_size_limit_over_http_0_1_exact_and_one_over(demo, login, api_client, settings, storage_dir, url):
    settings.FILES_MAX_MB = 1
    client = api_client("manager1") if url.startswith("/api/") else login("manager1")

    empty = _post(client, b"", "пусто.txt", url)
    assert empty.status_code == 400 and "пустой" in empty.json()["errors"]["file"][0]
    assert _post(client, b"x", "один байт.txt", url).status_code == 201
    exact = _post(client, b"\x00" * MB, "ровно.bin", url)
    assert exact.status_code == 201 and exact.json()["size"] == MB
    assert len(stored_paths(storage_dir)) == 2

    over = _post(client, b"\x00" * (MB + 1), "больше.bin", url)
    assert over.status_code == 413
    assert over.json()["detail"] == "Файл слишком большой: не более 1 МБ."
    assert over.json()["errors"] == {"file": ["Файл слишком большой: не более 1 МБ."]}
    assert StoredFile.objects.count() == 2 and len(stored_paths(storage_dir)) == 2  # nothing written


@pytest.mark.parametrize(
    "name", ["папка/договор.pdf", "C:\\договор.pdf", "..", "до\x00говор.pdf", "до\x07говор.pdf", "я" * 256]
)
def test_a_bad_name_is_400_naming_the_file_field(api_client, storage_dir, name):
    response = _post(api_client("manager1"), PDF, "plain.pdf", name=name)
    assert response.status_code == 400
    # A NUL or a lone surrogate is refused by the API's one check of every input, on the form
    # field that carries it (``name``); every other bad name by the files room, on ``file``.
    errors = response.json()["errors"]
    assert errors.get("name" if "\x00" in name or "\ud800" in name else "file"), errors
    assert stored_paths(storage_dir) == []


def test_a_name_of_255_characters_is_kept(api_client):
    name = "Д" * 251 + ".pdf"
    assert _post(api_client("manager1"), PDF, "plain.pdf", name=name).json()["name"] == name


def test_no_file_is_400_and_no_login_is_401(api_client):
    response = api_client("manager1").post("/api/v1/files", {"name": "договор.pdf"})
    assert response.status_code == 400 and response.json()["errors"] == {"file": ["Выберите файл."]}
    assert Client().post("/api/v1/files", {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 401


def test_an_unused_upload_is_seen_by_its_uploader_only(api_client, login, demo):
    stored = _post(api_client("manager1"), PDF).json()
    paths = [f"/api/v1/files/{stored['id']}", stored["download"]]
    assert all(api_client("manager1").get(p).status_code == 200 for p in paths)
    for username in ["manager2", "sales_head", "admin"]:
        assert [api_client(username).get(p).status_code for p in paths] == [404, 404], username
        assert login(username).get(f"/files/{stored['id']}/download/").status_code == 404
    assert api_client("manager2").get(paths[0]).json() == {"detail": "Файл не найден."}
    assert api_client("manager2").get("/api/v1/files/999999").json() == {"detail": "Файл не найден."}


def test_another_department_gets_404_for_a_file_its_owner_kind_hides(api_client, login, demo, department_owner):
    stored = _post(api_client("manager1"), PDF, "Бонусное соглашение.pdf").json()
    attach([stored["id"]], owner=department_owner, slot="agreement", by=demo["manager1"])
    page = f"/files/{stored['id']}/download/"
    for username in ["manager2", "sales_head", "admin"]:  # the sales department, and an administrator
        assert api_client(username).get(stored["download"]).status_code == 200, username
        assert login(username).get(page).status_code == 200, username
    for username in ["accountant", "findir", "director"]:  # other departments
        assert api_client(username).get(stored["download"]).status_code == 404, username
        assert api_client(username).get(f"/api/v1/files/{stored['id']}").status_code == 404, username
        response = login(username).get(page)
        assert response.status_code == 404 and "Файл не найден." in response.content.decode(), username


def test_an_owner_kind_nobody_registered_is_for_administrators(api_client, demo):
    stored = _post(api_client("manager1"), PDF).json()
    attach([stored["id"]], owner=hooks.owner("unknown", 1), slot="x", by=demo["manager1"])
    assert api_client("manager2").get(stored["download"]).status_code == 404
    assert api_client("admin").get(stored["download"]).status_code == 200
    assert api_client("manager1").get(stored["download"]).status_code == 200  # the uploader always


def test_a_file_tells_its_document_and_all_its_versions(api_client, demo, department_owner):
    client = api_client("manager1")
    ids = [_post(client, f"v{n}".encode(), f"Соглашение v{n}.txt").json()["id"] for n in (1, 2)]
    for file_id in ids:
        attach([file_id], owner=department_owner, slot="agreement", by=demo["manager1"], title="Соглашение")
    body = api_client("manager2").get(f"/api/v1/files/{ids[0]}").json()
    assert body["version"] == 1
    assert body["document"] == {"owner": department_owner, "slot": "agreement", "title": "Соглашение"}
    assert [(v["id"], v["version"], v["name"]) for v in body["versions"]] == [
        (ids[0], 1, "Соглашение v1.txt"),
        (ids[1], 2, "Соглашение v2.txt"),
    ]


def test_the_upload_page_works_without_javascript(demo, login, settings, storage_dir):
    settings.FILES_MAX_MB = 1
    client = login("manager1")
    page = client.get("/files/upload/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html and "js/uploads.js" in html

    done = client.post("/files/upload/", {"file": SimpleUploadedFile("Устав.pdf", PDF)})
    stored = StoredFile.objects.get()
    assert done.status_code == 201
    html = done.content.decode()
    assert f'name="file_id" value="{stored.pk}"' in html and "Устав.pdf" in html
    assert f"/files/{stored.pk}/download/" in html

    refused = client.post("/files/upload/", {"file": SimpleUploadedFile("большой.bin", b"\x00" * (MB + 1))})
    assert refused.status_code == 413
    assert "Файл слишком большой: не более 1 МБ." in refused.content.decode()
    refused = client.post("/files/upload/", {"file": SimpleUploadedFile("пусто.txt", b"")})
    assert refused.status_code == 400 and "Файл пустой" in refused.content.decode()
    assert StoredFile.objects.count() == 1 and len(stored_paths(storage_dir)) == 1


def test_the_pages_need_a_login(db):
    assert Client().get("/files/upload/").status_code == 302
    assert Client().get("/files/1/download/").status_code == 302


def test_the_api_document_describes_the_upload_and_its_refusals(db, client):
    document = client.get("/api/v1/openapi.json").json()
    post = document["paths"]["/api/v1/files"]["post"]
    assert {"201", "400", "401", "413"} <= set(post["responses"])
    assert "multipart/form-data" in post["requestBody"]["content"]
    download = document["paths"]["/api/v1/files/{file_id}/download"]["get"]
    assert download["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
    assert {"404", "401"} <= set(download["responses"])


def test_an_upload_over_the_limit_is_stopped_while_it_arrives(rf, settings):
    """The first upload handler drops the file as soon as it passes the limit: it never reaches
    ``request.FILES`` (nor a temporary file past the limit), and the rest of the form still does."""
    from base.errors import TooLarge
    from files.http import uploaded_file

    settings.FILES_MAX_MB = 1
    over = rf.post("/files/upload/", {"file": SimpleUploadedFile("big.bin", b"\x00" * (MB + 1)), "name": "big.bin"})
    assert "file" not in over.FILES and over.POST["name"] == "big.bin"
    with pytest.raises(TooLarge):
        uploaded_file(over)
    exact = rf.post("/files/upload/", {"file": SimpleUploadedFile("exact.bin", b"\x00" * MB)})
    assert uploaded_file(exact).size == MB


def test_the_admin_shows_files_and_changes_nothing(login, upload, demo):
    [stored] = attach([upload("manager1").pk], owner=hooks.owner("company", 3), slot="documents.0", by=demo["manager1"])
    admin = login("admin")
    assert admin.get("/admin/files/storedfile/").status_code == 200
    assert admin.get(f"/admin/files/storedfile/{stored.pk}/change/").status_code == 200  # view only
    assert admin.get(f"/admin/files/document/{stored.document_id}/change/").status_code == 200
    assert admin.get("/admin/files/storedfile/add/").status_code == 403
    assert admin.get(f"/admin/files/storedfile/{stored.pk}/delete/").status_code == 403
    assert admin.post(f"/admin/files/storedfile/{stored.pk}/change/", {"name": "другое.pdf"}).status_code == 403
    stored.refresh_from_db()
    assert stored.name == "Договор.pdf"


def test_a_broken_multipart_body_is_400_not_500(api_client):
    response = api_client("manager1").post(
        "/api/v1/files", data=b"--x\r\n", content_type="multipart/form-data"  # no boundary
    )
    assert response.status_code == 400 and response.json()["detail"]
