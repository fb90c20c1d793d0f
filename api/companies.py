"""Companies (контрагенты) — api.md, thin over `crm.services`.

Companies come into existence through the `add_counterparty` process; `POST /companies` exists for
administrators only (the same checks as the process's form). Anyone logged in may read the list and
the cards and check a card without saving it: a sales department shares its counterparties.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Router, Status

from base import listing
from base.errors import Forbidden, Invalid, NotFound
from crm import services
from crm.models import Company
from crm.queries import CompanyFilter
from engine import access
from org.access import employee_of, is_administrator

router = Router(tags=["companies"])

CARD_BODY = Body(..., description="the card fields of processes.md §2")
"""A card is a free JSON object: unknown keys are ignored and every rule is `validate_card`'s."""


def company_out(company: Company) -> dict[str, Any]:
    """The card fields of processes.md §2, plus id, created_at, created_by_instance and the page's url."""
    return {
        "id": company.pk,
        **services.card_of(company),
        "created_at": company.created_at,
        "updated_at": company.updated_at,
        "created_by_instance": company.created_by_instance_id,
        "created_by": company.created_by.username if company.created_by else None,
        "url": company.get_absolute_url(),
    }


def _page(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1 or limit > 500:
        raise Invalid({"limit": [_("от 1 до 500")]})
    if offset < 0:
        raise Invalid({"offset": [_("не меньше 0")]})
    return limit, offset


@router.get("/companies", response=dict)
def list_companies(
    request: HttpRequest, q: str | None = None, inn: str | None = None, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Companies by name or number fragment (`q`, any case) and/or exact ИНН (`inn`), by name."""
    limit, offset = _page(limit, offset)
    rows = CompanyFilter(q=q or "", inn=inn or "").apply()
    rows = rows.select_related("responsible_manager__user", "created_by__user")
    rows = rows.prefetch_related("contacts", "documents")
    found = listing.window(rows, limit=limit, offset=offset)
    return {"items": [company_out(c) for c in found.items], "count": found.count}


@router.post("/companies/check", response=dict)
def check_company(
    request: HttpRequest, payload: dict[str, Any] = CARD_BODY, instance: int | None = None
) -> dict[str, Any]:
    """The checks of the `add_counterparty` card form, nothing saved: {errors, warnings, duplicates}.

    `instance` (optional): the running process whose card this is, so its own earlier card is not
    reported as a duplicate of itself.
    """
    if instance is not None:
        access.get_instance_for_user(request.user, instance)
    return services.check_card(payload, instance=instance).as_dict()


@router.post("/companies", response={201: dict})
def create_company(request: HttpRequest, payload: dict[str, Any] = CARD_BODY):
    """Administrators only: a company outside the process, after the very same checks."""
    if not is_administrator(request.user):
        raise Forbidden(
            _("Контрагенты добавляются через процесс «Добавление контрагента»; напрямую — только администратор.")
        )
    check = services.check_card(payload)
    if not check.ok:
        raise Invalid(check.errors)
    cleaned = services.fill_defaults(dict(check.cleaned), starter=None)
    company = services.create_company(cleaned, actor=employee_of(request.user))
    return Status(201, {**company_out(company), "warnings": check.warnings})


@router.get("/companies/{company_id}", response=dict)
def get_company(request: HttpRequest, company_id: int) -> dict[str, Any]:
    company = (
        Company.objects.select_related("responsible__user", "responsible_manager__user", "created_by__user")
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        raise NotFound(_("Контрагент не найден."))
    data = company_out(company)
    data["history"] = [
        {
            "at": change.at,
            "actor": change.actor.username if change.actor else None,
            "action": change.action,
            "instance": change.instance_id,
            "changes": change.changes,
        }
        for change in company.changes.select_related("actor__user").order_by("at", "pk")
    ]
    return data
