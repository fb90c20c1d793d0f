"""Fixtures of the stored-files tests: the test's storage directory, files made of real bytes, and a
test owner kind («department»: whoever works in that department sees its documents)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from files import hooks
from files.models import StoredFile
from files.services import store


@pytest.fixture
def storage_dir(settings: Any) -> Path:
    """Where this test's stored files are (the root conftest points ``STORAGES['files']`` there)."""
    return Path(settings.STORAGES["files"]["OPTIONS"]["location"])


def stored_paths(storage_dir: Path) -> list[Path]:
    return sorted(path for path in storage_dir.rglob("*") if path.is_file()) if storage_dir.exists() else []


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def xlsx() -> bytes:
    """The start of a real XLSX package (what the sniffer reads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_WITH_SCRIPT = b"<!DOCTYPE html><html><body><script>document.cookie</script></body></html>"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


@pytest.fixture
def upload(demo: dict[str, Any]) -> Any:
    """``upload("manager1", b"...", "Договор.pdf")``: a file stored by that person."""

    def _upload(username: str, content: bytes = PDF, name: str = "Договор.pdf") -> StoredFile:
        return store(content, name=name, by=demo[username])

    return _upload


@pytest.fixture
def department_owner(demo: dict[str, Any]) -> Iterator[str]:
    """A test owner kind: a document of ``department:<id>`` is seen by that department's people.
    Yields the owner string of the sales department («Отдел продаж»)."""
    saved = dict(hooks.OWNER_KINDS)

    def may_see(user: Any, owner_id: str) -> bool:
        employee = getattr(user, "employee", None)
        return employee is not None and str(employee.department_id) == owner_id

    hooks.register_owner("department", may_see=may_see)
    try:
        yield hooks.owner("department", demo["manager1"].department_id)
    finally:
        hooks.OWNER_KINDS.clear()
        hooks.OWNER_KINDS.update(saved)
