"""Admin of stored files, for support: read-only. Nothing is deleted or changed by hand: a document
gets new versions through the forms, and every version stays as it was uploaded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from files.models import Document, StoredFile


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = StoredFile
    fields = ["version", "name", "size", "sha256", "uploaded_by", "uploaded_at", "check_result"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ["owner", "slot", "title", "created_at"]
    search_fields = ["owner", "slot", "title"]
    inlines = [VersionInline]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnly):
    list_display = ["name", "size", "content_type", "uploaded_by", "uploaded_at", "document", "version", "check_result"]
    list_filter = ["check_result", "content_type"]
    search_fields = ["name", "sha256", "document__owner"]
    list_select_related = ["uploaded_by", "document"]
