"""The filters of the figures (page, exports and API share one check) and the baseline form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import figures
from analytics.models import Baseline
from base import texts
from engine.models import ProcessDefinition


def check_filters(period_from: date | None, period_to: date | None, process: str | None) -> dict[str, list[str]]:
    """An ordered period within the days Soglasie takes as input (``base.texts.day_problem``: a
    period from year 1 to 9999 overflowed the conversion to UTC) and a known process; errors by
    field (empty when all is well)."""
    errors: dict[str, list[str]] = {}
    for field, day in (("from", period_from), ("to", period_to)):
        problem = texts.day_problem(day) if day is not None else None
        if problem:
            errors[field] = [problem]
    default_from, default_to = figures.default_period()
    if not errors and (period_from or default_from) > (period_to or default_to):
        errors["to"] = [_("Конец периода раньше его начала.")]
    if process and not ProcessDefinition.objects.filter(key=process).exists():
        errors["process"] = [_("Нет такого процесса.")]
    return errors


class FilterForm(forms.Form):
    """``?from=2026-04-01&to=2026-04-30&process=trade_conditions``; empty means the default."""

    from_ = forms.DateField(label=gettext_lazy("С"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    to = forms.DateField(label=gettext_lazy("По"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    process = forms.ChoiceField(label=gettext_lazy("Процесс"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["process"].choices = [("", _("Все процессы"))] + [
            (d.key, _(d.name)) for d in ProcessDefinition.objects.order_by("name")
        ]
        # the query string says "from", a Python keyword
        self.fields["from"] = self.fields.pop("from_")
        self.order_fields(["from", "to", "process"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, messages in check_filters(cleaned.get("from"), cleaned.get("to"), cleaned.get("process")).items():
            for message in messages:
                self.add_error(field, message)
        return cleaned

    def values(self) -> tuple[date, date, str | None]:
        """The period and process to compute (defaults filled in); call after ``is_valid()``."""
        default_from, default_to = figures.default_period()
        data = self.cleaned_data
        return data.get("from") or default_from, data.get("to") or default_to, data.get("process") or None


class BaselineForm(forms.ModelForm):
    class Meta:
        model = Baseline
        fields = ["avg_approval_days", "overdue_share_pct", "card_error_rate_pct", "manual_minutes_per_approval"]
