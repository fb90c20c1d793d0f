"""Stored files (api.md, "Files and discussion"): upload, read, download. Thin over ``files.services``;
who may see a file is ``files.services.get_file_for_user`` (the pages use the same check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from api.schemas import Id, binary_answer, refusals
from base.errors import Forbidden
from files import services
from files.http import describe, download_response, uploaded_file
from files.models import StoredFile
from org.access import employee_of

router = Router(tags=["files"])


class DocumentRef(Schema):
    """The document a file is a version of."""

    owner: str = Field(description="Чей документ: instance:12, company:3, comment:7…")
    slot: str = Field(description="Какой документ владельца: поле формы, строка списка документов.")
    title: str


class FileOut(Schema):
    """One stored file (one version of a document, once used)."""

    id: int
    name: str = Field(description="Имя файла, как его загрузили.")
    size: int = Field(description="Размер в байтах.")
    sha256: str = Field(description="SHA-256 содержимого, 64 шестнадцатеричные цифры.")
    content_type: str = Field(description="Тип, определённый по содержимому (не по имени и не со слов клиента).")
    uploaded_by: str = Field(description="Кто загрузил (имя пользователя).")
    uploaded_at: datetime
    download: str = Field(description="Адрес для скачивания.")
    version: int | None = Field(description="Номер версии документа; null — файл ещё не приложен.")
    document: DocumentRef | None = Field(description="Документ; null — файл ещё не приложен.")


class FileDetail(FileOut):
    versions: list[FileOut] = Field(description="Все версии документа, от первой; пусто, пока файл не приложен.")


def file_out(stored: StoredFile) -> dict[str, Any]:
    """A file as :class:`FileOut` describes it; other endpoints listing documents answer with it too."""
    return describe(stored, download=reverse("api:download_file", args=[stored.pk]))


@router.post("/files", summary="Загрузить файл", response={201: FileOut, **refusals(400, 403, 413)})
def upload_file(
    request: HttpRequest,
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # checked below: 400 or 413 with a sentence
    name: Form[str] = "",
) -> Status:
    """``multipart/form-data`` with the field ``file``, and ``name`` when the file's own name is not
    the one it is sent under (browsers and HTTP clients send only a plain name there, so a name
    with folders or control characters is refused through ``name``). Over ``FILES_MAX_MB`` → 413;
    an empty file or a bad name → 400. Until used in a form, a comment or a card, only its
    uploader sees the file."""
    me = employee_of(request.user)
    if me is None:
        raise Forbidden(_("Загружать файлы могут только сотрудники."))
    stored = services.store(uploaded_file(request), by=me, name=name or None)
    return Status(201, file_out(stored))


@router.get("/files/{file_id}", summary="Файл и версии его документа", response={200: FileDetail, **refusals(400, 404)})
def get_file(request: HttpRequest, file_id: Id) -> dict[str, Any]:
    """The file, and every version of its document when it is attached; 404 for whoever may not see it."""
    stored = services.get_file_for_user(request.user, file_id)
    all_versions = (
        StoredFile.objects.filter(document=stored.document_id).select_related("document", "uploaded_by__user")
        if stored.document_id
        else StoredFile.objects.none()
    )
    return {**file_out(stored), "versions": [file_out(v) for v in all_versions.order_by("version")]}


@router.get(
    "/files/{file_id}/download",
    url_name="download_file",
    summary="Скачать файл",
    response={200: None, **refusals(400, 404)},
    openapi_extra=binary_answer(
        # the type read from the file's own bytes (application/pdf, image/png, …)
        "*/*",
        "Содержимое файла: Content-Disposition: attachment с его именем (RFC 6266), X-Content-Type-Options: nosniff.",
    ),
)
def download_file(request: HttpRequest, file_id: Id) -> HttpResponse:
    """The bytes as an attachment, streamed; 404 for whoever may not see what the file is attached to."""
    return download_response(services.get_file_for_user(request.user, file_id))
