"""Files over HTTP, for the pages and the API alike: the upload's size limit while it arrives, the
uploaded file of a request, and the download answer.

:class:`SizeLimitHandler` is the first of ``FILE_UPLOAD_HANDLERS``: Django's own handlers would
write a 10 GB upload to a temporary file before any view could refuse it; this one stops passing a
file on as soon as it is one byte over ``FILES_MAX_MB`` and marks the request, so the view answers
413 (:func:`uploaded_file`) and at most the limit ever touches the disk.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from base.errors import Invalid, NotFound
from files.models import StoredFile
from files.services import files_storage, max_bytes, too_large

log = logging.getLogger(__name__)

#: The request attribute naming the upload fields stopped for their size.
_REFUSED = "_files_over_limit"


class SizeLimitHandler(FileUploadHandler):
    """Counts each uploaded file's bytes; past the limit the file is skipped (nothing more is kept
    of it) and its field is noted on the request for :func:`uploaded_file`."""

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0
        self.limit = max_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            refused = getattr(self.request, _REFUSED, set())
            refused.add(self.field_name)
            setattr(self.request, _REFUSED, refused)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (in memory or a temporary file) makes the file


def uploaded_file(request: HttpRequest, field: str = "file") -> UploadedFile:
    """The file sent in ``field``: :class:`~base.errors.TooLarge` when it was stopped for its size,
    ``Invalid`` naming the field when none came."""
    upload = request.FILES.get(field)  # parses the body first: the handler marks the request meanwhile
    if field in getattr(request, _REFUSED, ()):
        raise too_large()
    if upload is None:
        raise Invalid({"file": [_("Выберите файл.")]})
    return upload


def describe(stored: StoredFile, *, download: str) -> dict[str, Any]:
    """A file as the API's ``FileOut`` and the upload script see it; ``download`` is where to fetch it
    (the API's address or the page's)."""
    document = stored.document if stored.document_id else None
    return {
        "id": stored.pk,
        "name": stored.name,
        "size": stored.size,
        "sha256": stored.sha256,
        "content_type": stored.content_type,
        "uploaded_by": stored.uploaded_by.username,
        "uploaded_at": stored.uploaded_at,
        "download": download,
        "version": stored.version,
        "document": {"owner": document.owner, "slot": document.slot, "title": document.title} if document else None,
    }


def download_response(stored: StoredFile) -> FileResponse:
    """The file's bytes, streamed, always as an attachment under its own name.

    The type is the sniffed one, ``nosniff`` keeps the browser from guessing another, and a
    sandboxing CSP keeps even a file opened by hand from running a script on our origin: an HTML
    page or an SVG with ``<script>`` is downloaded, never shown. Who may is the caller's check
    (``files.services.get_file_for_user``).
    """
    try:
        handle = files_storage().open(stored.storage_name, "rb")
    except FileNotFoundError:
        log.error("stored file %s (%s) is missing from the storage", stored.pk, stored.storage_name)
        raise NotFound(_("Содержимого файла нет в хранилище: сообщите администратору.")) from None
    response = FileResponse(handle, as_attachment=True, filename=stored.name, content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition(stored.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


def content_disposition(name: str) -> str:
    """``attachment`` with the name per RFC 6266: a plain ASCII ``filename`` for old clients (Cyrillic
    transliterated) and ``filename*`` in UTF-8 with the name exactly as it is.

    Django's own header gives only ``filename*`` for a non-ASCII name; clients that ignore it would
    save «Договор.pdf» under the URL's last segment, «download».
    """
    fallback = ascii_name(name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)
_TRANSLIT = {
    **{ord(k): ("" if v == "-" else v) for k, v in _CYRILLIC.items()},
    **{ord(k.upper()): ("" if v == "-" else v.capitalize()) for k, v in _CYRILLIC.items()},
}


def ascii_name(name: str) -> str:
    """The name in printable ASCII without quotes or backslashes: Cyrillic transliterated, accents
    dropped, anything else ``_``."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r'[^\x20-\x7e]|["\\]', "_", plain)
