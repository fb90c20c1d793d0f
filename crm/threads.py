"""The discussion of a company card: the thread kind ``company`` this room registers when its app
is ready (``discussion.hooks``).

Every employee sees every company (``crm.queries.CompanyFilter``), so whoever may open the card
reads and writes its thread; a new comment is told to the card's responsible person, their head
(«Руководитель»), those who wrote in the thread before, and the mentioned.
"""

from __future__ import annotations

from typing import Any

from crm.models import Company
from crm.queries import may_see_company
from discussion import hooks
from discussion.services import commenters
from files.hooks import owner
from org.models import Employee

#: The thread kind (and files owner kind) of a card: ``company:3``.
THREAD = "company"


def _company(owner_id: str) -> Company | None:
    pk = hooks.pk_of(owner_id)
    if pk is None:
        return None
    return Company.objects.select_related("responsible__user", "responsible_manager__user").filter(pk=pk).first()


def may_see(user: Any, owner_id: str) -> bool:
    """Whoever may read the card (any employee, an administrator) reads its thread too."""
    return may_see_company(user, owner_id)


def participants(owner_id: str) -> list[Employee]:
    company = _company(owner_id)
    if company is None:
        return []
    people = [company.responsible, company.responsible_manager]
    return [e for e in people if e is not None] + commenters(owner(THREAD, company.pk))


def title(owner_id: str) -> str:
    company = _company(owner_id)
    return company.name if company is not None else owner_id


def url(owner_id: str) -> str:
    return f"/companies/{owner_id}/"


def register() -> None:
    hooks.register_thread(THREAD, may_see=may_see, participants=participants, url=url, title=title)
