"""Companies in the admin: administrators may add and correct cards outside the process.

The admin form runs the same `crm.services.check_card` as the process's form and the API (ИНН,
КПП, bank, duplicates...), normalises the values the same way, and every save writes a history row
with what changed. Deleting a company is not offered: the card is referenced by the process that
created it and its history is kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from base import clock
from crm import services
from crm.models import Company, CompanyChange, Contact, Document
from crm.validation import check_email, check_phone, check_url
from org.access import employee_of


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = services.SCALAR_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        card: dict[str, Any] = {}
        for field_id in services.SCALAR_FIELDS:
            value = cleaned.get(field_id)
            if field_id in services.EMPLOYEE_FIELDS:
                value = value.username if value is not None else ""
            elif field_id == "created_on":
                value = value.isoformat() if value else None
            card[field_id] = value
        check = services.check_card(card, company=self.instance.pk)
        for key, messages_ in check.errors.items():
            for message in messages_:
                self.add_error(key if key in self.fields else None, message)
        if check.ok:
            for field_id in services.SCALAR_FIELDS:
                if field_id not in services.EMPLOYEE_FIELDS and field_id != "created_on" and field_id in self.fields:
                    cleaned[field_id] = check.cleaned[field_id]
        self.card_warnings = [m for ms in check.warnings.values() for m in ms]
        return cleaned


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ("order", "name", "position", "phone", "email")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field_id, check in (("phone", check_phone), ("email", check_email)):
            message = check(cleaned.get(field_id))
            if message:
                self.add_error(field_id, message)
        return cleaned


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ("order", "kind", "title", "url")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        message = check_url(cleaned.get("url"))
        if message:
            self.add_error("url", message)
        elif not cleaned.get("url") and self.instance.file_id is None and not cleaned.get("DELETE"):
            # The row's file is not a field of this form, so its «link or file» constraint is not
            # validated by Django: the rule book's sentence, instead of a failed CHECK.
            self.add_error("url", gettext("Документ: укажите ссылку или приложите файл"))
        return cleaned


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    extra = 1


class DocumentInline(admin.TabularInline):
    """A row's file is shown, never chosen here: a file becomes the company's version through the
    card's save (``crm.services.company_file``), which keeps its version chain."""

    model = Document
    form = DocumentForm
    extra = 1
    readonly_fields = ("file",)


class CompanyChangeInline(admin.TabularInline):
    model = CompanyChange
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "instance", "changes")
    readonly_fields = fields
    verbose_name_plural = _("история изменений")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CompanyAdminForm
    list_display = ("name", "legal_form", "inn", "kpp", "kind", "city", "responsible", "created_at")
    list_filter = ("kind", "legal_form")
    search_fields = ("name", "short_name", "full_name", "inn", "search_text")
    readonly_fields = ("created_at", "created_by", "created_by_instance", "updated_at")
    inlines = (ContactInline, DocumentInline, CompanyChangeInline)
    fieldsets = (
        (None, {"fields": ("name", "kind", "legal_form", "business_group", "created_on")}),
        (
            _("Наименование и адрес"),
            {"fields": ("short_name", "full_name", "country", "region", "city", "legal_address")},
        ),
        (_("Реквизиты"), {"fields": ("inn", "kpp", "ogrn", "reg_number")}),
        (_("Банк"), {"fields": ("bank_bik", "bank_name", "bank_account", "bank_corr_account")}),
        (_("Ответственные"), {"fields": ("responsible", "department", "responsible_manager")}),
        (_("Происхождение"), {"fields": ("created_at", "created_by", "created_by_instance", "updated_at")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        if change:
            original = Company.objects.get(pk=obj.pk)
            obj._card_before = services.card_of(original)  # contacts and documents not yet saved
            obj.updated_at = clock.now()
        else:
            obj._card_before = None
            obj.created_by = employee_of(request.user)
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "card_warnings", []):
            messages.warning(request, warning)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        company = form.instance
        services.record_change(
            company,
            actor=employee_of(request.user),
            before=getattr(company, "_card_before", None),
            after=services.card_of(company),
        )
