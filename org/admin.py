"""Django admin for the org chart, in Russian."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from org import directory
from org.models import Absence, Department, Employee, Role


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "parent"]
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the six roles are part of the processes' contract

    def has_delete_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        return False


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "position", "department", "manager", "is_active"]
    list_filter = ["is_active", "department", "roles"]
    search_fields = ["full_name", "user__username", "position"]
    autocomplete_fields = ["user", "manager", "deputy"]
    filter_horizontal = ["roles"]
    readonly_fields = ["is_active"]
    actions = ["deactivate_selected"]

    def has_delete_permission(self, request: HttpRequest, obj: Employee | None = None) -> bool:
        return False  # people are deactivated, never deleted: their history stays

    @admin.action(description=_("Деактивировать выбранных сотрудников"))
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Employee]) -> None:
        actor = getattr(request.user, "employee", None)
        count = 0
        for employee in queryset.filter(is_active=True):
            directory.deactivate(employee, by=actor)
            count += 1
        self.message_user(
            request,
            ngettext("Деактивирован %(count)d сотрудник.", "Деактивировано сотрудников: %(count)d.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """Absences for the record; entering and ending them is the page «Отсутствия», whose checks
    (overlaps, the substitute) the admin form would pass over."""

    list_display = ["employee", "starts", "ends", "substitute", "reason", "moved_at"]
    list_filter = ["reason"]
    search_fields = ["employee__full_name", "substitute__full_name"]
    date_hierarchy = "starts"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Absence | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Absence | None = None) -> bool:
        return False  # taken back on the page: one under way ends today rather than vanishing
