"""The Python hooks of `add_counterparty.bpmn` (processes.md §2, docs/processes/add_counterparty.md).

- `prepare_card` (service task right after the start): the card's defaults as process variables,
  so the form of `fill_card` shows them (its fields' `defaultValue` is the variable name) in the
  page and in the API alike.
- `crm.card` (validator of `fill_card` and `revise_card`): the card through
  `crm.services.check_card`, the same rule book as the API's check and the htmx field check. A card
  is checked only when it is submitted: stopping the process needs no valid card.
- `crm.approval` (validator of the two decision steps): approving a card whose ИНН+КПП meanwhile
  became an existing company is refused on `decision`, so the approver is told before anything
  is created and can send the card back.
- `create_company` (service task after the finance director's approval): the company, exactly once
  per instance, and the responsible told with the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import services as crm
from crm.validation import REASON_SAME_INN_RUNNING
from engine.hooks import FormContext, ServiceContext, form_validator, service_hook
from engine.models import Assignment, AssignmentStatus, Instance, InstanceStatus
from notify.models import Kind
from notify.services import notify
from notify.texts import Phrase
from org import directory
from processes.names import ACTION_STOP, ADD_COUNTERPARTY, DECISION_APPROVE, FILL_CARD


@service_hook("prepare_card", sets=("starter",))
def prepare_card(context: ServiceContext) -> dict[str, Any]:
    """Defaults of a new card; start variables that already name a field are kept as given.

    `starter` is always the person who started the instance: the responsible employee of §2 and
    the assignee of `fill_card` must not come from a variable a client chose.
    """
    instance = context.instance
    starter = instance.started_by if instance is not None else None
    result: dict[str, Any] = {}
    if starter is not None:
        result["starter"] = starter.username
    for key, value in crm.card_defaults(starter).items():
        if context.variables.get(key) in (None, ""):
            result[key] = value
    return result


@form_validator("crm.card")
def validate_card_form(
    data: dict[str, Any], context: FormContext
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    """The card form: checked (with duplicates) on `submit`; `stop` passes without a card check."""
    if data.get("action") == ACTION_STOP:
        return {}, {}, {}
    instance_id = context.instance.pk if context.instance is not None else None
    starter = (context.variables or {}).get("starter")
    check = crm.check_card(data, instance=instance_id)
    cleaned = dict(check.cleaned)
    errors = dict(check.errors)
    if check.ok:
        cleaned = crm.fill_defaults(cleaned, starter=starter)
    manager = cleaned.get("responsible_manager") or data.get("responsible_manager")
    if manager and manager in {starter, cleaned.get("responsible") or data.get("responsible")}:
        # Four eyes (processes.md §2): the manager approves the card first, so it is never the one
        # who adds it or answers for it.
        errors["responsible_manager"] = [
            _("Руководитель согласует карточку первым: это не может быть тот, кто её добавляет или отвечает за неё")
        ]
    return cleaned, errors, check.warnings


@form_validator("crm.approval")
def validate_approval(
    data: dict[str, Any], context: FormContext
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    """An approval of a card that already exists as a company is refused, naming the company; one
    of a company the register says is not active (liquidated, bankrupt, in liquidation) is a
    warning the approver confirms. The register's answer is the one kept when the card was filled
    or checked: no request is made here, inside the step's transaction."""
    if data.get("decision") != DECISION_APPROVE:
        return {}, {}, {}
    variables = context.variables or {}
    existing = crm.company_duplicates(
        {key: variables.get(key) for key in ("inn", "kpp", "legal_form", "country", "reg_number")}
    )
    if not existing:
        warning = crm.status_hook()({"inn": variables.get("inn") or "", "kpp": variables.get("kpp") or ""})
        return {}, {}, ({"inn": [warning]} if warning else {})
    names = ", ".join(f"«{entry['name']}» ({entry['url']})" for entry in existing)
    message = _(
        "Такой контрагент уже есть: %(names)s. Не согласуйте карточку — ответственный исправит её или остановит процесс"
    ) % {"names": names}
    return {}, {"decision": [message]}, {}


@service_hook("create_company", sets=("company_id",))
def create_company(context: ServiceContext) -> dict[str, Any]:
    """The approved card becomes a company (once per instance); the responsible gets the link."""
    # A DuplicateCompany (a Conflict) gets out of here only in a race (the approval validator
    # refuses a known duplicate): the approval is not taken, nothing is saved, and the approver is
    # told which company already exists.
    company, created = crm.create_company_for_instance(context.instance, context.variables)
    if created:
        responsible = company.responsible
        if responsible is not None and not responsible.is_active:
            responsible = directory.line_manager(responsible)
        if responsible is not None:
            notify(
                responsible,
                Kind.COMPANY_CREATED,
                Phrase(gettext_noop("Контрагент «%(name)s» добавлен"), name=company.name),
                url=company.get_absolute_url(),
                instance=context.instance,
            )
    return {"company_id": company.pk}


@crm.running_cards
def running_duplicates(card: Mapping[str, Any], exclude_instance: int | None = None) -> list[dict[str, Any]]:
    """Other running `add_counterparty` instances whose submitted card has this ИНН (+КПП).

    Only instances whose card was submitted at least once count (`fill_card` done): variables given
    at the start are not a checked card and must not block anyone.
    """
    inn = card.get("inn") or ""
    if not inn:
        return []
    submitted = Assignment.objects.filter(key=FILL_CARD, status=AssignmentStatus.DONE).values("instance")
    instances = Instance.objects.filter(
        process_key=ADD_COUNTERPARTY, status=InstanceStatus.RUNNING, pk__in=submitted, variables__inn=inn
    ).select_related("started_by")
    if exclude_instance:
        instances = instances.exclude(pk=exclude_instance)
    found = []
    for instance in instances.order_by("pk"):
        variables = instance.variables or {}
        if not crm.same_kpp(card.get("kpp"), variables.get("kpp")):
            continue
        name = variables.get("name") or instance.title
        who = instance.started_by.full_name if instance.started_by else ""
        identifiers = _("ИНН %(inn)s") % {"inn": inn}
        if variables.get("kpp"):
            identifiers = _("ИНН %(inn)s и КПП %(kpp)s") % {"inn": inn, "kpp": variables["kpp"]}
        found.append(
            {
                "id": instance.pk,
                "instance": instance.pk,
                "name": name,
                "inn": inn,
                "kpp": variables.get("kpp") or "",
                "reason": REASON_SAME_INN_RUNNING,
                "url": instance.get_absolute_url(),
                "message": _("%(ids)s: контрагент «%(name)s» уже добавляется в другом процессе (запустил %(who)s)")
                % {"ids": identifiers, "name": name, "who": who or "—"},
            }
        )
    return found
