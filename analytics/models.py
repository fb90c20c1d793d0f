"""The department's figures from before Soglasie (the baseline the page compares against).

Everything else the figures show is computed from the engine's own rows (instances, assignments,
history), so there is nothing here that could drift from what actually happened.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock
from org.models import Employee


class Baseline(models.Model):
    """A single row: what an administrator says the department looked like before.

    ``load()`` returns it (or None before anybody entered it); ``pk`` is always 1, so a second
    row cannot appear.
    """

    avg_approval_days = models.DecimalField(
        _("среднее время согласования, дней"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    overdue_share_pct = models.DecimalField(
        _("доля просроченных заданий, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    card_error_rate_pct = models.DecimalField(
        _("доля карточек контрагентов с ошибками, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Ошибки, найденные в карточках, к числу поданных карточек."),
    )
    manual_minutes_per_approval = models.DecimalField(
        _("ручная работа на одно согласование, минут"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Рассылка, напоминания, сбор подписей и поиск документов вручную."),
    )
    updated_at = models.DateTimeField(_("изменено"), default=clock.now)
    updated_by = models.ForeignKey(
        Employee, verbose_name=_("изменил"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("показатели до внедрения")
        verbose_name_plural = _("показатели до внедрения")

    def __str__(self) -> str:
        return str(_("Показатели до внедрения"))

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> Baseline | None:
        return cls.objects.filter(pk=1).first()
