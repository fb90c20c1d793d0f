"""The page of a decision link from an ``assigned`` e-mail (``/a/<token>``, ``notify.links``).

GET never acts: a director's mail reader, a link preview or a virus scanner may open the link
before the director does. It shows what is being decided (the assignment's summary, its documents,
the outcome, and the boxes the outcome requires) and a confirm button; POST decides.

The token is the credential, so the page needs no session and makes none (``login_not_required``;
it never logs anyone in), and the POST is CSRF-exempt by design: a forged cross-site POST would
need the token, and whoever has the token may decide anyway. It is single-use and rate-limited per
client address (``org.auth.client_address``), like the log-in page, so that nobody can try tokens
at speed; at 256 bits nobody could guess one anyway.

Answers: 200 the page, or «Готово» after the decision; 400 the page again with the engine's
refusal (a required comment missing); 403 four eyes; 404 a forged or unknown token; 410 a link
that no longer decides anything (used, expired, its assignment closed or moved), saying why and,
when it was decided, by whom and when; 429 too many requests from one address.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from base.errors import Forbidden, Invalid, TooManyRequests
from base.ratelimit import TokenBuckets
from crm.services import company_of
from engine.definitions import model_for
from engine.documents import instance_documents
from notify import links
from notify.models import DecisionLink
from org.auth import client_address
from processes import names
from work.present import documents_in, labels_of

#: Requests a minute per client address, and the burst: a person opens and confirms a few links;
#: a script trying tokens is slowed to a crawl. Per web server process (``base.ratelimit``).
RATE_PER_MINUTE = 20
BURST = 20
_per_address = TokenBuckets()


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def decision_link(request: HttpRequest, token: str) -> HttpResponse:
    """Show (GET) or take (POST) the one decision a link of an ``assigned`` e-mail stands for."""
    _limit(request)
    link = links.find(token)  # NotFound: the refusal pages answer 404
    reason = links.why_dead(link)
    if reason is not None:
        return _dead(request, link, reason)
    fields = links.needed_fields(link)
    if request.method == "GET":
        return _page(request, link, fields)
    values = {f.id: request.POST.get(f.id, "") for f in fields}
    try:
        done = links.decide(link, values)
    except links.Dead as dead:
        link.refresh_from_db()
        link.assignment.refresh_from_db()
        return _dead(request, link, dead.reason)
    except Invalid as error:
        return _page(request, link, fields, values=values, errors=error.errors, status=400)
    except Forbidden as error:
        return _page(request, link, fields, values=values, refusal=error.message, status=403)
    return render(
        request,
        "work/decision_link_done.html",
        {"assignment": done, "outcome": links.outcome_label(link), "title": _("Готово")},
    )


def _limit(request: HttpRequest) -> None:
    wait = _per_address.take(client_address(request), rate=RATE_PER_MINUTE / 60, burst=BURST)
    if wait:
        raise TooManyRequests(
            _("Слишком много запросов ссылок из писем с одного адреса. Повторите через %(seconds)d с.")
            % {"seconds": math.ceil(wait)},
            retry_after=math.ceil(wait),
        )


def _summary(link: DecisionLink) -> dict[str, Any]:
    """What the person deciding needs to see: the process, the step, the company, who started it,
    the due date and the documents of the steps before."""
    assignment = link.assignment
    instance = assignment.instance
    labels, _options, _types = labels_of(model_for(instance.process))
    earlier = instance.assignments.filter(completed_at__isnull=False).exclude(pk=assignment.pk).order_by("completed_at")
    company = company_of(instance)
    if company is not None:
        company_name = company.name
    elif instance.process_key == names.ADD_COUNTERPARTY:
        company_name = (instance.variables or {}).get(names.CARD_NAME) or ""
    else:
        company_name = ""
    return {
        "link": link,
        "assignment": assignment,
        "instance": instance,
        "definition": instance.process.definition,
        "company_name": company_name,
        "outcome": links.outcome_label(link),
        "documents": documents_in(labels, *[a.data for a in earlier], instance.variables),
        "stored_documents": instance_documents(instance),
    }


def _page(
    request: HttpRequest,
    link: DecisionLink,
    fields: list[Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    boxes = [
        {
            "id": f.id,
            "html_id": f"f-{f.id}",
            "label": f.label or f.id,
            "widget": f.type,
            "required": True,
            "value": (values or {}).get(f.id, ""),
            "errors": errors.get(f.id, []),
        }
        for f in fields
    ]
    shown = {f.id for f in fields}
    other_errors = [message for key, messages in errors.items() if key not in shown for message in messages]
    context = {
        **_summary(link),
        "boxes": boxes,
        "other_errors": other_errors,
        "refusal": refusal,
        "title": link.assignment.title,
    }
    return render(request, "work/decision_link.html", context, status=status)


def _dead(request: HttpRequest, link: DecisionLink, reason: str) -> HttpResponse:
    """410: the link decides nothing any more; the page says why."""
    context = {**_summary(link), "reason": reason, "title": _("Ссылка больше не действует")}
    return render(request, "work/decision_link_dead.html", context, status=410)
