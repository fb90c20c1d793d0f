"""Storing a file: what is kept of it, the type read from its bytes, the names refused, the size
limit held before anything is written."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from base import clock
from base.errors import Invalid, TooLarge
from files.models import StoredFile
from files.services import MB, files_storage, sniff, store
from files.tests.conftest import HTML_WITH_SCRIPT, PDF, SVG_WITH_SCRIPT, png, stored_paths, xlsx


class OneWayStream(io.RawIOBase):
    """A stream that cannot seek back, like a socket: the bytes come once."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stored_file_keeps_its_name_size_type_hash_and_who_uploaded_it(demo, storage_dir):
    at = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
    with clock.frozen(at):
        stored = store(SimpleUploadedFile("ignored.bin", PDF), name="Договор поставки №7.pdf", by=demo["manager1"])
    stored.refresh_from_db()
    assert stored.name == "Договор поставки №7.pdf"
    assert (stored.size, stored.content_type) == (len(PDF), "application/pdf")
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (stored.uploaded_by, stored.uploaded_at) == (demo["manager1"], at)
    assert (stored.document, stored.version) == (None, None)
    # The storage keeps the bytes under a name of its own, never the user's.
    [path] = stored_paths(storage_dir)
    assert path.read_bytes() == PDF
    assert "Договор" not in stored.storage_name and ".pdf" not in stored.storage_name
    assert path == storage_dir / stored.storage_name


def test_the_name_defaults_to_the_uploaded_files_own(demo):
    assert store(SimpleUploadedFile("Устав.pdf", PDF), by=demo["manager1"]).name == "Устав.pdf"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (png(), "фото.txt", "image/png"),  # the name says text, the bytes say PNG
        (PDF, "scan.jpg", "application/pdf"),
        (xlsx(), "отчёт.docx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (HTML_WITH_SCRIPT, "page.html", "application/octet-stream"),
        (SVG_WITH_SCRIPT, "logo.svg", "application/octet-stream"),
        ("Просто текст".encode(), "note.txt", "application/octet-stream"),
    ],
)
def test_the_content_type_is_read_from_the_bytes_not_the_name(demo, content, name, expected):
    upload = SimpleUploadedFile(name, content, content_type="text/html")  # the client's word is ignored
    assert store(upload, by=demo["manager1"]).content_type == expected
    assert sniff(content) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "папка/договор.pdf",
        "C:\\Документы\\договор.pdf",
        "..",
        ".",
        "...",
        "дого\x00вор.pdf",
        "строка\nвторая.pdf",
        "tab\there.pdf",
        "esc\x1b[31m.pdf",
        "счёт\u202efdp.exe",  # reads «счётexe.pdf»
        "half\ud800.pdf",  # a lone surrogate
        "я" * 252 + ".pdf",  # 256 characters
    ],
)
def test_a_bad_name_is_refused_naming_the_field_and_nothing_is_stored(demo, storage_dir, name):
    with pytest.raises(Invalid) as refused:
        store(PDF, name=name, by=demo["manager1"])
    assert refused.value.errors["file"] and all(refused.value.errors["file"])
    assert StoredFile.objects.count() == 0 and stored_paths(storage_dir) == []


@pytest.mark.parametrize(
    "name",
    ["я" * 251 + ".pdf", "Итоги... квартала.xlsx", "..скрытый", "Счёт №12 от 01.02.2026 (копия).pdf", "合同.pdf"],
)
def test_long_cyrillic_and_dotted_names_are_kept_intact(demo, name):
    assert len("я" * 251 + ".pdf") == 255
    assert store(PDF, name=name, by=demo["manager1"]).name == name


def test_a_name_is_kept_in_one_composed_form(demo):
    typed_on_a_mac = "и\u0306ога.pdf"  # «й» as «и» + combining breve
    assert store(PDF, name=typed_on_a_mac, by=demo["manager1"]).name == "йога.pdf"


def test_an_empty_file_is_refused_and_one_byte_is_kept(demo, storage_dir):
    with pytest.raises(Invalid) as refused:
        store(b"", name="пусто.txt", by=demo["manager1"])
    assert "пустой" in refused.value.errors["file"][0]
    assert stored_paths(storage_dir) == []
    one = store(b"x", name="один.txt", by=demo["manager1"])
    assert one.size == 1 and files_storage().open(one.storage_name).read() == b"x"


@pytest.mark.parametrize("stream", [io.BytesIO, OneWayStream], ids=["seekable", "one-way"])
def test_the_limit_itself_is_kept_and_one_byte_more_is_refused_before_anything_is_written(
    demo, settings, storage_dir, stream
):
    settings.FILES_MAX_MB = 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4096  # a one-way stream is spooled to disk past this
    exact = bytes(range(256)) * (MB // 256)
    with pytest.raises(TooLarge) as refused:
        store(stream(exact + b"!"), name="большой.bin", by=demo["manager1"])
    assert refused.value.status == 413 and "1 МБ" in refused.value.message
    assert refused.value.errors == {"file": [refused.value.message]}
    assert StoredFile.objects.count() == 0 and stored_paths(storage_dir) == []

    kept = store(stream(exact), name="ровно.bin", by=demo["manager1"])
    assert kept.size == MB and kept.sha256 == hashlib.sha256(exact).hexdigest()
    assert (storage_dir / kept.storage_name).read_bytes() == exact


def test_any_storage_of_djangos_api_will_do(demo, settings):
    """Only the storage API is used (no local paths), so an S3 bucket works as the directory does."""
    settings.STORAGES = {**settings.STORAGES, "files": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    from files.services import integrity, verify

    stored = store(png(), name="схема.png", by=demo["manager1"])
    assert files_storage().open(stored.storage_name).read() == png()
    assert verify() | {"checked_at": None} == {
        "stored": 1,
        "missing": 0,
        "changed": 0,
        "unchecked": 0,
        "checked_at": None,
    }
    files_storage().delete(stored.storage_name)
    assert verify()["missing"] == 1 == integrity()["missing"]
