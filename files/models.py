"""Stored files and the documents they are versions of.

A :class:`StoredFile` is one upload: its bytes live in the ``files`` storage (``STORAGES['files']``)
under a random name, never the user's. When a form, a card or a comment uses it, it becomes a
version of a :class:`Document`: the document of one *owner* (``instance:12``, ``company:3``, …; this
room does not interpret it) in one *slot* (a form field id, ``documents.0``, …). Nothing here is
ever deleted by a user: a document gets a new version, and every version stays downloadable.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from base import clock
from org.models import Employee


class Document(models.Model):
    """A document kept through its versions: the owner's document in one slot."""

    owner = models.CharField(_("владелец"), max_length=100, help_text=_("Вид и номер: instance:12, company:3…"))
    slot = models.CharField(_("место"), max_length=200, help_text=_("Поле формы или строка списка документов."))
    title = models.CharField(_("название"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("создан"), default=clock.now)

    class Meta:
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        ordering = ["owner", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "slot"], name="document_one_per_owner_slot")]

    def __str__(self) -> str:
        return self.title or f"{self.owner} · {self.slot}"

    @property
    def current(self) -> StoredFile | None:
        """The newest version (reads the prefetched versions when there are)."""
        versions = list(self.versions.all())
        return max(versions, key=lambda f: f.version or 0) if versions else None


class CheckResult(models.TextChoices):
    """What the last ``verify_files`` found for a file."""

    OK = "ok", _("в порядке")
    MISSING = "missing", _("нет в хранилище")
    CHANGED = "changed", _("содержимое изменилось")


class StoredFile(models.Model):
    """One upload: its name, size, sniffed type and SHA-256; a version of a document once used."""

    name = models.CharField(_("имя файла"), max_length=255)
    size = models.PositiveBigIntegerField(_("размер, байт"))
    content_type = models.CharField(_("тип содержимого"), max_length=127)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    storage_name = models.CharField(_("имя в хранилище"), max_length=300, unique=True)
    uploaded_by = models.ForeignKey(
        Employee, verbose_name=_("загрузил"), on_delete=models.PROTECT, related_name="uploaded_files"
    )
    uploaded_at = models.DateTimeField(_("загружен"), default=clock.now)
    document = models.ForeignKey(
        Document, verbose_name=_("документ"), null=True, blank=True, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(_("версия"), null=True, blank=True)
    attached_by = models.ForeignKey(
        Employee, verbose_name=_("приложил"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(_("приложен"), null=True, blank=True)
    checked_at = models.DateTimeField(_("проверен"), null=True, blank=True)
    check_result = models.CharField(_("итог проверки"), max_length=8, choices=CheckResult.choices, blank=True)

    class Meta:
        verbose_name = _("файл")
        verbose_name_plural = _("файлы")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="storedfile_one_per_version"),
            models.CheckConstraint(
                condition=Q(document__isnull=True, version__isnull=True) | Q(document__isnull=False, version__gte=1),
                name="storedfile_version_with_document",
            ),
        ]
        indexes = [models.Index(fields=["check_result"], name="storedfile_check_result")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The page download (log-in required; 404 for whoever may not see the file)."""
        return reverse("file_download", args=[self.pk])
