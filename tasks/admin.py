"""Admin of tasks, for support: find a task, fix its responsible person, deadline or wording.

Status and completion stay read-only here: completing goes through ``tasks.services.complete_task``
(the Tasks pages or the API), which also moves a waiting process on. A task a process step waits for
cannot be deleted, or its process would wait forever.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks.models import Task, TaskComment


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    fields = ["created_at", "author", "text"]
    readonly_fields = ["created_at", "author"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "responsible", "created_by", "deadline", "status", "completed_at", "instance"]
    list_filter = ["status"]
    search_fields = ["title", "responsible__full_name", "created_by__full_name"]
    raw_id_fields = ["responsible"]
    readonly_fields = [
        "created_by",
        "created_at",
        "status",
        "completed_at",
        "completed_by",
        "instance",
        "process_task_id",
    ]
    inlines = [TaskCommentInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("responsible", "created_by", "instance")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, so a process's task is never swept away
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new tasks come from the Tasks page or the API, which notify the responsible person

    def has_delete_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        if obj is not None and obj.process_task_id:
            return False
        return super().has_delete_permission(request, obj)
