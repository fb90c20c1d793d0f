"""Comments and participants are read-only in the admin: a comment is history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from discussion.models import Comment, Participant


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(_ReadOnly):
    list_display = ["owner", "author", "created_at", "edited_at"]
    list_filter = ["created_at"]
    search_fields = ["owner", "text", "author__full_name"]


@admin.register(Participant)
class ParticipantAdmin(_ReadOnly):
    list_display = ["owner", "employee", "why", "since"]
    search_fields = ["owner", "employee__full_name"]
