"""The new-task form, shared by the page and the API so both refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from base import clock, texts, words
from engine import access
from engine.models import Instance, InstanceStatus
from engine.titles import instance_title
from org import directory
from org.forms import EmployeeChoiceField
from org.models import Employee

#: How many of the newest visible instances the picker offers (a director sees them all).
PICKER_LIMIT = 200


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
        label=_("Процесс"),
        required=False,
        min_value=1,
        max_value=texts.MAX_ID,
        widget=forms.Select,
        help_text=_("Необязательно: задача будет видна из карточки процесса."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["responsible"].queryset = directory.active_employees().order_by("full_name")
        self.fields["instance"].widget.choices = self._instance_choices()

    def _instance_choices(self) -> list[tuple[str, str]]:
        """The instances the user sees, newest first, by their titles in words: a person picks a
        process by what it is, not by a number looked up elsewhere. The list is the newest
        :data:`PICKER_LIMIT`; one linked by ``?instance=`` (or sent) is kept even when older. The
        choice is only a convenience: :meth:`clean_instance` checks the access again."""
        visible = access.visible_instances(self.user).select_related("process__definition")
        shown = list(visible.order_by("-started_at", "-pk")[:PICKER_LIMIT])
        wanted = self.data.get("instance") if self.is_bound else self.initial.get("instance")
        if str(wanted or "").isdigit() and int(wanted) not in {i.pk for i in shown}:
            shown.extend(visible.filter(pk=int(wanted)))
        choices = [("", _("— без процесса —"))]
        for instance in shown:
            label = _("%(title)s, №%(number)s, запущен %(day)s") % {
                "title": instance_title(instance),
                "number": instance.pk,
                "day": words.day(instance.started_at),
            }
            if instance.status != InstanceStatus.RUNNING:
                label += f" ({instance.get_status_display()})"
            choices.append((str(instance.pk), label))
        return choices

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
