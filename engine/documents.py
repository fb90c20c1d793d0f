"""An instance's stored documents: the files its forms carry, their versions, and what each decision saw.

A ``file``/``files`` form field (``engine.forms``) holds stored files' ids; the files themselves live
in the ``files`` room as versions of the instance's documents (owner ``instance:<id>``). A field's
``slot`` names the document it fills, so the revision step of a rework loop, naming the slot of the
first upload, adds version N+1 of the same document; a row of a ``list`` field (the card's
documents) fills the document named by its title. Every completion records in its history entry
(``_documents``) the current version of each document at that moment, with its SHA-256: that is
"which version the director approved", kept as long as the history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from engine.forms import FieldDef, FormDefinition
from engine.models import History, HistoryEvent, Instance
from files import hooks as file_hooks
from files import services as files
from files.models import Document, StoredFile
from org.models import Employee

#: The history key of the documents a completion saw (a leading ``_``: not form data, never shown as such).
SEEN = "_documents"


def owner_of(instance: Instance | int) -> str:
    return file_hooks.owner("instance", getattr(instance, "pk", instance))


def refusal_for(instance: Instance, actor: Employee | None, form: FormDefinition | None = None) -> Any:
    """The ``file_refusal`` of ``forms.validate`` for a step of ``instance``: one's own new upload, or
    a version the instance's document already has (a pre-filled revision sends it back).

    A ``file`` field of the form itself fills its slot, so only that document's versions come back
    to it; a ``file`` cell of a ``list`` row fills the document its row's title names
    (:func:`_row_files`), not a slot of its own, so any of the instance's versions may come back to it.
    """
    top = {id(f) for f in form.fields} if form is not None else None

    def refuse(value: Any, field: FieldDef) -> str | None:
        if actor is None:
            return _("Приложить файл может только сотрудник.")
        own_slot = field.type == "file" and (top is None or id(field) in top)
        return files.refusal(value, by=actor, owner=owner_of(instance), slot=field.slot if own_slot else None)

    return refuse


@dataclass(frozen=True)
class FileValue:
    """One file a submission carries: the field (``documents.file`` inside a list), its document's slot
    and title."""

    field: str
    slot: str
    file_id: int
    title: str


def file_values(form: FormDefinition, cleaned: dict[str, Any]) -> Iterator[FileValue]:
    for f in form.fields:
        value = cleaned.get(f.id)
        if f.type == "file" and value:
            yield FileValue(f.id, f.slot, value, f.label)
        elif f.type == "files":
            for file_id in value or []:
                yield FileValue(f.id, f"{f.slot}.{file_id}", file_id, f.label)
        elif f.type == "list":
            for index, row in enumerate(value or []):
                yield from _row_files(f, index, row)


def _row_files(f: FieldDef, index: int, row: dict[str, Any]) -> Iterator[FileValue]:
    title = next((str(row[s.id]).strip() for s in f.fields if s.type == "text" and row.get(s.id)), "")
    for sub in f.fields:
        if sub.type == "file" and row.get(sub.id):
            # A row is its title's document: the same title sent again with a new file is its next version.
            slot = f"{f.id}/{title.casefold()[:150]}" if title else f"{f.id}/{index + 1}"
            yield FileValue(f"{f.id}.{sub.id}", slot, row[sub.id], title or sub.label)


def attach_submitted(form: FormDefinition, cleaned: dict[str, Any], instance: Instance, actor: Employee) -> None:
    """Make the files of a completed form versions of the instance's documents (inside the step's
    transaction: the versions exist exactly when the completion does)."""
    for value in file_values(form, cleaned):
        files.attach([value.file_id], owner=owner_of(instance), slot=value.slot, by=actor, title=value.title)


def snapshot(instance: Instance) -> list[dict[str, Any]]:
    """The current version of each of the instance's documents, for a completion's history entry."""
    latest: dict[int, StoredFile] = {}
    for stored in StoredFile.objects.filter(document__owner=owner_of(instance)).order_by("document_id", "version"):
        latest[stored.document_id] = stored
    return [
        {"file": s.pk, "version": s.version, "sha256": s.sha256, "name": s.name} for s in latest.values()
    ]


@dataclass
class Version:
    stored: StoredFile
    step: str  # the key of the step whose form carried it ("" when it came some other way)
    seen_by: list[History]  # the completions that saw it as the current version


@dataclass
class InstanceDocument:
    document: Document
    field: str
    versions: list[Version]

    @property
    def current(self) -> Version:
        return self.versions[-1]


def instance_documents(instance: Instance) -> list[InstanceDocument]:
    """The instance's documents, oldest first, each with all its versions, the step that brought each
    and the decisions that saw it (two queries: the documents with their versions, and the history)."""
    documents = files.versions(owner_of(instance))
    if not documents:
        return []
    completions = list(
        History.objects.filter(instance=instance, event=HistoryEvent.COMPLETED)
        .select_related("actor__user", "assignment")
        .order_by("at", "pk")
    )
    brought: dict[int, tuple[str, str]] = {}
    seen: dict[int, list[History]] = {}
    for entry in completions:
        for file_id, field in _ids_in(entry.data or {}):
            brought.setdefault(file_id, (entry.key, field))
        for item in (entry.data or {}).get(SEEN) or []:
            if isinstance(item, dict) and isinstance(item.get("file"), int):
                seen.setdefault(item["file"], []).append(entry)
    result = []
    for document in documents:
        versions = [
            Version(stored, brought.get(stored.pk, ("", ""))[0], seen.get(stored.pk, []))
            for stored in document.versions.all()
        ]
        if versions:
            field = next((brought[v.stored.pk][1] for v in versions if v.stored.pk in brought), document.slot)
            result.append(InstanceDocument(document, field, versions))
    return result


def _ids_in(data: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """File ids in a completion's form data with the field that carried them (a list's cells by
    ``list.sub``). A form's data holds ids only in file fields: other numbers are not looked at by
    the caller unless they match a version of the instance's documents."""
    for key, value in data.items():
        if key.startswith("_"):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            yield value, key
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, int) and not isinstance(item, bool):
                    yield item, key
                elif isinstance(item, dict):
                    for sub, cell in item.items():
                        if isinstance(cell, int) and not isinstance(cell, bool):
                            yield cell, f"{key}.{sub}"
