"""Hooks of the two quarterly processes (``trade_conditions.bpmn``, ``bonus_agreements.bpmn``).

Trade conditions tell people the sales administrator picks twice: when the quarter's work starts
and when both registers are approved. Those people usually take no part in the process (a sales
manager is told the new discounts, nothing more), so the notice carries what they need in its text:
the quarter and, at the end, both approved documents: a link as it was given, or an uploaded file by
its name and version. The site link of the start notice points at the instance only for a recipient
who may open it (for anyone else it would lead to "not found"); the finish notice makes its
recipients readers of the instance (``discussion.services.add_participants``), so the link opens the
approved files for everyone it names.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from discussion.models import Why
from discussion.services import add_participants
from engine import access
from engine.documents import owner_of
from engine.hooks import ServiceContext, service_hook
from files.models import StoredFile
from notify.models import Kind
from notify.services import notify
from notify.texts import Phrase, Title
from org import directory
from org.models import Employee


def _recipients(usernames: Any) -> list[Employee]:
    """The active employees among the chosen usernames, in the order chosen, each once.

    The form already refused unknown and inactive people; someone deactivated between the choice
    and this step (same transaction, so practically never) is skipped rather than failing the step.
    """
    people: list[Employee] = []
    seen: set[str] = set()
    for username in usernames or []:
        name = str(username)
        if name in seen:
            continue
        seen.add(name)
        employee = directory.employee_by_username(name)
        if employee is not None:
            people.append(employee)
    return people


def _instance_link(instance: Any, employee: Employee) -> str:
    if access.visible_instances(employee.user).filter(pk=instance.pk).exists():
        return instance.get_absolute_url()
    return ""


@service_hook("quarterly.notify_start_recipients", sets=("start_recipients",))
def notify_start_recipients(context: ServiceContext) -> dict[str, Any]:
    """Step 1 of trade conditions: each chosen person learns that the quarter's work has started.

    Returns ``start_recipients`` so the list survives the second ``recipients`` form (and pre-fills
    it: the same people usually want to hear the result).
    """
    instance = context.instance
    people = _recipients(context.variables.get("recipients"))
    text = Phrase(
        gettext_noop(
            "Запущен процесс «%(title)s»: готовим реестр базовых скидок и реестр скидок, отсрочек и кредитных лимитов."
        ),
        title=Title(instance.title),
    )
    for person in people:
        notify(person, Kind.PROCESS_STARTED, text, url=_instance_link(instance, person), instance=instance)
    return {"start_recipients": [p.username for p in people]}


@service_hook("quarterly.notify_finish_recipients", sets=("finish_recipients",))
def notify_finish_recipients(context: ServiceContext) -> dict[str, Any]:
    """Step 8 of trade conditions: each chosen person gets both approved documents, as links or files."""
    instance = context.instance
    variables = context.variables
    people = _recipients(variables.get("recipients"))
    text = Phrase(
        gettext_noop(
            "Процесс «%(title)s» завершён, документы согласованы. "
            "Реестр базовых скидок: %(base)s. Реестр скидок, отсрочек и кредитных лимитов: %(registry)s"
        ),
        title=Title(instance.title),
        base=_document(variables, "base_discounts"),
        registry=_document(variables, "conditions_registry"),
    )
    add_participants(owner_of(instance), people, why=Why.RECIPIENT)
    for person in people:
        notify(person, Kind.PROCESS_FINISHED, text, url=instance.get_absolute_url(), instance=instance)
    return {"finish_recipients": [p.username for p in people]}


def _document(variables: dict[str, Any], name: str) -> str | Phrase:
    """An approved register as the notice names it: its link, or its file's name and version."""
    if variables.get(f"{name}_url"):
        return str(variables[f"{name}_url"])
    file_id = variables.get(f"{name}_file")
    stored = StoredFile.objects.filter(pk=file_id).first() if isinstance(file_id, int) else None
    if stored is None:
        return "—"
    return Phrase(gettext_noop("файл «%(name)s», версия %(version)s"), name=stored.name, version=stored.version or 1)
