"""Admin: processes and their versions (read-only), schedules (editable), instances for support."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from engine.models import Assignment, Instance, ProcessDefinition, ProcessVersion, Schedule


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnly):
    list_display = ["name", "key", "current"]


@admin.register(ProcessVersion)
class ProcessVersionAdmin(ReadOnly):
    list_display = ["definition", "version", "filename", "deployed_at", "deployed_by"]
    list_filter = ["definition"]
    exclude = ["xml"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["definition", "cron", "tz", "first_working_day", "enabled", "active_since"]
    readonly_fields = ["definition"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a schedule comes with its process file; here it is adjusted


@admin.register(Instance)
class InstanceAdmin(ReadOnly):
    list_display = ["__str__", "process_key", "status", "outcome", "started_by", "started_at", "finished_at"]
    list_filter = ["process_key", "status", "outcome"]
    exclude = ["state"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ["title", "assignee", "status", "due_at", "completed_at"]
    list_filter = ["status", "key"]
    search_fields = ["title"]
