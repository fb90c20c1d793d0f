"""Processes, instances and assignments (the «Автоматизация» list) — api.md, thin over the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from api.schemas import (
    FieldMessages,
    Id,
    LongText,
    Moment,
    Page,
    PageQuery,
    ProcessKey,
    choice,
    links,
    page_of,
    present_when,
    refusals,
)
from base import clock
from base.errors import Forbidden
from crm.services import company_of
from engine import access, actions, bulk, forms, queries
from engine.documents import InstanceDocument, Version, instance_documents
from engine.models import Assignment, AssignmentStatus, Instance, InstanceStatus, Outcome
from engine.queries import AssignmentFilter, InstanceFilter
from engine.step import model_of

router = Router(tags=["processes"])

JSON_VALUE = "Значение в JSON, как его хранит процесс (форма задаёт, какие в нём ключи)."


# ---------------------------------------------------------------- what the endpoints answer


class AssignmentOut(Schema):
    """An assignment (задание) as the lists show it."""

    id: int
    key: str = Field(description="Шаг процесса (id пользовательской задачи в BPMN).")
    title: str
    process: str = Field(description="Ключ процесса.")
    instance: int = Field(description="Номер экземпляра процесса.")
    assignee: str = Field(description="Исполнитель (имя пользователя).")
    assignee_name: str = Field(description="Исполнитель: ФИО, как его читают люди.")
    status: AssignmentStatus
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None = Field(description="Кто выполнил (имя пользователя).")
    completed_by_name: str | None = Field(description="Кто выполнил: ФИО.")
    instead_of: str | None = Field(
        description="Вместо кого исполнитель держит задание, пока тот отсутствует (имя пользователя); иначе null."
    )
    instead_of_name: str | None = Field(description="Вместо кого: ФИО.")
    overdue: bool


class FormOption(Schema):
    id: str
    label: str


class FormField(Schema):
    """One field of an assignment's form (``engine.forms.to_api``)."""

    id: str
    type: str = Field(description="Тип поля: " + ", ".join(sorted(forms.FIELD_TYPES)) + ".")
    label: str
    required: bool
    options: list[FormOption] = Field(description="Варианты выбора (у полей enum).")
    value: Any = Field(
        description="Значение: предзаполненное, пока задание открыто, и отправленное после; тип — по типу поля."
    )
    required_if: str | None = present_when("Условие, при котором поле обязательно (только у полей с условием).")
    fields: list[FormField] | None = present_when("Столбцы строки (только у полей типа list).")
    min_items: int | None = present_when("Наименьшее число элементов (только у списков, где оно задано).")


class EarlierStep(Schema):
    """A step of the same instance done before, with what was entered in it."""

    key: str
    title: str
    completed_by: str | None
    completed_at: datetime | None
    data: dict[str, Any] = Field(description="Данные, отправленные на этом шаге. " + JSON_VALUE)


class AssignmentContext(Schema):
    instance_title: str
    variables: dict[str, Any] = Field(description="Переменные процесса. " + JSON_VALUE)
    steps: list[EarlierStep]


class AssignmentDetail(AssignmentOut):
    """An assignment with its form and what the earlier steps said."""

    form: list[FormField]
    context: AssignmentContext


class InstanceOut(Schema):
    """An instance (экземпляр) of a process, as the list shows it."""

    id: int
    process: str = Field(description="Ключ процесса.")
    version: int
    title: str
    status: InstanceStatus
    outcome: str | None = Field(description="Итог завершённого: " + ", ".join(Outcome.values) + ".")
    started_by: str | None = Field(description="Кто запустил (имя пользователя); null — по расписанию.")
    started_by_name: str | None = Field(description="Кто запустил: ФИО.")
    started_at: datetime
    finished_at: datetime | None
    variables: dict[str, Any] = Field(description="Переменные процесса. " + JSON_VALUE)
    company: int | None = Field(description="Контрагент, которого касается процесс.")


class HistoryOut(Schema):
    at: datetime
    actor: str | None
    actor_name: str | None = Field(description="Кто: ФИО; null — система.")
    event: str = Field(description="Событие, например started, assigned, completed, refused, finished.")
    key: str = Field(description="Шаг процесса, если событие о шаге (иначе пусто).")
    assignment: int | None
    data: dict[str, Any] = Field(description="Подробности события. " + JSON_VALUE)


class SeenBy(Schema):
    """A completion that saw a version as the document's current one (the decision made on it)."""

    actor: str | None = Field(description="Кто выполнил шаг (имя пользователя).")
    key: str = Field(description="Шаг процесса.")
    at: datetime
    assignment: int | None


class DocumentVersionOut(Schema):
    """One version of one of an instance's documents."""

    version: int
    name: str = Field(description="Имя файла.")
    size: int = Field(description="Размер в байтах.")
    sha256: str = Field(description="SHA-256 содержимого.")
    uploaded_by: str = Field(description="Кто загрузил (имя пользователя).")
    uploaded_at: datetime
    step: str = Field(description="Шаг, форма которого принесла эту версию (пусто — иначе).")
    download: str = Field(description="Адрес для скачивания.")
    seen_by: list[SeenBy] = Field(description="Решения, принятые, когда эта версия была текущей.")


class InstanceDocumentOut(DocumentVersionOut):
    """A document of the instance: its current version's facts, then every version, oldest first."""

    field: str = Field(description="Поле формы, которое его принесло (ячейка таблицы — «documents.file»).")
    title: str = Field(description="Название документа.")
    versions: list[DocumentVersionOut]


class InstanceDetail(InstanceOut):
    """An instance with its assignments, its history and its stored documents, oldest first."""

    assignments: list[AssignmentOut]
    history: list[HistoryOut]
    documents: list[InstanceDocumentOut]


# ---------------------------------------------------------------- serialising


def assignment_out(assignment: Assignment, *, full: bool = False, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    data: dict[str, Any] = {
        "id": assignment.pk,
        "key": assignment.key,
        "title": assignment.title,
        # the key copied onto the row (``Assignment.process_key``): a list need not load the instances
        "process": assignment.process_key or assignment.instance.process_key,
        "instance": assignment.instance_id,
        "assignee": assignment.assignee.username,
        "assignee_name": assignment.assignee.full_name,
        "status": assignment.status,
        "created_at": assignment.created_at,
        "due_at": assignment.due_at,
        "completed_at": assignment.completed_at,
        "completed_by": assignment.completed_by.username if assignment.completed_by else None,
        "completed_by_name": assignment.completed_by.full_name if assignment.completed_by else None,
        "instead_of": assignment.instead_of.username if assignment.instead_of_id else None,
        "instead_of_name": assignment.instead_of.full_name if assignment.instead_of_id else None,
        "overdue": assignment.is_overdue(now),
    }
    if full:
        data["form"], data["context"] = assignment_form(assignment)
    return data


def assignment_form(assignment: Assignment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The form to show (pre-filled while open, the submitted values once done) and the context:
    earlier steps' data and comments. A step its process file no longer has shows no form, but
    still its context."""
    instance = assignment.instance
    earlier = [
        {
            "key": done.key,
            "title": done.title,
            "completed_by": done.completed_by.username if done.completed_by else None,
            "completed_at": done.completed_at,
            "data": done.data,
        }
        for done in instance.assignments.filter(status=AssignmentStatus.DONE)
        .exclude(pk=assignment.pk)
        .select_related("completed_by__user")
        .order_by("completed_at", "pk")
    ]
    context = {"instance_title": instance.title, "variables": instance.variables, "steps": earlier}
    task = model_of(instance).user_tasks.get(assignment.key)
    if task is None:
        return [], context
    return forms.to_api(task.form, queries.form_values(assignment, task.form)), context


def instance_out(instance: Instance, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": instance.pk,
        "process": instance.process_key,
        "version": instance.process.version,
        "title": instance.title,
        "status": instance.status,
        "outcome": instance.outcome or None,
        "started_by": instance.started_by.username if instance.started_by else None,
        "started_by_name": instance.started_by.full_name if instance.started_by else None,
        "started_at": instance.started_at,
        "finished_at": instance.finished_at,
        "variables": instance.variables,
        "company": company.pk if (company := company_of(instance)) else None,
    }
    if full:
        now = clock.now()
        data["assignments"] = [
            assignment_out(a, now=now)
            for a in instance.assignments.select_related(
                "assignee__user", "completed_by__user", "instead_of__user", "instance"
            ).order_by("created_at", "pk")
        ]
        data["history"] = [
            {
                "at": h.at,
                "actor": h.actor.username if h.actor else None,
                "actor_name": h.actor.full_name if h.actor else None,
                "event": h.event,
                "key": h.key,
                "assignment": h.assignment_id,
                "data": h.data,
            }
            for h in instance.history.select_related("actor__user").order_by("at", "pk")
        ]
        data["documents"] = [_document_out(d) for d in instance_documents(instance)]
    return data


def _version_out(version: Version) -> dict[str, Any]:
    stored = version.stored
    return {
        "version": stored.version,
        "name": stored.name,
        "size": stored.size,
        "sha256": stored.sha256,
        "uploaded_by": stored.uploaded_by.username,
        "uploaded_at": stored.uploaded_at,
        "step": version.step,
        "download": reverse("api:download_file", args=[stored.pk]),
        "seen_by": [
            {"actor": h.actor.username if h.actor else None, "key": h.key, "at": h.at, "assignment": h.assignment_id}
            for h in version.seen_by
        ],
    }


def _document_out(document: InstanceDocument) -> dict[str, Any]:
    return {
        **_version_out(document.current),
        "field": document.field,
        "title": document.document.title,
        "versions": [_version_out(v) for v in document.versions],
    }


# ---------------------------------------------------------------- processes


class ProcessOut(Schema):
    key: str
    name: str
    version: int = Field(description="Текущая версия.")
    manual_start: bool = Field(description="Может ли вызывающий запустить процесс вручную.")


class StartIn(Schema):
    variables: dict[str, Any] = Field({}, description="Стартовые переменные. " + JSON_VALUE)


@router.get("/processes", response={200: list[ProcessOut], **refusals()})
def list_processes(request: HttpRequest) -> list[dict[str, Any]]:
    """Every deployed process, by name, and whether the caller may start it."""
    return [
        {
            "key": definition.key,
            "name": definition.name,
            "version": definition.current.version,
            "manual_start": access.may_start(request.user, definition),
        }
        for definition in queries.deployed_processes()
    ]


_FIRST_ASSIGNMENT = {"assignment_id": "$response.body#/assignments/0/id"}
_INSTANCE = {"instance_id": "$response.body#/id"}


@router.post(
    "/processes/{key}/start",
    response={201: InstanceDetail, **refusals(400, 403, 404, 409)},
    openapi_extra=links(
        201,
        processes_get_instance=_INSTANCE,
        processes_stop_instance=_INSTANCE,
        processes_get_assignment=_FIRST_ASSIGNMENT,
        processes_complete_assignment=_FIRST_ASSIGNMENT,
        processes_delegate_assignment=_FIRST_ASSIGNMENT,
    ),
)
def start_process(request: HttpRequest, key: ProcessKey, payload: StartIn) -> Status:
    """403 when the caller may not start it, 404 for an unknown key, 409 when a per-quarter process
    already runs for that quarter, 400 for a start variable its rule refuses."""
    instance = actions.start(key, by=request.user, variables=payload.variables)
    return Status(201, instance_out(instance))


# ---------------------------------------------------------------- instances


InstanceStatusParam = choice(InstanceStatus.values)


class InstanceQuery(PageQuery):
    """The parameters of ``GET /instances``: what ``engine.queries.InstanceFilter`` filters by."""

    process: str | None = Field(None, description="Ключ процесса.")
    status: InstanceStatusParam = Field(None, description="Состояние; пусто — любое.")
    started_by: str | None = Field(None, description="Кто запустил: имя пользователя или me.")

    def spec(self) -> InstanceFilter:
        return InstanceFilter(process=self.process or "", status=self.status or "", started_by=self.started_by or "")


class StopIn(Schema):
    reason: LongText = ""


@router.get("/instances", response={200: Page[InstanceOut], **refusals(400)})
def list_instances(request: HttpRequest, query: Query[InstanceQuery]) -> dict[str, Any]:
    """The instances the caller may see, the newest first."""
    rows = query.spec().apply(request.user).select_related("process", "started_by__user")
    return page_of(query.window(rows), lambda instance: instance_out(instance, full=False))


@router.get("/instances/{instance_id}", response={200: InstanceDetail, **refusals(400, 404)})
def get_instance(request: HttpRequest, instance_id: Id) -> dict[str, Any]:
    return instance_out(_instance(request, instance_id))


@router.post("/instances/{instance_id}/stop", response={200: InstanceDetail, **refusals(400, 403, 404, 409)})
def stop_instance(request: HttpRequest, instance_id: Id, payload: StopIn) -> dict[str, Any]:
    """403 unless the starter or an administrator; 409 when it is no longer running."""
    _instance(request, instance_id)
    instance = actions.stop(instance_id, by=request.user, reason=payload.reason)
    return instance_out(instance)


def _instance(request: HttpRequest, instance_id: int) -> Instance:
    return access.get_instance_for_user(request.user, instance_id)


# ---------------------------------------------------------------- assignments


AssignmentStatusParam = choice(AssignmentStatus.values)
OrderParam = choice(["due"])


class AssignmentFilters(Schema):
    """The filters of ``GET /assignments`` (and of its XLSX): what ``engine.queries.AssignmentFilter`` filters by."""

    assignee: str | None = Field(None, description="Исполнитель: имя пользователя или me.")
    status: AssignmentStatusParam = Field(None, description="Состояние; пусто — любое.")
    name: str | None = Field(None, description="Часть названия, в любом регистре.")
    process: str | None = Field(None, description="Ключ процесса.")
    instance: Id | None = Field(None, description="Номер экземпляра процесса.")
    due_before: Moment | None = Field(None, description="Срок раньше этого момента (ISO 8601).")
    due_after: Moment | None = Field(None, description="Срок не раньше этого момента (ISO 8601).")
    overdue: bool | None = Field(None, description="true — только просроченные открытые.")
    order: OrderParam = Field(None, description="due — ближайший срок первым; иначе новые первыми.")

    def spec(self) -> AssignmentFilter:
        return AssignmentFilter(
            assignee=self.assignee or "",
            status=self.status or "",
            title=self.name or "",
            process=self.process or "",
            instance=self.instance,
            due="overdue" if self.overdue else "",
            due_after=self.due_after,
            due_before=self.due_before,
            order=self.order or "",
        )


class AssignmentQuery(PageQuery, AssignmentFilters):
    """The parameters of ``GET /assignments``: its filters and the page of the list."""


class CompleteIn(Schema):
    data: dict[str, Any] = Field({}, description="Значения полей формы по их id.")
    # Strict: JSON true or false only (pydantic's lax mode would take 0 or "no" for false).
    confirm_warnings: StrictBool = True


class DelegateIn(Schema):
    to: str
    comment: LongText = ""


@router.get("/assignments", response={200: Page[AssignmentOut], **refusals(400)})
def list_assignments(request: HttpRequest, query: Query[AssignmentQuery]) -> dict[str, Any]:
    """The «Автоматизация» list: the same filter as the page (``engine.queries.AssignmentFilter``)."""
    now = clock.now()
    # Neither the instance (its workflow state runs to kilobytes) nor the form data is part of a
    # list row: 500 rows of them were most of the call's time.
    rows = (
        query.spec()
        .apply(request.user, now)
        .select_related("assignee__user", "completed_by__user", "instead_of__user")
        .defer("data")
    )
    return page_of(query.window(rows), lambda assignment: assignment_out(assignment, now=now))


class BulkIn(Schema):
    ids: list[Id] = Field(min_length=1, max_length=bulk.MAX_IDS, description="Задания, от 1 до 500.")
    action: Literal["complete", "delegate"] = Field(description="complete — выполнить, delegate — передать.")
    data: dict[str, Any] = Field({}, description="Для complete: значения полей общей формы по их id.")
    to: str = Field("", max_length=150, description="Для delegate: кому (имя пользователя).")
    comment: LongText = Field("", description="Для delegate: комментарий для коллеги.")


class BulkFailure(Schema):
    id: int
    status: int = Field(description="Что ответил бы вызов для одного задания: 400, 403, 404, 409.")
    detail: str
    errors: FieldMessages | None = present_when("Ошибки по полям формы (при статусе 400).")


class BulkOut(Schema):
    done: list[int] = Field(description="Выполненные или переданные задания.")
    failed: list[BulkFailure] = Field(description="Задания, с которыми не вышло, и почему.")


# Declared before GET /assignments/{assignment_id}: its path would take "bulk" for an id.
@router.post("/assignments/bulk", response={200: BulkOut, **refusals(400)})
def bulk_assignments(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Several assignments at once, each in its own transaction: ``complete`` with one form's data
    (400 when the ones the caller sees are of different forms), or ``delegate`` to one colleague
    (400 for someone unknown or inactive). Those that cannot be done are in ``failed`` with the
    status the single call would answer; ids the caller may not see fail with 404."""
    if payload.action == "complete":
        result = bulk.complete_many(payload.ids, by=request.user, data=payload.data)
    else:
        result = bulk.delegate_many(payload.ids, by=request.user, to=payload.to, comment=payload.comment)
    return {"done": result.done, "failed": [vars(failure) for failure in result.failed]}


@router.get("/assignments/{assignment_id}", response={200: AssignmentDetail, **refusals(400, 404)})
def get_assignment(request: HttpRequest, assignment_id: Id) -> dict[str, Any]:
    return assignment_out(_assignment(request, assignment_id), full=True)


@router.post("/assignments/{assignment_id}/complete", response={200: AssignmentDetail, **refusals(400, 403, 404, 409)})
def complete_assignment(request: HttpRequest, assignment_id: Id, payload: CompleteIn) -> dict[str, Any]:
    """400 with the field errors (nothing changes); 403 unless the assignee (their deputy or an
    administrator); 409 once it is no longer open, so the same request twice completes it once."""
    # The service checks first who may complete it; whoever may (the assignee, their deputy, an
    # administrator) also sees it, so only its refusal needs the visibility check, and the usual
    # call reads nothing twice. The answer is the row the service changed, not read back.
    try:
        assignment = actions.complete(
            assignment_id, by=request.user, data=payload.data, confirm_warnings=payload.confirm_warnings
        )
    except Forbidden:
        _assignment(request, assignment_id)  # 404, not 403, for one the caller may not even see
        raise
    return assignment_out(assignment, full=True)


@router.post("/assignments/{assignment_id}/delegate", response={200: AssignmentOut, **refusals(400, 403, 404, 409)})
def delegate_assignment(request: HttpRequest, assignment_id: Id, payload: DelegateIn) -> dict[str, Any]:
    """The new assignment of the colleague it was passed to; 400 for someone unknown or inactive."""
    _assignment(request, assignment_id)
    assignment = actions.delegate(assignment_id, by=request.user, to=payload.to, comment=payload.comment)
    return assignment_out(assignment, full=False)


def _assignment(request: HttpRequest, assignment_id: int) -> Assignment:
    return access.get_assignment_for_user(request.user, assignment_id)
