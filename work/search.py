"""The header search: companies (name, ИНН), instances and assignments, only what the user may see.

It asks the lists' own permission checks (``crm.queries``, ``engine.access``) rather than its own,
so a search can never show a row that its list page would hide.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from base import words
from crm.queries import CompanyFilter, may_see_companies
from engine import access
from engine.models import Assignment, Instance

#: How many rows of each kind the page shows: a search narrows, it does not page.
LIMIT = 20


def _spellings(text: str) -> set[str]:
    """The cases a title is likely written in. SQLite's LIKE folds only ASCII, so «согласование»
    would miss «Согласование» by ``icontains`` alone; on PostgreSQL these are one spelling."""
    lower = text.casefold()
    return {text, lower, lower[:1].upper() + lower[1:]}


def matching_instances(user: Any, text: str) -> QuerySet[Instance]:
    """Instances ``user`` sees whose title or process name has ``text``, or whose number it is."""
    condition = Q()
    for spelling in _spellings(text):
        condition |= Q(process__definition__name__icontains=spelling)
    for spelling in _spellings(words.quarters_as_keys(text)):  # «II квартал 2027» finds «… 2027-Q2»
        condition |= Q(title__icontains=spelling)
    if text.isdigit() and len(text) < 18:
        condition |= Q(pk=int(text))
    return (
        access.visible_instances(user)
        .filter(condition)
        .select_related("process__definition", "started_by__user")
        .order_by("-started_at", "-pk")
    )


def matching_assignments(user: Any, text: str) -> QuerySet[Assignment]:
    """Assignments ``user`` sees whose title has ``text`` (any case, any alphabet)."""
    return (
        access.visible_assignments(user)
        .filter(Assignment.matching(text))
        .select_related("instance__process__definition", "assignee__user")
        .order_by("-created_at", "-pk")
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """``/search/?q=``: what matches, grouped by kind, each kind at most :data:`LIMIT` rows."""
    text = " ".join((request.GET.get("q") or "").split())[:200]
    groups: list[dict[str, Any]] = []
    if text:
        companies = CompanyFilter(q=text).apply()[:LIMIT] if may_see_companies(request.user) else []
        groups = [
            {"kind": "companies", "title": _("Контрагенты"), "rows": list(companies)},
            {"kind": "instances", "title": _("Процессы"), "rows": list(matching_instances(request.user, text)[:LIMIT])},
            {
                "kind": "assignments",
                "title": _("Задания"),
                "rows": list(matching_assignments(request.user, text)[:LIMIT]),
            },
        ]
    context = {
        "title": _("Поиск"),
        "search_query": text,
        "groups": groups,
        "found": sum(len(group["rows"]) for group in groups),
        "limit": LIMIT,
    }
    return render(request, "work/search.html", context)
