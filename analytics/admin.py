"""The baseline in the admin: one row, edited by administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from analytics.models import Baseline
from base import clock


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "avg_approval_days", "overdue_share_pct", "card_error_rate_pct", "updated_at")
    fields = ("avg_approval_days", "overdue_share_pct", "card_error_rate_pct", "manual_minutes_per_approval")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Baseline.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Baseline, form: Any, change: bool) -> None:
        obj.updated_at = clock.now()
        obj.updated_by = getattr(request.user, "employee", None)
        super().save_model(request, obj, form, change)
