"""The org chart: departments, employees, their line managers, roles and deputies.

The process engine asks this app only a few questions (see ``org.directory``): who is the line
manager of an employee, who holds a role, who is active. Everything else here is for people.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock


class RoleCode(models.TextChoices):
    """The six roles of ``processes.md``; a person may hold several."""

    DIRECTOR = "director", _("Генеральный директор")
    FINANCE_DIRECTOR = "finance_director", _("Финансовый директор")
    SALES_HEAD = "sales_head", _("Руководитель отдела продаж")
    SALES_ADMIN = "sales_admin", _("Администратор отдела продаж")
    ACCOUNTANT = "accountant", _("Бухгалтер")
    SALES_MANAGER = "sales_manager", _("Менеджер по продажам")


class Department(models.Model):
    name = models.CharField(_("название"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("вышестоящее подразделение"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("подразделение")
        verbose_name_plural = _("подразделения")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Department]:
        """From the root down to the parent; guards against cycles an admin might create."""
        chain: list[Department] = []
        node = self.parent
        while node is not None and node not in chain and node != self:
            chain.insert(0, node)
            node = node.parent
        return chain


class Role(models.Model):
    code = models.CharField(_("код"), max_length=40, unique=True, choices=RoleCode.choices)

    class Meta:
        verbose_name = _("роль")
        verbose_name_plural = _("роли")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(RoleCode(self.code).label) if self.code in RoleCode.values else self.code


class Employee(models.Model):
    """A person of the company; one-to-one with a log-in.

    Employees are never deleted: deactivating one (``org.directory.deactivate``) keeps their history
    and hands their open work to their line manager.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("пользователь"), on_delete=models.PROTECT, related_name="employee"
    )
    full_name = models.CharField(_("ФИО"), max_length=200)
    position = models.CharField(_("должность"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("подразделение"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
    )
    manager = models.ForeignKey(
        "self", verbose_name=_("руководитель"), null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    deputy = models.ForeignKey(
        "self",
        verbose_name=_("заместитель"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_for",
        help_text=_("Может выполнять задания сотрудника, например на время отпуска."),
    )
    roles = models.ManyToManyField(Role, verbose_name=_("роли"), blank=True, related_name="employees")
    is_active = models.BooleanField(_("работает"), default=True)

    class Meta:
        verbose_name = _("сотрудник")
        verbose_name_plural = _("сотрудники")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def username(self) -> str:
        return self.user.get_username()

    def clean(self) -> None:
        """Refuse a manager chain that loops back: line-manager questions must terminate."""
        errors = {}
        if self.manager_id and self.manager_id == self.pk:
            errors["manager"] = _("Сотрудник не может быть своим руководителем.")
        elif self.manager_id and self.pk:
            node, seen = self.manager, set()
            while node is not None and node.pk not in seen:
                if node.pk == self.pk:
                    errors["manager"] = _("Такое подчинение образует цикл.")
                    break
                seen.add(node.pk)
                node = node.manager
        if self.deputy_id and self.deputy_id == self.pk:
            errors["deputy"] = _("Сотрудник не может быть своим заместителем.")
        if errors:
            raise ValidationError(errors)

    def role_codes(self) -> set[str]:
        return {role.code for role in self.roles.all()}


class AbsenceReason(models.TextChoices):
    """Why someone is away; the API sends the ids, the pages show the words."""

    VACATION = "vacation", _("отпуск")
    SICK_LEAVE = "sick_leave", _("больничный")
    BUSINESS_TRIP = "business_trip", _("командировка")
    OTHER = "other", _("другое")


class Absence(models.Model):
    """An employee away from the first day to the last (dates in the company's time zone, both
    included), and who takes their work meanwhile (``org.absences``).

    ``moved_at`` is the start sweep's mark (``engine.sweeps``): set in the transaction that moved the
    employee's open work to the substitute, so the move happens once however many workers run.
    """

    employee = models.ForeignKey(
        Employee, verbose_name=_("сотрудник"), on_delete=models.PROTECT, related_name="absences"
    )
    starts = models.DateField(_("первый день"))
    ends = models.DateField(_("последний день"))
    substitute = models.ForeignKey(
        Employee, verbose_name=_("замещает"), on_delete=models.PROTECT, related_name="substitutions"
    )
    reason = models.CharField(_("причина"), max_length=20, choices=AbsenceReason.choices)
    created_by = models.ForeignKey(
        Employee, verbose_name=_("внёс"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("внесено"), default=clock.now)
    moved_at = models.DateTimeField(_("задания переданы"), null=True, blank=True)

    class Meta:
        verbose_name = _("отсутствие")
        verbose_name_plural = _("отсутствия")
        ordering = ["-starts", "-pk"]
        indexes = [
            models.Index(fields=["employee", "starts", "ends"], name="absence_employee_days"),
            models.Index(fields=["moved_at", "starts"], name="absence_to_start"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.starts:%d.%m.%Y}–{self.ends:%d.%m.%Y}"


class LoginFailure(models.Model):
    """One failed log-in, kept for the lock-out window (see ``org.auth``)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("неудачный вход")
        verbose_name_plural = _("неудачные входы")
        indexes = [
            models.Index(fields=["username", "address", "at"], name="loginfailure_lookup"),
            models.Index(fields=["address", "at"], name="loginfailure_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address}"
