"""Template context shared by every page: the navigation.

A link appears only when its page exists: entries whose URL name does not resolve (an app not yet
installed) are left out rather than pointing at a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from org.access import is_administrator


def _sees_figures(user: Any) -> bool:
    from analytics.figures import may_see_figures

    return may_see_figures(user)


#: (url name, label, who sees it: None for everyone, or a predicate on the user)
NAVIGATION: list[tuple[str, Any, Any]] = [
    ("home", _("Лента"), None),
    ("assignments", _("Автоматизация"), None),
    ("tasks", _("Задачи"), None),
    ("companies", _("Контрагенты"), None),
    ("processes", _("Процессы"), None),
    ("absences", _("Отсутствия"), None),
    ("analytics", _("Показатели"), _sees_figures),
    ("admin:index", _("Администрирование"), is_administrator),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, allowed in NAVIGATION:
        if allowed is not None and not allowed(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    employee = getattr(user, "employee", None)
    return {"nav_items": items, "current_employee": employee}
