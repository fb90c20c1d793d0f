"""Pages of the crm app: the company list, the company card, and the htmx check of one card field.

The card form itself is not here: it is the form of the `fill_card` / `revise_card` assignments,
shown by the assignment page, which includes `crm/card_form.html` (see `crm.templatetags.crm_cards`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from base import listing
from base.errors import NotFound
from crm import lookup, services
from crm.choices import document_kind_label
from crm.models import Company, CompanyStatus
from crm.queries import CompanyFilter, get_company_for_user
from crm.templatetags.crm_cards import feedback_for, filled_input
from crm.threads import THREAD
from crm.validation import CONTACT_FIELDS, DOCUMENT_FIELDS, FIELDS, LABELS
from discussion.views import thread_context
from engine import access
from engine.forms import row_key
from files.hooks import owner
from files.models import StoredFile
from org.access import is_administrator

_ROW_COLUMNS = {"contacts": CONTACT_FIELDS, "documents": DOCUMENT_FIELDS}

# When one field changes, these fields' checks may change too (their rules read it).
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "legal_form": ("inn", "kpp", "ogrn", "reg_number", "bank_account", "country"),
    "country": ("region",),
    "kpp": ("inn",),
    "bank_bik": ("bank_account", "bank_corr_account"),
}


def card_from_post(data: Any) -> dict[str, Any]:
    """A card from an HTML form: field ids as names, list rows as `contacts.0.name`.

    Rows keep their position (blank ones included) so an error key such as `contacts.2.email` is
    the input the user typed into; `validate_card` drops the blank rows from the cleaned card.
    """
    card: dict[str, Any] = {key: data.get(key) for key in FIELDS if key not in _ROW_COLUMNS}
    for list_id in _ROW_COLUMNS:
        card[list_id] = []
    for key in data:
        cell = _cell(key)
        if cell is None:
            continue
        list_id, index, column = cell
        rows = card[list_id]
        while len(rows) <= index:
            rows.append({})
        rows[index][column] = data.get(key)
    return card


@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    """Companies by name or ИНН; with htmx only the results are re-rendered as the user types."""
    q = (request.GET.get("q") or "").strip()
    inn = (request.GET.get("inn") or "").strip()
    page = listing.page(CompanyFilter(q=q, inn=inn).apply(), request.GET.get("page"))
    query = urlencode({name: value for name, value in (("q", q), ("inn", inn)) if value})
    context = {
        "title": _("Контрагенты"),
        "page": page,
        "q": q,
        "inn": inn,
        "total": page.count,
        "query": query,
        "may_import": is_administrator(request.user),
        "columns": [_("Название"), _("ИНН / КПП"), _("Тип"), _("Город"), _("Ответственный")],
    }
    template = "crm/_company_results.html" if request.htmx and not request.htmx.boosted else "crm/company_list.html"
    return render(request, template, context)


@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The company card: requisites, contacts, documents, history, the process that created it and
    the card's discussion."""
    company = get_company_for_user(
        request.user,
        pk,
        Company.objects.select_related(
            "responsible__user", "responsible_manager__user", "created_by__user", "created_by_instance"
        ),
    )
    instance = company.created_by_instance
    instance_visible = bool(
        instance is not None and access.visible_instances(request.user).filter(pk=instance.pk).exists()
    )
    context = {
        "company": company,
        "contacts": company.contacts.all(),
        "documents": company.documents.select_related("file"),
        "changes": history_rows(company),
        "instance": instance,
        "instance_visible": instance_visible,
        "thread": thread_context(request.user, owner(THREAD, company.pk)),
    }
    return render(request, "crm/company_detail.html", context)


@require_POST
def check_field(request: HttpRequest) -> HttpResponse:
    """htmx: the feedback of one card field (`?field=inn`) checked with the whole form's values.

    The same `crm.services.check_card` as the process and the API, so what the user sees on
    leaving a field is what submitting says. Fields whose rules read this one are refreshed out of
    band (a changed legal form re-checks the ИНН); an empty one is only cleared, because its
    "required" message should wait until the user gets to it.
    """
    field_id = request.GET.get("field") or request.POST.get("_field") or ""
    if field_id not in FIELDS and _cell(field_id) is None:
        return HttpResponseBadRequest("unknown field")
    card = card_from_post(request.POST)
    instance_id = _own_instance(request)
    # Leaving the ИНН field may ask the register (no transaction waits here); other fields read
    # what it answered.
    check = services.check_card(card, instance=instance_id, live=field_id == "inn")
    parts = [feedback_for(field_id, check, value=_value_of(card, field_id))]
    for dependent in DEPENDENTS.get(field_id, ()):
        value = _value_of(card, dependent)
        parts.append(feedback_for(dependent, check, value=value, oob=True, quiet=not value))
    return HttpResponse("".join(parts))


@require_POST
def lookup_fill(request: HttpRequest) -> HttpResponse:
    """htmx: «Заполнить по ИНН» — the card's empty fields from the register, in place.

    Fields the person typed are never replaced: where the register says otherwise, the answer
    shows both and a button that posts again naming them (``_overwrite``). A provider that is
    down (or not configured) is a sentence in the answer; the form stays as it was.
    """
    card = card_from_post(request.POST)
    overwrite = [key for key in (request.POST.get("_overwrite") or "").split(",") if key in FIELDS]
    if not lookup.configured():
        context: dict[str, Any] = {"message": lookup.not_configured().message}
        return HttpResponse(render_to_string("crm/_lookup_result.html", context, request=request))
    filled = services.fill_from_register(card, overwrite=overwrite)
    answer = filled.answer
    context = {"found": isinstance(answer, lookup.Found), "missing": isinstance(answer, lookup.Missing)}
    parts = []
    if isinstance(answer, lookup.Refusal):
        context["message"] = answer.message
    elif isinstance(answer, lookup.Found):
        party = answer.party
        check = services.check_card(filled.card, instance=_own_instance(request))
        context.update(
            source=lookup.SOURCE_NAME,
            filled=[_(LABELS[key]) for key in filled.filled],
            differing=[
                {"label": _(LABELS[key]), "typed": typed, "registered": registered}
                for key, (typed, registered) in filled.differing.items()
            ],
            overwrite=",".join(filled.differing),
            warning=lookup.status_warning(party.inn, party.status, party.liquidation_date, party.actuality_date),
        )
        parts = [filled_input(key, value, check) for key, value in filled.filled.items()]
        if "inn" not in filled.filled:
            parts.append(feedback_for("inn", check, value=card.get("inn"), oob=True))
    return HttpResponse(render_to_string("crm/_lookup_result.html", context, request=request) + "".join(parts))


def _cell(key: str) -> tuple[str, int, str] | None:
    """A cell of the card's contacts or documents (``contacts.0.email``), or None."""
    cell = row_key(key)
    return cell if cell is not None and cell[2] in _ROW_COLUMNS.get(cell[0], ()) else None


def history_rows(company: Company) -> list[dict[str, Any]]:
    """The card's history, newest first, for the page: two queries (the rows, then every file their
    document rows name), whatever the number of changes."""
    changes = list(company.changes.select_related("actor").order_by("-at", "-pk"))
    ids = {
        row.get("file")
        for change in changes
        for side in ("old", "new")
        for row in ((change.changes or {}).get("documents") or {}).get(side) or []
        if isinstance(row, dict)
    }
    stored = StoredFile.objects.in_bulk([pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)])
    return [_history_row(change, stored) for change in changes]


def _history_row(change: Any, stored: Mapping[int, StoredFile]) -> dict[str, Any]:
    """A history row with field labels and readable values (list rows joined) for the page; the
    documents in words (:func:`document_lines`)."""
    changes = change.changes or {}
    items = [
        {
            "label": _(LABELS.get(field_id, field_id)),
            "old": _readable(values.get("old"), field_id),
            "new": _readable(values.get("new"), field_id),
        }
        for field_id, values in changes.items()
        if field_id != "documents"
    ]
    documents = changes.get("documents") or {}
    return {
        "at": change.at,
        "actor": change.actor,
        "action": change.get_action_display(),
        "updated": change.action == "updated",
        "source": change.get_source_display() if change.source else "",
        "items": items,
        "documents": document_lines(documents.get("old"), documents.get("new"), stored) if documents else [],
    }


def document_lines(old: Any, new: Any, stored: Mapping[int, StoredFile]) -> list[str]:
    """What happened to the card's documents between two versions of its rows, in words: added,
    replaced (a new file: the version it is), changed (another link or kind), taken off the card.

    Rows are matched as the company's files are (``services.document_slot``: kind and title), and
    shown by title, kind label and file name or link: never an id, a slot or an owner.
    """
    before = _by_slot(old)
    after = _by_slot(new)
    lines = []
    for slot, row in after.items():
        title = str(row.get("title") or "")
        file = stored.get(row.get("file")) if isinstance(row.get("file"), int) else None
        what = file.name if file is not None else str(row.get("url") or "")
        earlier = before.get(slot)
        if earlier is None:
            lines.append(
                _("документ добавлен: %(title)s (%(kind)s, %(what)s)")
                % {"title": title, "kind": document_kind_label(row.get("kind")), "what": what}
            )
        elif row.get("file") and row.get("file") != earlier.get("file"):
            version = file.version if file is not None and file.version else "—"
            lines.append(_("документ заменён: %(title)s, версия %(version)s") % {"title": title, "version": version})
        elif (row.get("url") or "", row.get("file")) != (earlier.get("url") or "", earlier.get("file")):
            lines.append(
                _("документ изменён: %(title)s (%(kind)s, %(what)s)")
                % {"title": title, "kind": document_kind_label(row.get("kind")), "what": what or "—"}
            )
    for slot, row in before.items():
        if slot not in after:
            lines.append(_("документ убран из карточки: %(title)s") % {"title": str(row.get("title") or "")})
    return lines


def _by_slot(rows: Any) -> dict[str, dict[str, Any]]:
    return {services.document_slot(row): row for row in rows or [] if isinstance(row, dict)}


def _readable(value: Any, field_id: str = "") -> str:
    if field_id == "status":  # the register's state, by its label
        return str(CompanyStatus(value or "").label) if value in CompanyStatus.values else str(value or "")
    if isinstance(value, list):
        return "; ".join(", ".join(str(v) for v in row.values() if v) for row in value if isinstance(row, dict))
    return "" if value is None else str(value)


def _value_of(card: dict[str, Any], field_id: str) -> Any:
    cell = _cell(field_id)
    if cell is None:
        return card.get(field_id)
    list_id, index, column = cell
    rows = card.get(list_id) or []
    return rows[index].get(column) if index < len(rows) else None


def _own_instance(request: HttpRequest) -> int | None:
    """The instance of the assignment whose form this is, when the user may see it (a revision's
    own earlier card is not a duplicate of itself)."""
    raw = request.POST.get("_assignment") or ""
    if not raw.isdigit():
        return None
    try:
        return access.get_assignment_for_user(request.user, int(raw)).instance_id
    except NotFound:
        return None
