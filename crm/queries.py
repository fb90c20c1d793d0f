"""The list of companies: one filter specification for «Контрагенты» and ``GET /api/v1/companies``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from crm.models import Company


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
