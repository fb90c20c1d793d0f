"""Comments and participants are read-only in the admin: a comment is history."""

from __future__ import annotations

from django.contrib import admin

from discussion.models import Comment, Participant
from files.admin import ReadOnly


@admin.register(Comment)
class CommentAdmin(ReadOnly):
    list_display = ["owner", "author", "created_at", "edited_at"]
    list_filter = ["created_at"]
    search_fields = ["owner", "text", "author__full_name"]
    list_select_related = ["author"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnly):
    list_display = ["owner", "employee", "why", "since"]
    search_fields = ["owner", "employee__full_name"]
    list_select_related = ["employee"]
