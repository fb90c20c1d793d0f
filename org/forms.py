"""The log-in form, with the lock-outs of ``org.auth``; the absence form of the page «Отсутствия»."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from org import absences, directory
from org.auth import LoginLocked, authenticate_throttled
from org.models import Absence, AbsenceReason, Employee


class ThrottledAuthenticationForm(AuthenticationForm):
    #: The lock that refused this attempt, for the view to answer 429 with its ``Retry-After``.
    locked: LoginLocked | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = authenticate_throttled(self.request, username, password)
            except LoginLocked as locked:
                self.locked = locked
                raise forms.ValidationError(str(locked), code="locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class EmployeeChoiceField(forms.ModelChoiceField):
    """An active employee chosen by username (the API's word for a person), shown by full name."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Employee):
            return value.username
        return super().prepare_value(value)

    def label_from_instance(self, obj: Employee) -> str:
        return f"{obj.full_name} ({obj.position})" if obj.position else obj.full_name


def label(name: str) -> str:
    """A field's label: the model's own name for it, capitalised (one word for the page and the admin)."""
    return capfirst(Absence._meta.get_field(name).verbose_name)


class AbsenceForm(forms.Form):
    """The page's absence form: it only reads the input; ``org.absences.create`` refuses what is
    wrong, with the same sentences as the API."""

    employee = EmployeeChoiceField(
        label=label("employee"),
        queryset=Employee.objects.none(),
        to_field_name="user__username",
        error_messages={"invalid_choice": _("Сотрудник не найден или неактивен")},
    )
    starts = forms.DateField(label=label("starts"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends = forms.DateField(label=label("ends"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    substitute = EmployeeChoiceField(
        label=label("substitute"),
        queryset=Employee.objects.none(),
        to_field_name="user__username",
        error_messages={"invalid_choice": _("Сотрудник не найден или неактивен")},
        help_text=_("Сначала предложен постоянный заместитель сотрудника."),
    )
    reason = forms.ChoiceField(label=label("reason"), choices=AbsenceReason.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = absences.enterable_for(user).select_related("deputy__user")
        self.fields["employee"].queryset = people
        self.fields["substitute"].queryset = directory.active_employees().order_by("full_name")
        # Each person's deputy rides on their option, so the page's script preselects it on change.
        self.deputies = {p.username: d.username for p in people if (d := absences.default_substitute(p))}
        self.fields["employee"].widget.attrs["data-deputies"] = json.dumps(self.deputies)

    def values(self) -> dict[str, Any]:
        """What ``org.absences.create`` takes, from the cleaned data."""
        data = self.cleaned_data
        return {
            "employee": data["employee"].username,
            "starts": data["starts"],
            "ends": data["ends"],
            "substitute": data["substitute"].username,
            "reason": data["reason"],
        }
