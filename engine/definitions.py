"""Deploying BPMN files as process versions, and the per-version model cache.

A file is validated completely before anything is written; a new version is created only when the
file's content changed, so re-deploying the same file (at every start of the worker, say) is free.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from base import clock
from base.schedule import Schedule as ScheduleSpec
from engine import bpmn
from engine.bpmn import DeployError, ProcessModel
from engine.hooks import FORM_VALIDATORS, SERVICE_HOOKS, SERVICE_VARIABLES
from engine.models import ProcessDefinition, ProcessVersion, Schedule
from org.models import Employee, Role

log = logging.getLogger(__name__)

_cache: dict[tuple[int, str], ProcessModel] = {}
_cache_lock = threading.Lock()


def model_for(version: ProcessVersion) -> ProcessModel:
    """The parsed model of a stored version, parsed once per process (versions never change).

    Keyed by id and checksum: a rolled-back deploy can hand the same id to different content.
    """
    key = (version.pk, version.checksum)
    model = _cache.get(key)
    if model is None:
        xml = version.xml  # deferred in the hot path: read only on a cache miss
        model = bpmn.load_process(xml.encode(), filename=version.filename, deploying=False,
                                  hook_variables=SERVICE_VARIABLES)
        with _cache_lock:
            _cache[key] = model
    return model


def cached_model(version_id: int, checksum: str) -> ProcessModel | None:
    """The model if already parsed: lets the engine skip loading the version row on the hot path."""
    return _cache.get((version_id, checksum))


def validate(xml: bytes, filename: str = "") -> ProcessModel:
    """Everything ``bpmn.load_process`` checks, plus what needs the database: the hooks a file names
    exist here, and so do the employees and roles it names literally (Camunda's ``assignee="demo"``,
    ``candidateUsers``, ``candidateGroups``), or every start would fail on the first step."""
    model = bpmn.load_process(xml, filename=filename, hook_variables=SERVICE_VARIABLES)
    problems: list[tuple[str, str]] = _missing_people(model)
    for topic in sorted(model.service_topics):
        if topic not in SERVICE_HOOKS:
            problems.append((topic, _("нет такого автоматического шага (hook) «%(name)s»") % {"name": topic}))
    for task in model.user_tasks.values():
        if task.validator and task.validator not in FORM_VALIDATORS:
            problems.append((task.key, _("нет такой проверки формы «%(name)s»") % {"name": task.validator}))
    cron = model.properties.get("schedule")
    if cron:
        try:
            _schedule_spec(model).validate()
        except ValueError as error:
            problems.append(("schedule", str(error)))
    if problems:
        raise DeployError(problems)
    return model


def _missing_people(model: ProcessModel) -> list[tuple[str, str]]:
    """The literal usernames and role codes of the file's steps that name nobody here."""
    usernames = {name for task in model.user_tasks.values() for name in task.users}
    codes = {code for task in model.user_tasks.values() for code in task.groups}
    known = set(Employee.objects.filter(user__username__in=usernames).values_list("user__username", flat=True))
    roles = set(Role.objects.filter(code__in=codes).values_list("code", flat=True))
    problems = []
    for task in model.user_tasks.values():
        for name in task.users:
            if name not in known:
                reason = _("%(element)s: исполнитель «%(name)s» — неизвестная переменная или сотрудник")
                problems.append((task.key, reason % {"element": task.label, "name": name}))
        for code in task.groups:
            if code not in roles:
                problems.append((task.key, _("%(element)s: camunda:candidateGroups — нет роли «%(code)s»")
                                 % {"element": task.label, "code": code}))
    return problems


def _schedule_spec(model: ProcessModel) -> ScheduleSpec:
    props = model.properties
    return ScheduleSpec(
        cron=props["schedule"],
        tz=props.get("schedule_tz") or "Europe/Moscow",
        first_working_day=str(props.get("schedule_first_working_day", "")).lower() == "true",
    )


@transaction.atomic
def deploy(xml: bytes, *, filename: str = "", by: Employee | None = None) -> tuple[ProcessVersion, bool]:
    """Validate and store a file; returns (version, created). Raises ``DeployError``, changing nothing."""
    model = validate(xml, filename)
    definition, _created = ProcessDefinition.objects.select_for_update().get_or_create(
        key=model.key, defaults={"name": model.name}
    )
    current = definition.current
    if current is not None and current.checksum == model.checksum:
        return current, False
    number = (definition.versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    version = ProcessVersion.objects.create(
        definition=definition,
        version=number,
        xml=xml.decode("utf-8"),
        checksum=model.checksum,
        filename=filename,
        properties=model.properties,
        deployed_at=clock.now(),
        deployed_by=by,
    )
    definition.name = model.name
    definition.current = version
    definition.save(update_fields=["name", "current"])
    _deploy_schedule(definition, model)
    log.info("deployed %s version %s", model.key, number)
    return version, True


def _deploy_schedule(definition: ProcessDefinition, model: ProcessModel) -> None:
    """The file's schedule becomes the default; an administrator's later change in the admin wins
    until the file's own schedule changes."""
    if not model.properties.get("schedule"):
        return
    spec = _schedule_spec(model)
    schedule = Schedule.objects.filter(definition=definition).first()
    if schedule is None:
        Schedule.objects.create(
            definition=definition,
            cron=spec.cron,
            tz=spec.tz,
            first_working_day=spec.first_working_day,
            active_since=clock.now(),
        )


def deploy_directory(directory: Path) -> list[tuple[str, bool]]:
    """Deploy every ``*.bpmn`` in ``directory`` whose content changed. Returns (key, created)."""
    results = []
    for path in sorted(directory.glob("*.bpmn")):
        version, created = deploy(path.read_bytes(), filename=path.name)
        results.append((version.definition.key, created))
    return results
