"""The new-task form, shared by the page and the API so both refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from base import clock, texts
from engine import access
from engine.models import Instance
from org import directory
from org.forms import EmployeeChoiceField
from org.models import Employee


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Название"), max_length=texts.MAX_TITLE)
    description = forms.CharField(
        label=_("Описание"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=texts.MAX_TEXT
    )
    responsible = EmployeeChoiceField(
        label=_("Ответственный"),
        queryset=Employee.objects.none(),
        to_field_name="user__username",
        error_messages={"invalid_choice": _("Сотрудник не найден или неактивен")},
    )
    deadline = forms.DateTimeField(
        label=_("Срок"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Дата и время по Москве; можно оставить пустым."),
    )
    instance = forms.IntegerField(
        label=_("Номер процесса"),
        required=False,
        min_value=1,
        max_value=texts.MAX_ID,
        help_text=_("Необязательно: задача будет видна из карточки процесса."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["responsible"].queryset = directory.active_employees().order_by("full_name")

    def clean_title(self) -> str:
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise forms.ValidationError(_("Обязательное поле"))
        return title

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data.get("deadline")
        problem = texts.day_problem(deadline.date()) if deadline is not None else None
        if problem:
            raise forms.ValidationError(problem)
        if deadline is not None and deadline <= clock.now():
            raise forms.ValidationError(_("Срок уже прошёл: укажите время в будущем"))
        return deadline

    def clean_instance(self) -> Instance | None:
        number = self.cleaned_data.get("instance")
        if number is None:
            return None
        instance = access.visible_instances(self.user).filter(pk=number).first()
        if instance is None:
            raise forms.ValidationError(_("Процесс с таким номером не найден"))
        return instance

    def errors_by_field(self) -> dict[str, list[str]]:
        """Errors as the API returns them: ``{field: [message]}``."""
        return {name: [str(message) for message in messages] for name, messages in self.errors.items()}
