"""The list of companies: one filter specification for «Контрагенты» and ``GET /api/v1/companies``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from base.errors import NotFound
from crm.models import Company
from org.access import employee_of, is_administrator


@dataclass(frozen=True)
class CompanyFilter:
    """Companies matching a name or number fragment (``q``, any case, ё as е) and/or exactly an
    ИНН (``inn``), by name. Every logged-in employee sees every company: a department shares them."""

    q: str = ""
    inn: str = ""

    def apply(self) -> QuerySet[Company]:
        rows = Company.objects.select_related("responsible__user", "created_by_instance")
        if self.q.strip():
            needle = self.q.strip().casefold().replace("ё", "е")
            compact = "".join(needle.split())
            condition = Q(search_text__contains=needle)
            if compact.isdigit():
                condition |= Q(search_text__contains=compact)
            rows = rows.filter(condition)
        if self.inn.strip():
            rows = rows.filter(inn="".join(self.inn.split()))
        return rows.order_by(*Company._meta.ordering)


def may_see_companies(user: Any) -> bool:
    """Whether the user sees the department's companies at all: any employee, and administrators.
    A log-in that is nobody's employee record sees none (nor their files, nor their threads)."""
    if user is None or not user.is_authenticated:
        return False
    return is_administrator(user) or employee_of(user) is not None


def get_company_for_user(user: Any, pk: int, queryset: QuerySet[Company] | None = None) -> Company:
    """The company, or ``NotFound`` when it does not exist or the user sees no company: the one check
    of the card page, the API, the card's thread and the card's files (owner kind ``company``)."""
    company = (queryset if queryset is not None else Company.objects.all()).filter(pk=pk).first()
    if company is None or not may_see_companies(user):
        raise NotFound(_("Контрагент не найден."))
    return company


def may_see_company(user: Any, owner_id: str) -> bool:
    """``files.hooks``/``discussion.hooks`` form of :func:`get_company_for_user` (the id as the owner
    string ``company:<id>`` has it)."""
    pk = int(owner_id) if owner_id.isascii() and owner_id.isdigit() and 0 < int(owner_id) < 2**63 else None
    return pk is not None and may_see_companies(user) and Company.objects.filter(pk=pk).exists()
