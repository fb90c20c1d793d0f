"""The employee pickers of the forms: active people by name or login."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from org import directory
from org.models import Employee


@require_GET
def employee_search(request: HttpRequest) -> HttpResponse:
    """Active employees whose name or username contains the query (any case, Cyrillic too).

    Serves the pickers: ``field`` names the form field the results are for; ``multi=1`` answers
    with checkboxes for an ``employees`` field, otherwise with ``<option>``s for a datalist.
    """
    field = request.GET.get("field", "")
    query = (request.GET.get("q") or request.GET.get(f"_search.{field}") or request.GET.get(field) or "").strip()
    people = employee_matches(query)
    template = "work/_employee_checkboxes.html" if request.GET.get("multi") else "work/_employee_options.html"
    return render(request, template, {"people": people, "name": field})


def employee_matches(query: str, limit: int = 20) -> list[Employee]:
    # In Python rather than SQL: SQLite folds only ASCII case, and a department is a few hundred people.
    needle = query.casefold()
    result = []
    for person in directory.active_employees().order_by("full_name"):
        if not needle or needle in person.full_name.casefold() or needle in person.user.username.casefold():
            result.append(person)
            if len(result) >= limit:
                break
    return result
