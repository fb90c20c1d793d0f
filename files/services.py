"""The stored-files room's service functions: what the forms, the cards and the discussion call.

- :func:`store` checks an upload (size, name), hashes it while reading it in chunks, sniffs its
  type from the bytes and keeps it through Django's storage API (``STORAGES['files']``);
- :func:`copy` stores an attached file again, for another owner's document;
- :func:`attach` makes stored files versions of an owner's document (1, 2, …); :func:`usable` and
  :func:`refusal` say beforehand whether a form or a comment may use a file;
- :func:`versions` and :func:`current` read an owner's documents;
- :func:`may_see` and :func:`get_file_for_user` are the room's one permission check (owner kinds
  answer through ``files.hooks``);
- :func:`verify` re-hashes every stored file (``manage.py verify_files``) and :func:`integrity`
  gives the figures the result of its last run without reading a byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils.translation import gettext as _

from base import clock
from base.errors import Invalid, NotFound, TooLarge
from files import hooks
from files.models import CheckResult, Document, StoredFile
from org.access import employee_of, is_administrator
from org.models import Employee

log = logging.getLogger(__name__)

#: ``FILES_MAX_MB`` counts mebibytes.
MB = 1024 * 1024
#: How much is read at a time, for hashing, checking the size and re-hashing.
CHUNK = 64 * 1024
#: How many leading bytes the type is sniffed from (all that ``filetype`` looks at).
SNIFF_BYTES = 8192
#: The type of whatever the sniffer does not recognise (plain text, HTML, SVG among them): such a
#: file is only ever downloaded, never shown by the browser.
UNKNOWN_TYPE = "application/octet-stream"
#: The largest id a database integer key holds (SQLite and PostgreSQL ``bigint``).
MAX_ID = 2**63 - 1
#: The longest name kept, in characters (what file systems allow for one name).
MAX_NAME = 255
#: Format characters that reorder the text around them: «счёт\u202efdp.exe» would read «счётexe.pdf».
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def max_bytes() -> int:
    """The size limit in bytes (``FILES_MAX_MB``, default 50 MiB)."""
    return settings.FILES_MAX_MB * MB


def too_large() -> TooLarge:
    """The refusal of a file over the limit, the same from the upload handler and from :func:`store`."""
    message = _("Файл слишком большой: не более %(limit)s МБ.") % {"limit": settings.FILES_MAX_MB}
    return TooLarge(message, {"file": [message]})


def files_storage() -> Storage:
    return storages["files"]


# --------------------------------------------------------------------------- storing


def check_name(name: str | None) -> str:
    """The file's own name (spaces around it dropped), refused with a sentence when it could not be a
    plain file name.

    Path separators, ``.``/``..`` (and other names of dots only), control and bidirectional
    format characters, lone surrogates and names over 255 characters are refused; the name is kept
    otherwise as given (Cyrillic intact), composed to NFC so that the same name typed on a Mac and
    on Windows is the same text. The storage never sees it: objects have random names.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid({"file": [_("У файла нет имени.")]})
    if "/" in name or "\\" in name:
        raise Invalid({"file": [_("Имя файла не может содержать «/» и «\\»: укажите только имя, без папок.")]})
    if any(unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char in _BIDI_CONTROLS for char in name):
        raise Invalid({"file": [_("Имя файла содержит управляющие или недопустимые символы.")]})
    name = unicodedata.normalize("NFC", name)
    if set(name) == {"."}:
        raise Invalid({"file": [_("Имя файла не может состоять из одних точек.")]})
    if len(name) > MAX_NAME:
        raise Invalid({"file": [_("Имя файла длиннее %(limit)s символов: сократите его.") % {"limit": MAX_NAME}]})
    return name


def sniff(head: bytes) -> str:
    """The content type read from the leading bytes, never from the name or the client's word."""
    kind = filetype.guess(bytes(head)) if head else None
    return kind.mime if kind is not None else UNKNOWN_TYPE


def store(content: UploadedFile | IO[bytes] | bytes, *, by: Employee, name: str | None = None) -> StoredFile:
    """Check and keep one upload; it is nobody's document yet (only ``by`` sees it until attached).

    ``content`` is an uploaded file, any binary stream or bytes; ``name`` defaults to the uploaded
    file's own. Refused with ``Invalid({"file": …})`` (empty, a bad name) or :class:`TooLarge` —
    before anything is written, and without holding more than a chunk in memory: the bytes are read
    in chunks, counted and hashed, and a stream that cannot seek back is spooled to a temporary file.
    """
    name = check_name(name if name is not None else getattr(content, "name", None))
    if isinstance(content, bytes | bytearray):
        content = io.BytesIO(content)
    limit = max_bytes()
    rewinds = _seekable(content)
    digest, size, head = hashlib.sha256(), 0, b""
    with contextlib.ExitStack() as cleanup:
        spool = None
        if not rewinds:
            spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE))
        for chunk in _chunks(content, from_start=rewinds):
            size += len(chunk)
            if size > limit:
                raise too_large()
            digest.update(chunk)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            if spool is not None:
                spool.write(chunk)
        if size == 0:
            raise Invalid({"file": [_("Файл пустой: выберите файл с содержимым.")]})
        source: Any = content if spool is None else spool
        source.seek(0)
        now = clock.now()
        stored_as = files_storage().save(f"{now:%Y/%m}/{secrets.token_hex(16)}", source)
    return StoredFile.objects.create(
        name=name,
        size=size,
        content_type=sniff(head),
        sha256=digest.hexdigest(),
        storage_name=stored_as,
        uploaded_by=by,
        uploaded_at=now,
    )


def _seekable(content: Any) -> bool:
    try:
        return bool(content.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _chunks(content: Any, *, from_start: bool) -> Iterator[bytes]:
    if from_start:
        content.seek(0)
    while chunk := content.read(CHUNK):
        yield chunk


def copy(stored: StoredFile) -> StoredFile:
    """A new, unused upload with the same bytes and name, by the same employee.

    A stored file is a version of at most one document, so a file that already is one owner's
    version (an instance's form document) and must also become another's (the company card it
    ended up in) is stored again: each owner keeps its own chain, and neither can lose a version
    through the other. The bytes are read back through the storage in chunks (:func:`store`); a
    copy whose SHA-256 differs from the row's means the stored bytes changed, and is refused
    (``Invalid`` on ``file``, nothing kept) rather than passed on as the same document.
    """
    with transaction.atomic():
        with files_storage().open(stored.storage_name, "rb") as handle:
            fresh = store(handle, by=stored.uploaded_by, name=stored.name)
        if fresh.sha256 != stored.sha256:
            files_storage().delete(fresh.storage_name)  # the row goes with the savepoint
            raise Invalid(
                {"file": [_("Файл «%(name)s» в хранилище изменился: его нельзя скопировать.") % {"name": stored.name}]}
            )
    return fresh


# --------------------------------------------------------------------------- using


def refusal(file_id: int | str, *, by: Employee, owner: str | None = None, slot: str | None = None) -> str | None:
    """Why ``by`` may not use the file in ``owner``'s document (in ``slot``), or None when it may.

    One may use one's own upload that nobody uses yet, or a file that already is a version of that
    owner's document (in that slot, when one is given): a pre-filled form sends the current version's
    id back. Someone else's unused upload answers like a file that does not exist.
    """
    pk = _as_id(file_id)
    stored = StoredFile.objects.select_related("document").filter(pk=pk).first() if pk else None
    return _refusal(stored, file_id, by=by, owner=owner, slot=slot)


def _as_id(value: Any) -> int | None:
    """A file id as a form or a JSON body may send it (a number or its digits); None for anything
    else, or for a number no database key can hold, so that it answers "not found", never a 500."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def _refusal(
    stored: StoredFile | None, file_id: int | str, *, by: Employee, owner: str | None, slot: str | None
) -> str | None:
    if stored is None or (stored.document_id is None and stored.uploaded_by_id != by.pk):
        return _("Файл №%(id)s не найден.") % {"id": file_id}
    if stored.document_id is None:
        return None
    document = stored.document
    if document.owner == owner and slot in (None, document.slot):
        return None
    return _("Файл «%(name)s» уже приложен к другому документу: загрузите его заново.") % {"name": stored.name}


def usable(file_id: int | str, *, by: Employee, owner: str | None = None) -> bool:
    """May ``by`` put this file into a form, a card or a comment of ``owner`` (see :func:`refusal`)."""
    return refusal(file_id, by=by, owner=owner) is None


def attach(
    file_ids: Iterable[int | str], *, owner: str, slot: str, by: Employee, title: str | None = None
) -> list[StoredFile]:
    """Make the files versions of ``owner``'s document in ``slot``, in the order given.

    The first file creates the document (version 1); each file new to it becomes the next version;
    a file that already is one of its versions is left as it is (so sending the current id back
    changes nothing). Refused with ``Invalid({slot: [...]})`` and no change at all when a file is
    not ``by``'s to use (:func:`refusal`). Runs inside the caller's transaction (a savepoint of it);
    the document row is locked, so two attaches at once number their versions one after the other.
    Returns the files, each with its ``document`` and ``version``.
    """
    sent = list(dict.fromkeys(file_ids))
    hooks.split_owner(owner)  # a malformed owner is a programming error, refused before any write
    now = clock.now()
    with transaction.atomic():
        document, _created = Document.objects.get_or_create(
            owner=owner, slot=slot, defaults={"title": title or "", "created_at": now}
        )
        document = Document.objects.select_for_update().get(pk=document.pk)
        # Lock the files (in id order: two attaches never wait for each other crosswise), then read
        # their documents in a statement of its own: a row locked after waiting is read again as
        # committed, a document joined to it would not be (another attach may have just made it).
        ids = {file_id: _as_id(file_id) for file_id in sent}
        locked = StoredFile.objects.select_for_update().filter(pk__in={pk for pk in ids.values() if pk})
        found = {stored.pk: stored for stored in locked.order_by("pk")}
        documents = Document.objects.in_bulk({stored.document_id for stored in found.values() if stored.document_id})
        for stored in found.values():
            stored.document = documents.get(stored.document_id) if stored.document_id else None
        problems = [
            problem
            for file_id, pk in ids.items()
            if (problem := _refusal(found.get(pk), file_id, by=by, owner=owner, slot=slot)) is not None
        ]
        if problems:
            raise Invalid({slot: problems})
        latest = document.versions.aggregate(latest=Max("version"))["latest"] or 0
        for pk in dict.fromkeys(ids.values()):
            stored = found[pk]
            if stored.document_id == document.pk:
                continue
            latest += 1
            stored.document, stored.version, stored.attached_by, stored.attached_at = document, latest, by, now
            stored.save(update_fields=["document", "version", "attached_by", "attached_at"])
        if title and title != document.title:
            document.title = title
            document.save(update_fields=["title"])
    return [found[pk] for pk in dict.fromkeys(ids.values())]


def versions(owner: str) -> list[Document]:
    """The owner's documents, oldest first, each with its versions prefetched (``version`` order)."""
    ordered = StoredFile.objects.select_related("uploaded_by__user", "attached_by__user").order_by("version")
    return list(Document.objects.filter(owner=owner).prefetch_related(Prefetch("versions", queryset=ordered)))


def current(owner: str, slot: str) -> StoredFile | None:
    """The newest version of the owner's document in ``slot`` (None: no such document)."""
    return (
        StoredFile.objects.select_related("document", "uploaded_by__user")
        .filter(document__owner=owner, document__slot=slot)
        .order_by("-version")
        .first()
    )


# --------------------------------------------------------------------------- seeing


def may_see(user: Any, stored: StoredFile) -> bool:
    """The uploader always; an unused upload nobody else; an attached file whoever may see its owner
    (the owner kind's checker in ``files.hooks``) and administrators; an unregistered kind only
    administrators."""
    if user is None or not user.is_authenticated:
        return False
    me = employee_of(user)
    if me is not None and stored.uploaded_by_id == me.pk:
        return True
    if stored.document_id is None:
        return False
    if is_administrator(user):
        return True
    kind, owner_id = hooks.split_owner(stored.document.owner)
    registered = hooks.owner_kind(kind)
    return registered is not None and bool(registered.may_see(user, owner_id))


def get_file_for_user(user: Any, file_id: int) -> StoredFile:
    """The file, or ``NotFound`` when it does not exist or is not the user's to see."""
    stored = StoredFile.objects.select_related("document", "uploaded_by__user").filter(pk=file_id).first()
    if stored is None or not may_see(user, stored):
        raise NotFound(_("Файл не найден."))
    return stored


# --------------------------------------------------------------------------- integrity


def verify(report: Callable[[StoredFile, str], None] | None = None) -> dict[str, int]:
    """Re-hash every stored file and keep the result on its row (``checked_at``, ``check_result``).

    ``report(stored_file, result)`` is called for each file found missing or changed. Returns the
    counts of :func:`integrity`. One file at a time, in chunks: any number of files, constant memory.
    """
    storage = files_storage()
    for stored in StoredFile.objects.select_related("document").order_by("pk").iterator(chunk_size=500):
        result = _check(storage, stored)
        StoredFile.objects.filter(pk=stored.pk).update(checked_at=clock.now(), check_result=result)
        if result != CheckResult.OK and report is not None:
            report(stored, result)
    return integrity()


def _check(storage: Storage, stored: StoredFile) -> str:
    digest, size = hashlib.sha256(), 0
    try:
        with storage.open(stored.storage_name, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return CheckResult.MISSING
    if size != stored.size or digest.hexdigest() != stored.sha256:
        return CheckResult.CHANGED
    return CheckResult.OK


def integrity() -> dict[str, Any]:
    """``{"stored", "missing", "changed", "unchecked", "checked_at"}``: the rows counted, and what the
    last :func:`verify` found (one query, no file read: the figures show it on every page view).
    ``checked_at`` is the last check's time (None: never checked)."""
    counts = StoredFile.objects.aggregate(
        stored=Count("pk"),
        missing=Count("pk", filter=Q(check_result=CheckResult.MISSING)),
        changed=Count("pk", filter=Q(check_result=CheckResult.CHANGED)),
        unchecked=Count("pk", filter=Q(checked_at__isnull=True)),
        checked_at=Max("checked_at"),
    )
    return counts
