"""BPMN files: parse and validate them into a :class:`ProcessModel`, and run them (:class:`Runner`).

This is the only module that imports SpiffWorkflow. Everything else in the project sees the model
(keys, titles, assignee rules, forms, timers) and a small runner API, so a SpiffWorkflow upgrade or
replacement touches one file. The dialect (which elements and ``camunda:`` attributes are accepted)
is documented in ``docs/bpmn.md``; :func:`load_process` refuses anything outside it, listing every
problem it finds at once.

Guards against SpiffWorkflow 3.2.0 behaviour (see ``docs/bpmn.md``, "Engine notes"):

* its script engine is ``eval``/``exec``: replaced by :class:`_SafeScriptEngine` backed by
  :mod:`engine.expressions`; the Python environment it would fall back to refuses to run anything;
* its timers read ``datetime.now`` and turn months into fixed seconds: replaced by
  :class:`_ClockDurationTimer`/:class:`_ClockDateTimer`, which read :func:`base.clock.now` and do
  calendar month arithmetic;
* its task tree keeps every completed task and grows one level per step of a loop: the state grows
  forever, ``Task.is_descendant_of`` (recursive) overflows the stack in a parallel join after
  ~130 loops, and ``TaskIterator`` silently stops descending at depth 1000 (ready tasks vanish).
  :meth:`Runner._prune` cuts the finished part of the tree after every step, so depth and size stay
  bounded; the steps done are kept in our own envelope for the diagram.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, UserTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from base import clock, workcal
from base.workcal import Duration
from engine import expressions
from engine.forms import FieldDef, FormDefinition, Option, check_form, describe_options, parse_fields_property

__all__ = [
    "ASSIGNEE_FUNCTIONS",
    "OUTCOMES",
    "SELF_APPROVAL",
    "DeployError",
    "Duration",
    "ProcessModel",
    "ReadyTask",
    "RunError",
    "Runner",
    "TimerModel",
    "UserTaskModel",
    "WaitingTimer",
    "add_duration",
    "load_process",
    "parse_duration",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "camunda": CAMUNDA_NS}

#: Functions an assignee expression may call; the caller supplies their implementations.
ASSIGNEE_FUNCTIONS = ("role", "manager_of", "employee", "performer", "one_of")
#: Outcomes an end event may set.
OUTCOMES = ("approved", "rejected", "stopped", "completed")
#: Default local time zone for calendar arithmetic of durations (months, days).
DEFAULT_TZ = "Europe/Moscow"

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_HOOK = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")

_FLOW_NODES = {
    "startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "boundaryEvent", "intermediateCatchEvent", "subProcess",
}
_OTHER_ALLOWED = {"sequenceFlow", "laneSet", "textAnnotation", "association", "extensionElements",
                  "incoming", "outgoing", "documentation"}
_PROCESS_BOOL_PROPS = ("manual_start", "schedule_first_working_day")

#: Camunda 7 form field types and ours: the Camunda Modeler offers these five.
CAMUNDA_FIELD_TYPES = {"string": "text", "long": "integer", "boolean": "boolean", "date": "date", "enum": "enum"}
#: ``camunda:`` attributes with a meaning here, by element (``docs/bpmn.md``, "Files from Camunda Modeler").
_CAMUNDA_ATTRIBUTES = {
    "userTask": {"assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate"},
    "serviceTask": {"type", "topic"},
}
#: Execution hints of Camunda's job executor: every step here runs in one transaction anyway, so
#: they change nothing a person sees and are accepted on any element.
_CAMUNDA_IGNORED = {"asyncBefore", "asyncAfter", "exclusive", "jobPriority", "taskPriority",
                    "historyTimeToLive", "versionTag", "isStartableInTasklist"}
#: ``camunda:`` extension elements the dialect reads; any other (listeners, inputOutput, connector…) is refused.
_CAMUNDA_ELEMENTS = {"properties", "property", "formData", "formField", "validation", "constraint", "value"}
#: A literal user id in Camunda's dialect (``camunda:assignee="demo"``): Django's username characters.
_USERNAME = re.compile(r"^[\w.@+-]+$")
#: A JUEL expression ``${…}`` / ``#{…}`` of Camunda; only a plain ``${variable}`` has our meaning.
_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)


# --- errors ------------------------------------------------------------------------------------


class DeployError(Exception):
    """A BPMN file was refused. ``errors`` lists every problem as (element id or "file", reason)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(f"{where}: {reason}" for where, reason in self.errors))


class RunError(Exception):
    """Running a workflow failed (an expression error, a failing hook, an unknown task).

    ``element`` is the BPMN element id where it happened, when known. The caller's transaction
    should roll back: the state it loaded is unchanged.
    """

    def __init__(self, message: str, element: str | None = None) -> None:
        self.element = element
        super().__init__(f"{element}: {message}" if element else message)


# --- durations -----------------------------------------------------------------------------------
# One ISO 8601 implementation for the engine: base.workcal (calendar months, working days).


def parse_duration(text: str) -> Duration:
    """A positive ISO 8601 duration (``P4D``, ``PT2H``, ``P1M``); ValueError in Russian if not."""
    try:
        duration = workcal.parse_duration((text or "").strip())
    except ValueError as error:
        raise ValueError(_("«%(value)s» — не длительность ISO 8601 (например, P2D, PT4H, P1M): %(detail)s")
                         % {"value": text, "detail": error}) from None
    if duration.is_zero:
        raise ValueError(_("Длительность должна быть больше нуля: %(value)s") % {"value": text})
    return duration


def add_duration(start: datetime, duration: Duration | str, tz: str | None = None) -> datetime:
    """``start + duration`` in aware UTC, months by the calendar (see :func:`base.workcal.add_duration`).

    SpiffWorkflow's own timers would count a month as a fixed number of seconds.
    """
    iso = duration.isoformat() if isinstance(duration, Duration) else parse_duration(duration).isoformat()
    return workcal.add_duration(start, iso, tz=tz or getattr(settings, "TIME_ZONE", None) or DEFAULT_TZ)


def _timer_literal(text: str | None) -> str:
    """Timer values are literals: ``P4D`` or ``'P4D'`` (SpiffWorkflow-style quotes are accepted)."""
    value = (text or "").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def _parse_instant(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_("«%(value)s» — не дата-время ISO 8601") % {"value": text}) from None
    if dt.tzinfo is None:
        raise ValueError(_("Укажите смещение часового пояса: %(value)s") % {"value": text})
    return dt.astimezone(UTC)


# --- the model -----------------------------------------------------------------------------------


@dataclass
class UserTaskModel:
    """A user task as the service layer sees it. ``key`` is the public task key (the element id)."""

    key: str
    title: str
    assignee: str
    due: str = "P2D"
    due_calendar: str = "calendar"
    kind: str = "assignment"
    form: FormDefinition = field(default_factory=FormDefinition)
    validator: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    #: An approval step (``approval="true"``): four eyes apply, see :data:`SELF_APPROVAL`.
    approval: bool = False
    #: The steps whose work it approves (``approves="fill_card,revise_card"``): their performers may
    #: not take it; empty means every step of the process that is not an approval.
    approves: tuple[str, ...] = ()
    #: Who of those whose work it approves may still approve it: ``forbidden`` (nobody: not the
    #: starter, not whoever did a step of the instance that is not an approval), ``starter`` (the
    #: starter may, the others not) or ``allowed`` (no four eyes).
    self_approval: str = "forbidden"
    #: The element's name as written (the title template), for sentences naming the step.
    name: str = ""
    #: Usernames the file names literally (Camunda's ``camunda:assignee="demo"``,
    #: ``camunda:candidateUsers``): the deploy checks that such employees exist.
    users: tuple[str, ...] = ()
    #: Role codes of ``camunda:candidateGroups``: the deploy checks that they exist.
    groups: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """«Шаг «Согласовать» (Task_1)»: how a sentence names this step."""
        return element_label("userTask", self.key, self.name)


#: The values of a user task's ``self_approval`` property.
SELF_APPROVAL = ("forbidden", "starter", "allowed")


@dataclass
class TimerModel:
    """A timer event: ``attached_to`` is the user task key of a boundary event, else None."""

    key: str
    kind: str  # "duration" | "date"
    value: str
    interrupting: bool = True
    attached_to: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class ProcessModel:
    """A validated BPMN file; cache it per deployed version, runners share it read-only."""

    key: str
    name: str
    properties: dict[str, str]
    user_tasks: dict[str, UserTaskModel]
    service_topics: set[str]
    xml: bytes
    checksum: str
    timers: dict[str, TimerModel] = field(default_factory=dict)
    end_outcomes: dict[str, str] = field(default_factory=dict)
    elements: dict[str, str] = field(default_factory=dict)  # flow node id -> BPMN tag
    spec: Any = field(default=None, repr=False, compare=False)
    subprocess_specs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def start_variables(self) -> dict[str, FieldDef | None]:
        """The variables a start may set, each with the form field that types it: the ``unique_by``
        variable and the names of ``start_variables`` (plain values, None), and every field of the
        process's forms (a start pre-fills them, as a card's name). Anything else a start is refused:
        a client cannot plant a variable that a condition or a hook reads."""
        declared: dict[str, FieldDef | None] = {}
        for task in self.user_tasks.values():
            for form_field in task.form.fields:
                declared.setdefault(form_field.id, form_field)
        listed = [self.properties.get("unique_by", ""), *self.properties.get("start_variables", "").split(",")]
        for name in filter(None, (name.strip() for name in listed)):
            declared.setdefault(name, None)
        return declared

    @property
    def has_plain_tasks(self) -> bool:
        """Whether some step is a plain task (задача, ``kind="task"``) rather than an assignment."""
        return any(task.kind == "task" for task in self.user_tasks.values())


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person: ``id`` is stable for the task's life, ``key`` its element id."""

    id: str
    key: str


@dataclass(frozen=True)
class WaitingTimer:
    """A timer that will fire at ``fire_at``; ``attached_to`` is the id of its user task (boundary)."""

    id: str
    key: str
    fire_at: datetime
    attached_to: str | None
    properties: dict[str, str]


# --- parsing and validation ----------------------------------------------------------------------


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return etree.QName(tag).namespace or "" if isinstance(tag, str) else ""


def _camunda(el: etree._Element, name: str) -> str | None:
    return el.get(f"{{{CAMUNDA_NS}}}{name}")


def _properties(el: etree._Element) -> dict[str, str]:
    """``extensionElements/camunda:properties/camunda:property`` directly under ``el``."""
    props: dict[str, str] = {}
    for p in el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        name = p.get("name") or p.get("id")
        if name:
            props[name] = p.get("value") or ""
    return props


class _Checker:
    """Collects every problem of a file instead of stopping at the first."""

    def __init__(self, deploying: bool = True) -> None:
        self.errors: list[tuple[str, str]] = []
        self.deploying = deploying

    def add(self, where: str | None, reason: str) -> None:
        self.errors.append((where or "file", reason))

    def strict(self, where: str | None, reason: str) -> None:
        """A problem found by a check newer than some stored versions: refused at deploy only, so a
        version deployed before the check still loads and its running instances go on."""
        if self.deploying:
            self.add(where, reason)

    def expr(self, where: str, what: str, text: str | None, functions: Iterable[str] = ()) -> None:
        if not text or not text.strip():
            self.add(where, _("%(what)s: пустое выражение") % {"what": what})
            return
        try:
            expressions.check(text, allowed_functions=functions)
        except expressions.ExpressionError as e:
            self.add(where, f"{what}: {e}")


def element_label(tag: str, eid: str, name: str | None = None) -> str:
    """How a refusal names an element: by the name a person gave it, with the id in brackets
    («Шаг «Согласовать» (Task_1)»), since a modeler shows names, not ids."""
    kinds = {
        "userTask": _("Шаг"),
        "serviceTask": _("Автоматический шаг"),
        "scriptTask": _("Скрипт"),
        "sequenceFlow": _("Поток"),
        "exclusiveGateway": _("Развилка"),
        "inclusiveGateway": _("Развилка"),
        "process": _("Процесс"),
    }
    kind = kinds.get(tag, _("Элемент"))
    name = (name or "").strip()
    if name:
        return _("%(kind)s «%(name)s» (%(id)s)") % {"kind": kind, "name": name, "id": eid}
    return _("%(kind)s «%(id)s»") % {"kind": kind, "id": eid}


def _label(el: etree._Element) -> str:
    return element_label(_local(el.tag), el.get("id") or "?", el.get("name"))


def free_names(expr: str) -> set[str]:
    """The variables an expression reads: its names, less the functions it calls and the names its
    own comprehensions bind (``[x for x in items]`` reads ``items`` only)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return set()
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names - bound - (called & (set(expressions.SAFE_FUNCTIONS) | set(ASSIGNEE_FUNCTIONS)))


def _declared_variables(
    proc: etree._Element, props: dict[str, str], hook_variables: dict[str, Iterable[str]]
) -> set[str]:
    """Every variable a process can have: ``starter`` (the engine's), the ``unique_by`` and
    ``start_variables`` names, every form field, every script assignment and what the hooks of its
    service tasks declare they set. An expression reading anything else fails at run time."""
    declared = {"starter", props.get("unique_by", "")}
    declared.update(name.strip() for name in props.get("start_variables", "").split(","))
    for ff in proc.iter(f"{{{CAMUNDA_NS}}}formField"):
        parent = ff.getparent()
        if parent is not None and _local(parent.tag) == "formData":
            declared.add(ff.get("id") or "")
    for script in proc.iter(f"{{{BPMN_NS}}}script"):
        for line in (script.text or "").splitlines():
            target = line.split("=", 1)[0].strip() if "=" in line else ""
            if _KEY.match(target):
                declared.add(target)
    for task in proc.iter(f"{{{BPMN_NS}}}serviceTask"):
        declared.update(hook_variables.get(_camunda(task, "topic") or "", ()))
    declared.discard("")
    return declared


def _check_reads(
    chk: _Checker, eid: str, label: str, what: str, text: str | None, declared: set[str]
) -> None:
    """Refuse at deploy an expression that reads a variable the process never has: at run time it
    would stop every instance that reaches it (a condition, an assignee rule)."""
    if not text or not text.strip():
        return
    try:
        expressions.check(text, allowed_functions=ASSIGNEE_FUNCTIONS)
    except expressions.ExpressionError:
        return  # reported by the syntax check
    for name in sorted(free_names(text) - declared):
        chk.strict(eid, _("%(element)s: %(what)s «%(expr)s» — неизвестная переменная «%(name)s»")
                   % {"element": label, "what": what, "expr": text.strip(), "name": name})


def _check_camunda_extensions(el: etree._Element, chk: _Checker) -> None:
    """Refuse the Camunda 7 attributes and extension elements this engine cannot honour (Java
    classes, JUEL delegates, listeners, external forms…), naming the element: a file from another
    modeler must not deploy and then quietly do less than its author meant."""
    tag, eid = _local(el.tag), el.get("id") or "?"
    allowed = _CAMUNDA_ATTRIBUTES.get(tag, set())
    for attr in el.attrib:
        if _ns(attr) != CAMUNDA_NS:
            continue
        name = _local(attr)
        if name in allowed or name in _CAMUNDA_IGNORED:
            continue
        if name in ("class", "delegateExpression", "expression", "resultVariable"):
            why = _("Java-классы и выражения Camunda здесь не выполняются; автоматический шаг — "
                    "camunda:type=\"external\" с camunda:topic")
        elif name in ("formKey", "formRef", "formRefBinding", "formRefVersion", "formHandlerClass"):
            why = _("внешние формы не поддерживаются; опишите поля в camunda:formData")
        elif name == "initiator":
            why = _("не поддерживается; кто запустил процесс, хранит переменная starter")
        else:
            why = _("не поддерживается")
        chk.strict(eid, _("%(element)s: camunda:%(name)s — %(why)s")
                   % {"element": _label(el), "name": name, "why": why})
    for ext in el.xpath("./bpmn:extensionElements/*", namespaces=NS):
        if not isinstance(ext.tag, str):
            continue
        name = _local(ext.tag)
        if _ns(ext.tag) == CAMUNDA_NS and name in _CAMUNDA_ELEMENTS:
            continue
        if name in ("executionListener", "taskListener"):
            why = _("слушатели не поддерживаются")
        else:
            why = _("не поддерживается")
        shown = f"camunda:{name}" if _ns(ext.tag) == CAMUNDA_NS else name
        chk.strict(eid, _("%(element)s: %(name)s — %(why)s") % {"element": _label(el), "name": shown, "why": why})


def _parse_form(el: etree._Element, task_id: str, chk: _Checker) -> FormDefinition:
    fields: list[FieldDef] = []
    for ff in el.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS):
        fid = ff.get("id") or ""
        where = f"{task_id}.{fid or '?'}"
        kind = ff.get("type") or ""
        f = FieldDef(id=fid, type=CAMUNDA_FIELD_TYPES.get(kind, kind), label=ff.get("label") or "",
                     default=ff.get("defaultValue") or None)
        for child in ff:
            name = _local(child.tag)
            if name == "value":
                f.options.append(Option(child.get("id") or "", child.get("name") or child.get("id") or ""))
            elif name == "validation":
                for c in child:
                    if _local(c.tag) != "constraint":
                        continue
                    cname, config = c.get("name"), c.get("config")
                    if cname == "required":
                        f.required = (config or "true").strip().lower() != "false"
                    elif cname == "required_if":
                        f.required_if = config
                        if not config:
                            chk.add(where, _("required_if: не указано условие (config)"))
                    elif cname == "min_items":
                        try:
                            f.min_items = int(config or "")
                        except ValueError:
                            chk.add(where, _("min_items: ожидается целое число"))
                    else:
                        chk.add(where, _("Неизвестное ограничение «%(name)s»; допустимы required, "
                                         "required_if, min_items") % {"name": cname})
            elif name == "properties":
                for p in child:
                    pname = p.get("name") or p.get("id")
                    if pname:
                        f.properties[pname] = p.get("value") or ""
        if f.type == "list":
            try:
                f.fields = parse_fields_property(f.properties.get("fields", ""))
            except ValueError as e:
                chk.add(where, str(e))
        describe_options(f)
        fields.append(f)
    form = FormDefinition(fields=fields)
    for path, reason in check_form(form):
        chk.add(f"{task_id}.{path}", reason)
    return form


def _check_assignee(task_id: str, text: str | None, user_task_ids: set[str], chk: _Checker) -> None:
    if not text or not text.strip():
        chk.add(task_id, _("Не указан исполнитель (camunda:assignee)"))
        return
    try:
        expressions.check(text, allowed_functions=ASSIGNEE_FUNCTIONS)
    except expressions.ExpressionError as e:
        chk.add(task_id, _("Исполнитель: %(error)s") % {"error": e})
        return
    for node in ast.walk(ast.parse(text.strip(), mode="eval")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ASSIGNEE_FUNCTIONS:
            if node.func.id == "one_of":
                if not node.args or node.keywords or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args
                ):
                    chk.add(task_id, _("Исполнитель: one_of() принимает имена пользователей в кавычках"))
                continue
            if len(node.args) != 1 or node.keywords:
                chk.add(task_id, _("Исполнитель: %(fn)s() принимает один аргумент") % {"fn": node.func.id})
                continue
            arg = node.args[0]
            if node.func.id in ("role", "performer") and not (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ):
                chk.add(task_id, _("Исполнитель: аргумент %(fn)s() должен быть строкой в кавычках")
                        % {"fn": node.func.id})
            elif node.func.id == "performer" and arg.value not in user_task_ids:
                chk.add(task_id, _("Исполнитель: в процессе нет пользовательской задачи «%(key)s»")
                        % {"key": arg.value})


def _check_timer(event: etree._Element, eid: str, chk: _Checker) -> tuple[str, str] | None:
    defs = event.xpath("./bpmn:timerEventDefinition", namespaces=NS)
    if len(defs) != 1:
        chk.add(eid, _("Ожидается ровно одно определение таймера"))
        return None
    td = defs[0]
    duration = td.find("bpmn:timeDuration", NS)
    date = td.find("bpmn:timeDate", NS)
    if td.find("bpmn:timeCycle", NS) is not None:
        chk.add(eid, _("Циклические таймеры (timeCycle) не поддерживаются"))
        return None
    if (duration is None) == (date is None):
        chk.add(eid, _("Укажите у таймера ровно одно: timeDuration или timeDate"))
        return None
    value = _timer_literal((duration if duration is not None else date).text)
    try:
        if duration is not None:
            parse_duration(value)
            return "duration", value
        _parse_instant(value)
        return "date", value
    except ValueError as e:
        chk.add(eid, str(e))
        return None


def _validate_container(
    container: etree._Element,
    chk: _Checker,
    model: dict[str, Any],
    user_task_ids: set[str],
    top_level: bool,
) -> None:
    """Validate the flow elements of a process or a subprocess (recursively)."""
    cid = container.get("id") or "?"
    nodes: dict[str, etree._Element] = {}
    flows: list[etree._Element] = []
    for el in container:
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag, eid = _local(el.tag), el.get("id") or "?"
        if _ns(el.tag) != BPMN_NS:
            chk.add(eid, _("Неизвестный элемент %(tag)s") % {"tag": el.tag})
            continue
        if tag in _FLOW_NODES:
            nodes[eid] = el
        elif tag == "sequenceFlow":
            flows.append(el)
        elif tag not in _OTHER_ALLOWED:
            chk.add(eid, _("Элемент %(tag)s не поддерживается") % {"tag": tag})

    incoming: dict[str, list[etree._Element]] = {n: [] for n in nodes}
    outgoing: dict[str, list[etree._Element]] = {n: [] for n in nodes}
    for fl in flows:
        fid, src, dst = fl.get("id") or "?", fl.get("sourceRef"), fl.get("targetRef")
        if src not in nodes or dst not in nodes:
            chk.add(fid, _("Поток ссылается на несуществующий элемент"))
            continue
        outgoing[src].append(fl)
        incoming[dst].append(fl)
        cond = fl.find("bpmn:conditionExpression", NS)
        _check_camunda_extensions(fl, chk)
        if cond is not None:
            chk.expr(fid, _("Условие"), cond.text)
            _check_reads(chk, fid, _label(fl), _("условие"), cond.text, model["declared"])

    starts = [n for n, el in nodes.items() if _local(el.tag) == "startEvent"]
    if len(starts) != 1:
        chk.add(cid, _("Нужно ровно одно начальное событие (startEvent), найдено %(n)s") % {"n": len(starts)})

    for eid, el in nodes.items():
        tag = _local(el.tag)
        model["elements"][eid] = tag
        _check_camunda_extensions(el, chk)
        event_defs = [c for c in el if isinstance(c.tag, str) and _local(c.tag).endswith("EventDefinition")]
        if el.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None or \
                el.find("bpmn:standardLoopCharacteristics", NS) is not None:
            chk.add(eid, _("Циклы и множественные экземпляры задач не поддерживаются"))
        if tag in ("startEvent", "endEvent") and event_defs:
            chk.add(eid, _("Поддерживаются только простые (none) начальные и конечные события"))
        if tag != "startEvent" and tag != "boundaryEvent" and not incoming[eid]:
            chk.add(eid, _("Нет входящего потока"))
        if tag != "endEvent" and not outgoing[eid] and not (
            tag == "boundaryEvent" and el.get("cancelActivity") == "false"
        ):
            chk.add(eid, _("Нет исходящего потока"))
        if tag == "startEvent" and incoming[eid]:
            chk.add(eid, _("У начального события не может быть входящих потоков"))
        if tag == "endEvent":
            outcome = _properties(el).get("outcome")
            if outcome is not None:
                if outcome not in OUTCOMES:
                    chk.add(eid, _("outcome должен быть одним из: %(v)s") % {"v": ", ".join(OUTCOMES)})
                elif top_level:
                    model["end_outcomes"][eid] = outcome
                else:
                    chk.add(eid, _("outcome задаётся только на конечных событиях процесса, не подпроцесса"))
        elif tag == "userTask":
            _validate_user_task(el, eid, chk, model, user_task_ids)
        elif tag == "serviceTask":
            topic = _camunda(el, "topic")
            if _camunda(el, "type") != "external" or not topic:
                chk.add(eid, _("Сервисная задача: нужны camunda:type=\"external\" и camunda:topic"))
            elif not _HOOK.match(topic):
                chk.add(eid, _("Сервисная задача: недопустимое имя обработчика «%(t)s»") % {"t": topic})
            else:
                model["service_topics"].add(topic)
        elif tag == "scriptTask":
            script = el.find("bpmn:script", NS)
            try:
                expressions.check_assignments(script.text if script is not None else "")
            except expressions.ExpressionError as e:
                chk.add(eid, _("Скрипт: %(error)s") % {"error": e})
            else:
                for line in (script.text or "").splitlines() if script is not None else ():
                    if "=" in line and not line.strip().startswith("#"):
                        _check_reads(chk, eid, _label(el), _("скрипт"), line.split("=", 1)[1], model["declared"])
        elif tag in ("exclusiveGateway", "inclusiveGateway"):
            default = el.get("default")
            if len(outgoing[eid]) > 1:
                for fl in outgoing[eid]:
                    if fl.find("bpmn:conditionExpression", NS) is None and fl.get("id") != default:
                        chk.add(fl.get("id") or eid,
                                _("Поток из развилки без условия (и не поток по умолчанию)"))
        elif tag == "intermediateCatchEvent":
            timer = _check_timer(el, eid, chk)
            if timer:
                model["timers"][eid] = TimerModel(eid, timer[0], timer[1], properties=_properties(el))
        elif tag == "boundaryEvent":
            attached = el.get("attachedToRef")
            if attached not in nodes or _local(nodes[attached].tag) != "userTask":
                chk.add(eid, _("Граничное событие можно прикрепить только к пользовательской задаче"))
            timer = _check_timer(el, eid, chk)
            props = _properties(el)
            if props.get("notify") not in (None, "reminder"):
                chk.add(eid, _("notify: допустимо только значение reminder"))
            if timer:
                model["timers"][eid] = TimerModel(
                    eid, timer[0], timer[1], interrupting=el.get("cancelActivity") != "false",
                    attached_to=attached, properties=props,
                )
        elif tag == "subProcess":
            if el.get("triggeredByEvent") == "true":
                chk.add(eid, _("Событийные подпроцессы не поддерживаются"))
            else:
                _validate_container(el, chk, model, user_task_ids, top_level=False)


def _validate_user_task(
    el: etree._Element, eid: str, chk: _Checker, model: dict[str, Any], user_task_ids: set[str]
) -> None:
    if not _KEY.match(eid):
        chk.add(eid, _("Ключ задачи (id) должен состоять из латинских букв, цифр и «_»"))
    title = el.get("name") or ""
    if not title.strip():
        chk.add(eid, _("Не указано название задачи (name)"))
    else:
        try:
            expressions.check_template(title)
        except expressions.ExpressionError as e:
            chk.add(eid, _("Название: %(error)s") % {"error": e})
    declared = model["declared"]
    label = _label(el)
    assignee, users, groups = _camunda_assignee(el, label, declared, chk)
    _check_assignee(eid, assignee, user_task_ids, chk)
    _check_reads(chk, eid, label, _("исполнитель"), assignee, declared)
    if title.strip():
        for is_expr, text in _template_parts(title):
            if is_expr:
                _check_reads(chk, eid, label, _("название"), text, declared)
    props = _properties(el)
    due = props.get("due", "P2D")
    camunda_due = _camunda(el, "dueDate")
    if camunda_due is not None:
        if "due" in props:
            chk.strict(eid, _("%(element)s: срок задан дважды — camunda:dueDate и свойство due") % {"element": label})
        value = _camunda_duration(el, label, "dueDate", camunda_due, chk, dates=False)
        if value:
            due = value
    follow_up = _camunda(el, "followUpDate")
    if follow_up is not None:
        value = _camunda_duration(el, label, "followUpDate", follow_up, chk, dates=True)
        if value:
            model["follow_ups"].append((el, eid, value))
    try:
        parse_duration(due)
    except ValueError as e:
        chk.add(eid, _("due: %(error)s") % {"error": e})
    due_calendar = props.get("due_calendar", "calendar")
    if due_calendar not in ("calendar", "working"):
        chk.add(eid, _("due_calendar: допустимо calendar или working"))
    kind = props.get("kind", "assignment")
    if kind not in ("assignment", "task"):
        chk.add(eid, _("kind: допустимо assignment или task"))
    validator = props.get("validator") or None
    if validator and not _HOOK.match(validator):
        chk.add(eid, _("validator: недопустимое имя «%(v)s»") % {"v": validator})
    approval = props.get("approval", "false")
    if approval not in ("true", "false"):
        chk.add(eid, _("approval: допустимо true или false"))
    self_approval = props.get("self_approval", "forbidden")
    if self_approval not in SELF_APPROVAL:
        chk.add(eid, _("self_approval: допустимо %(values)s") % {"values": ", ".join(SELF_APPROVAL)})
    elif "self_approval" in props and approval != "true":
        chk.add(eid, _("self_approval имеет смысл только у шага согласования (approval=true)"))
    approves = tuple(key.strip() for key in props.get("approves", "").split(",") if key.strip())
    if approves and approval != "true":
        chk.add(eid, _("approves имеет смысл только у шага согласования (approval=true)"))
    for key in approves:
        if key not in user_task_ids:
            chk.add(eid, _("approves: нет пользовательской задачи «%(key)s»") % {"key": key})
    form = _parse_form(el, eid, chk)
    for form_field in form.fields:
        where = f"{eid}.{form_field.id}"
        _check_reads(chk, where, label, _("значение по умолчанию поля «%(field)s»") % {"field": form_field.id},
                     form_field.default, declared)
        _check_reads(chk, where, label, _("условие required_if поля «%(field)s»") % {"field": form_field.id},
                     form_field.required_if, declared)
    if kind == "task" and form.fields:
        chk.add(eid, _("У шага kind=task (задача в разделе «Задачи») не бывает формы"))
    form.validator = validator
    model["user_tasks"][eid] = UserTaskModel(
        key=eid, title=title, assignee=(assignee or "").strip(), due=due, due_calendar=due_calendar,
        kind=kind, form=form, validator=validator, properties=props, description=props.get("description"),
        approval=approval == "true", self_approval=self_approval, approves=approves,
        name=el.get("name") or "", users=users, groups=groups,
    )


def _template_parts(title: str) -> list[tuple[bool, str]]:
    try:
        return expressions._split_template(title)
    except expressions.ExpressionError:
        return []


def _camunda_assignee(
    el: etree._Element, label: str, declared: set[str], chk: _Checker
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """The assignee rule of a user task, with Camunda 7's meaning where ours has none.

    Returns (rule, literal usernames, role codes). ``camunda:assignee`` is our expression; in
    Camunda it is a user id or ``${…}``. So ``${variable}`` is that variable, and a bare name that
    is no variable of the process is a username (``demo`` → ``employee('demo')``; the deploy checks
    the employee exists). ``camunda:candidateUsers`` and ``camunda:candidateGroups`` (role codes)
    follow as fallbacks: the least busy active candidate (``one_of``, our rule for several people),
    then the least busy holder of each group in turn (``role``).
    """
    eid = el.get("id") or "?"
    text = _camunda(el, "assignee")
    users: list[str] = []
    rule = text.strip() if text and text.strip() else None
    if rule is not None:
        juel = _JUEL.match(rule)
        if juel:
            inner = juel.group(1).strip()
            if _KEY.match(inner):
                rule = inner
            else:
                chk.strict(eid, _("%(element)s: исполнитель «%(expr)s» — выражения JUEL не поддерживаются; "
                                  "напишите правило нашим языком, например role('sales_head')")
                           % {"element": label, "expr": rule})
                rule = None
        elif _USERNAME.match(rule) and rule not in declared and not rule.isdigit():
            users.append(rule)
            rule = f"employee({rule!r})"
    parts = [rule] if rule else []
    candidates = _split_list(_camunda(el, "candidateUsers"))
    groups = _split_list(_camunda(el, "candidateGroups"))
    for name, values in (("candidateUsers", candidates), ("candidateGroups", groups)):
        for value in values:
            if not _USERNAME.match(value) or _JUEL.match(value):
                chk.strict(eid, _("%(element)s: camunda:%(attr)s — «%(value)s» не имя, выражения не поддерживаются")
                           % {"element": label, "attr": name, "value": value})
    candidates = [c for c in candidates if _USERNAME.match(c)]
    groups = [g for g in groups if _USERNAME.match(g)]
    if candidates:
        users.extend(c for c in candidates if c not in users)
        parts.append("one_of(" + ", ".join(repr(c) for c in candidates) + ")")
    parts.extend(f"role({g!r})" for g in groups)
    return (" or ".join(parts) if parts else text), tuple(users), tuple(groups)


def _split_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _camunda_duration(
    el: etree._Element, label: str, attr: str, text: str, chk: _Checker, *, dates: bool
) -> str | None:
    """``camunda:dueDate``/``followUpDate`` as our timer value: an ISO 8601 duration (counted from
    the moment the step opens), or for ``followUpDate`` also an instant with an offset. Camunda
    also takes JUEL expressions; those are refused, as is a fixed due date (every instance of the
    file would share one deadline, and ours counts from the step)."""
    eid = el.get("id") or "?"
    value = text.strip()
    if _JUEL.match(value):
        chk.strict(eid, _("%(element)s: camunda:%(attr)s «%(value)s» — выражения JUEL не поддерживаются; "
                          "укажите длительность ISO 8601, например P3D")
                   % {"element": label, "attr": attr, "value": value})
        return None
    if value.upper().startswith("P"):
        try:
            parse_duration(value)
        except ValueError as error:
            chk.strict(eid, _("%(element)s: camunda:%(attr)s — %(error)s")
                       % {"element": label, "attr": attr, "error": error})
            return None
        return value
    if dates:
        try:
            _parse_instant(value)
        except ValueError as error:
            chk.strict(eid, _("%(element)s: camunda:%(attr)s — %(error)s")
                       % {"element": label, "attr": attr, "error": error})
            return None
        return value
    chk.strict(eid, _("%(element)s: camunda:dueDate «%(value)s» — укажите длительность ISO 8601 (например, P3D): "
                      "срок считается от открытия шага") % {"element": label, "value": value})
    return None


def _check_process_properties(pid: str, props: dict[str, str], chk: _Checker) -> None:
    for name in _PROCESS_BOOL_PROPS:
        if name in props and props[name] not in ("true", "false"):
            chk.add(pid, _("%(name)s: допустимо true или false") % {"name": name})
    if props.get("schedule"):
        from croniter import croniter

        if not croniter.is_valid(props["schedule"]):
            chk.add(pid, _("schedule: некорректное cron-выражение «%(v)s»") % {"v": props["schedule"]})
    tz = props.get("schedule_tz")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            chk.add(pid, _("schedule_tz: неизвестный часовой пояс «%(v)s»") % {"v": tz})
    if props.get("unique_by") and not _KEY.match(props["unique_by"]):
        chk.add(pid, _("unique_by: ожидается имя переменной"))
    for name in filter(None, (n.strip() for n in props.get("start_variables", "").split(","))):
        if not _KEY.match(name):
            chk.add(pid, _("start_variables: недопустимое имя переменной «%(v)s»") % {"v": name})
    roles = props.get("start_roles")
    if roles is not None and roles.strip() != "*":
        for code in (r.strip() for r in roles.split(",")):
            if not _KEY.match(code):
                chk.add(pid, _("start_roles: недопустимый код роли «%(v)s»") % {"v": code})


def load_process(
    xml: bytes,
    *,
    filename: str = "",
    deploying: bool = True,
    hook_variables: dict[str, Iterable[str]] | None = None,
) -> ProcessModel:
    """Parse and validate a BPMN file; raise :class:`DeployError` listing ALL problems found.

    Checks: well-formed XML; one executable process; only the supported elements; every
    expression, title template, assignee rule, form, timer and property; that expressions read only
    variables the process declares; Camunda 7 attributes we cannot honour; diagram shapes for every
    flow node; then SpiffWorkflow's own parse. The returned model carries the SpiffWorkflow spec,
    so parse once per deployed version and cache the model.

    ``deploying=False`` loads a stored version: the checks added after it may have been deployed
    (:meth:`_Checker.strict`) are skipped, so its running instances go on. ``hook_variables``: the
    variables each service hook declares it sets (``engine.hooks.SERVICE_VARIABLES``).
    """
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    chk = _Checker(deploying)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as e:
        raise DeployError([("file", _("Некорректный XML: %(error)s") % {"error": e})]) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DeployError([("file", _("Это не файл BPMN 2.0 (корневой элемент не bpmn:definitions)"))])
    processes = root.findall("bpmn:process", NS)
    if len(processes) != 1:
        raise DeployError([("file", _("В файле должен быть ровно один процесс, найдено %(n)s")
                            % {"n": len(processes)})])
    proc = processes[0]
    pid = proc.get("id") or ""
    if not _KEY.match(pid):
        chk.add(pid or "file", _("Ключ процесса (id) должен состоять из латинских букв, цифр и «_»"))
    if proc.get("isExecutable") != "true":
        chk.add(pid, _("Процесс не исполняемый: нужен isExecutable=\"true\""))
    name = (proc.get("name") or "").strip()
    if not name:
        chk.add(pid, _("Не указано название процесса (name)"))
    for other in root:
        if isinstance(other.tag, str) and _local(other.tag) in ("message", "signal", "error", "escalation"):
            chk.add(other.get("id"), _("Элемент %(tag)s не поддерживается") % {"tag": _local(other.tag)})
    props = _properties(proc)
    _check_process_properties(pid, props, chk)
    # SpiffWorkflow finds BPMN elements by id anywhere in the file: an enum option <camunda:value
    # id="approve"> would shadow a task with the same id. Form field ids may repeat across tasks.
    bpmn_ids: list[str] = []
    other_ids: set[str] = set()
    for el in root.iter():
        eid = el.get("id") if isinstance(el.tag, str) else None
        if eid is None:
            continue
        if el.tag.startswith(f"{{{BPMN_NS}}}"):
            bpmn_ids.append(eid)
        else:
            other_ids.add(eid)
    seen_ids: set[str] = set()
    for eid in bpmn_ids:
        if eid in seen_ids or eid in other_ids:
            chk.add(eid, _("Идентификатор «%(id)s» используется в файле дважды") % {"id": eid})
        seen_ids.add(eid)

    user_task_ids = {el.get("id") for el in proc.iter(f"{{{BPMN_NS}}}userTask")}
    declared = _declared_variables(proc, props, hook_variables or {})
    model: dict[str, Any] = {"elements": {}, "user_tasks": {}, "service_topics": set(), "timers": {},
                             "end_outcomes": {}, "declared": declared, "follow_ups": []}
    _check_camunda_extensions(proc, chk)
    for is_expr, text in _template_parts(props.get("title", "")):
        if is_expr:
            _check_reads(chk, pid, element_label("process", pid, name), _("название экземпляра"), text, declared)
    _validate_container(proc, chk, model, user_task_ids, top_level=True)
    for task_el, task_key, value in model["follow_ups"]:
        timer_key = f"{task_key}_follow_up"
        if timer_key in seen_ids or timer_key in other_ids:
            chk.add(task_key, _("%(element)s: camunda:followUpDate — идентификатор «%(id)s» уже занят")
                    % {"element": _label(task_el), "id": timer_key})
            continue
        kind = "date" if not value.upper().startswith("P") else "duration"
        model["timers"][timer_key] = TimerModel(timer_key, kind, value, interrupting=False, attached_to=task_key,
                                                properties={"notify": "reminder"})
        task_el.getparent().append(_follow_up_event(timer_key, task_key, kind, value))

    # Diagram information: every flow node must have a shape, or the modeler cannot show it.
    diagrams = root.findall("bpmndi:BPMNDiagram", NS)
    if not diagrams:
        chk.add("file", _("Нет диаграммы (bpmndi:BPMNDiagram): файл не откроется в редакторе BPMN"))
    else:
        shapes = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
        for eid in model["elements"]:
            if eid not in shapes:
                chk.add(eid, _("Нет фигуры на диаграмме (bpmndi:BPMNShape)"))

    if chk.errors:
        raise DeployError(chk.errors)

    try:
        spiff_parser = _Parser()
        spiff_parser.add_bpmn_xml(etree.ElementTree(root), filename=filename or None)
        spec = spiff_parser.get_spec(pid)
        subprocess_specs = spiff_parser.get_subprocess_specs(pid)
    except ValidationException as e:
        raise DeployError([(getattr(e, "id", "") or "file", str(e))]) from None
    except SpiffWorkflowException as e:
        raise DeployError([("file", str(e))]) from None
    for s in [spec, *subprocess_specs.values()]:
        _install_timers(s)

    return ProcessModel(
        key=pid,
        name=name,
        properties=props,
        user_tasks=model["user_tasks"],
        service_topics=model["service_topics"],
        xml=xml,
        checksum=hashlib.sha256(xml).hexdigest(),
        timers=model["timers"],
        end_outcomes=model["end_outcomes"],
        elements=model["elements"],
        spec=spec,
        subprocess_specs=subprocess_specs,
    )


def _follow_up_event(key: str, task_key: str, kind: str, value: str) -> etree._Element:
    """``camunda:followUpDate`` as the engine sees it: a non-interrupting reminder timer on the
    step (``notify="reminder"``), as if the file had drawn one. Added to the parsed tree only, so
    the stored file stays the author's and the diagram shows no extra shape."""
    event = etree.Element(f"{{{BPMN_NS}}}boundaryEvent", id=key, attachedToRef=task_key, cancelActivity="false")
    ext = etree.SubElement(event, f"{{{BPMN_NS}}}extensionElements")
    holder = etree.SubElement(ext, f"{{{CAMUNDA_NS}}}properties")
    etree.SubElement(holder, f"{{{CAMUNDA_NS}}}property", name="notify", value="reminder")
    definition = etree.SubElement(event, f"{{{BPMN_NS}}}timerEventDefinition")
    tag = "timeDuration" if kind == "duration" else "timeDate"
    etree.SubElement(definition, f"{{{BPMN_NS}}}{tag}").text = value
    return event


# --- SpiffWorkflow plumbing ----------------------------------------------------------------------


class _ExternalServiceTask(ServiceTask):
    """``serviceTask camunda:type="external" camunda:topic="hook"``: calls the runner's callback."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str = "", **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, task: Any) -> bool:
        engine = task.workflow.top_workflow.script_engine
        engine.run_service(task, self.topic)
        return True


class _ServiceTaskParser(TaskParser):
    def create_task(self) -> Any:
        return self.spec_class(self.spec, self.bpmn_id, topic=_camunda(self.node, "topic") or "",
                               **self.bpmn_attributes)


class _Parser(BpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        full_tag("serviceTask"): (_ServiceTaskParser, _ExternalServiceTask),
        full_tag("userTask"): (TaskParser, UserTask),
    }


class _ClockDurationTimer(DurationTimerEventDefinition):
    """A duration timer that reads :func:`base.clock.now` and adds months by the calendar."""

    def has_fired(self, my_task: Any) -> bool:
        fire_at = my_task._get_internal_data("event_value")
        if fire_at is None:
            fire_at = add_duration(clock.now(), self.expression).isoformat()
            my_task._set_internal_data(event_value=fire_at)
        if datetime.fromisoformat(fire_at) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class _ClockDateTimer(TimeDateEventDefinition):
    """A date timer (``timeDate`` with an offset) that reads :func:`base.clock.now`."""

    def has_fired(self, my_task: Any) -> bool:
        fire_at = my_task._get_internal_data("event_value")
        if fire_at is None:
            fire_at = _parse_instant(self.expression).isoformat()
            my_task._set_internal_data(event_value=fire_at)
        if datetime.fromisoformat(fire_at) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


def _install_timers(spec: Any) -> None:
    """Swap SpiffWorkflow's timer definitions (which eval their text) for ours (literal ISO values)."""
    for ts in spec.task_specs.values():
        ed = getattr(ts, "event_definition", None)
        if isinstance(ed, TimerEventDefinition) and not isinstance(ed, (_ClockDurationTimer, _ClockDateTimer)):
            cls = _ClockDurationTimer if isinstance(ed, DurationTimerEventDefinition) else _ClockDateTimer
            ts.event_definition = cls(ed.name, _timer_literal(ed.expression), description=ed.description)


class _NoPythonEnvironment(BasePythonScriptEngineEnvironment):
    """Fails closed: any SpiffWorkflow code path we did not route through expressions.py stops here."""

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        raise RunError(_("Выполнение Python-кода запрещено"))

    def execute(self, script: str, context: Any, external_context: Any = None) -> Any:
        raise RunError(_("Выполнение Python-кода запрещено"))

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise RunError(_("Выполнение Python-кода запрещено"))


class _SafeScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine interface, backed by :mod:`engine.expressions`.

    Expressions see the process variables: the top workflow's ``data``, one scope for the whole
    instance (like Camunda's process variables), not SpiffWorkflow's per-task data copies.
    """

    def __init__(self) -> None:
        super().__init__(environment=_NoPythonEnvironment())
        self.service: Callable[[str, dict], dict | None] | None = None

    def validate(self, expression: str) -> None:
        expressions.check(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return expressions.evaluate(expression, task.workflow.top_workflow.data)
        except expressions.ExpressionError as e:
            raise RunError(str(e), task.task_spec.bpmn_id) from None

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        data = task.workflow.top_workflow.data
        try:
            data.update(expressions.run_assignments(script, data))
        except expressions.ExpressionError as e:
            raise RunError(str(e), task.task_spec.bpmn_id) from None
        return True

    def run_service(self, task: Any, topic: str) -> None:
        if self.service is None:
            raise RunError(_("Сервисная задача вызвана без обработчика"), task.task_spec.bpmn_id)
        data = task.workflow.top_workflow.data
        result = self.service(topic, dict(data))
        if result:
            try:
                json.dumps(result)
            except (TypeError, ValueError):
                raise RunError(_("Обработчик «%(t)s» вернул несериализуемые данные") % {"t": topic},
                               task.task_spec.bpmn_id) from None
            data.update(result)


class _StateConverter(BpmnWorkflowConverter):
    """Serialize a workflow WITHOUT its spec: the spec comes from the cached model on load.

    Stock SpiffWorkflow embeds the whole spec in every state (tens of KB per save).
    """

    def to_dict(self, workflow: Any) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict, spec: Any = None, subprocess_specs: Any = None) -> Any:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = dict(DEFAULT_CONFIG)
_CONFIG[BpmnWorkflow] = _StateConverter
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
STATE_FORMAT = 1
_FINISHED = TaskState.FINISHED_MASK


# --- the runner ------------------------------------------------------------------------------------


class Runner:
    """One running instance: drive it, read what it waits for, serialize it.

    Not thread-safe; the caller loads it inside a transaction that locks the instance row,
    calls :meth:`complete`/:meth:`advance`, and stores :meth:`dumps`.
    """

    def __init__(self, model: ProcessModel, workflow: BpmnWorkflow, envelope: dict | None = None) -> None:
        self.model = model
        self.workflow = workflow
        self._engine = _SafeScriptEngine()
        workflow.script_engine = self._engine
        env = envelope or {}
        self._done: list[str] = list(env.get("done", []))
        self._outcome: str | None = env.get("outcome")
        self._outcome_at: float = env.get("outcome_at", 0.0)

    # construction / persistence

    @classmethod
    def start(cls, model: ProcessModel, variables: dict) -> Runner:
        """A new instance with these variables; call :meth:`advance` to run up to the first wait."""
        wf = BpmnWorkflow(model.spec, model.subprocess_specs)
        wf.data.update(json.loads(json.dumps(variables or {})))
        return cls(model, wf)

    @classmethod
    def load(cls, model: ProcessModel, state: str) -> Runner:
        """Restore an instance from :meth:`dumps` of the same model version."""
        env = json.loads(state)
        if env.get("format") != STATE_FORMAT:
            raise RunError(_("Неизвестный формат состояния процесса"))
        dct = env["spiff"]
        _SERIALIZER.migrate(dct)
        wf = _SERIALIZER.from_dict(dct, spec=model.spec, subprocess_specs=model.subprocess_specs)
        return cls(model, wf, env)

    def dumps(self) -> str:
        """The state as a JSON string: SpiffWorkflow's task tree (without the spec) in our envelope."""
        dct = _SERIALIZER.to_dict(self.workflow)
        dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
        env = {"format": STATE_FORMAT, "spiff": dct, "done": self._done, "outcome": self._outcome,
               "outcome_at": self._outcome_at}
        return json.dumps(env, ensure_ascii=False, separators=(",", ":"))

    # driving

    def advance(self, *, call_service: Callable[[str, dict], dict | None]) -> list[WaitingTimer]:
        """Run engine steps until only people or future timers are awaited.

        Runs script tasks, gateways, service tasks (``call_service(topic, variables)`` may return
        variables to merge) and timers due by :func:`base.clock.now`. Returns the timers that
        fired during this call (an addition to the brief's ``-> None``: the caller sends reminders
        for them). Raises :class:`RunError` on a failing expression or hook.
        """
        before = {t.id: t for t in self.waiting_timers()}
        self._engine.service = call_service
        try:
            for _round in range(1000):
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps()
                if not self.workflow.get_tasks(state=TaskState.READY, manual=False):
                    break
        except RunError:
            raise
        except SpiffWorkflowException as e:
            raise RunError(str(e), _element_of(e)) from None
        finally:
            self._engine.service = None
        self._record()
        fired = []
        for tid, timer in before.items():
            task = self._task(tid)
            if task is None or task.state == TaskState.COMPLETED:
                fired.append(timer)
        self._prune()
        return fired

    def ready_user_tasks(self) -> list[ReadyTask]:
        """READY user tasks, oldest first (then by key), so callers create assignments stably."""
        tasks = [t for t in self.workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask)]
        tasks.sort(key=lambda t: (t.last_state_change, t.task_spec.bpmn_id, str(t.id)))
        return [ReadyTask(str(t.id), t.task_spec.bpmn_id) for t in tasks]

    def complete(self, task_id: str, data: dict) -> None:
        """Merge ``data`` into the variables and complete the user task; then call :meth:`advance`.

        Raises :class:`RunError` if the task is unknown, not a user task or not READY (completed,
        cancelled by a timer...). ``data`` should be the cleaned output of ``forms.validate``.
        """
        task = self._task(task_id)
        if task is None or not isinstance(task.task_spec, UserTask):
            raise RunError(_("Задача не найдена"), task_id)
        if task.state != TaskState.READY:
            raise RunError(_("Задача уже не ожидает выполнения"), task.task_spec.bpmn_id)
        payload = json.loads(json.dumps(data or {}))
        self.workflow.data.update(payload)
        try:
            task.run()
        except SpiffWorkflowException as e:
            raise RunError(str(e), _element_of(e)) from None
        self._record()

    def waiting_timers(self) -> list[WaitingTimer]:
        """Timers waiting to fire, with the instant they fire at (by :func:`base.clock.now`)."""
        result = []
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            ed = getattr(task.task_spec, "event_definition", None)
            if not isinstance(ed, (_ClockDurationTimer, _ClockDateTimer)):
                continue
            fire_at = task._get_internal_data("event_value")
            if fire_at is None:
                continue
            key = task.task_spec.bpmn_id
            timer = self.model.timers.get(key)
            attached = None
            if timer is not None and timer.attached_to and task.parent is not None:
                attached = next((str(c.id) for c in task.parent.children
                                 if c.task_spec.bpmn_id == timer.attached_to), None)
            result.append(WaitingTimer(str(task.id), key, datetime.fromisoformat(fire_at), attached,
                                       dict(timer.properties) if timer else {}))
        result.sort(key=lambda t: (t.fire_at, t.key))
        return result

    def cancel(self) -> None:
        """Stop the instance: every unfinished task is cancelled; :attr:`finished` becomes True."""
        self.workflow.cancel()
        self._prune()

    # reading

    @property
    def finished(self) -> bool:
        """True when nothing is left to do (end reached everywhere, or cancelled)."""
        return self.workflow.is_completed()

    @property
    def variables(self) -> dict:
        """The process variables (JSON-serializable)."""
        return self.workflow.data

    @property
    def outcome(self) -> str | None:
        """The ``outcome`` of the last end event reached that declares one, else None."""
        return self._outcome

    def completed_steps(self) -> list[str]:
        """Element ids completed at least once, in first-completion order (for the diagram)."""
        return list(self._done)

    def current_steps(self) -> list[str]:
        """Element ids that are active now: ready user tasks, waiting timers, running subprocesses."""
        ids: list[str] = []
        for task in self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            bid = task.task_spec.bpmn_id
            if bid and bid in self.model.elements and bid not in ids:
                ids.append(bid)
        return ids

    # internals

    def _all_tasks(self) -> Iterable[Any]:
        yield from self.workflow.tasks.values()
        for sp in self.workflow.subprocesses.values():
            yield from sp.tasks.values()

    def _task(self, task_id: str) -> Any:
        try:
            uid = UUID(str(task_id))
        except ValueError:
            return None
        if uid in self.workflow.tasks:
            return self.workflow.tasks[uid]
        for sp in self.workflow.subprocesses.values():
            if uid in sp.tasks:
                return sp.tasks[uid]
        return None

    def _record(self) -> None:
        """Note completed elements and the outcome before :meth:`_prune` forgets the tasks."""
        done = set(self._done)
        completed = sorted((t for t in self._all_tasks() if t.state == TaskState.COMPLETED),
                           key=lambda t: t.last_state_change)
        for t in completed:
            bid = t.task_spec.bpmn_id
            if bid and bid in self.model.elements and bid not in done:
                done.add(bid)
                self._done.append(bid)
            if bid in self.model.end_outcomes and t.workflow is self.workflow and \
                    t.last_state_change >= self._outcome_at:
                self._outcome = self.model.end_outcomes[bid]
                self._outcome_at = t.last_state_change

    def _prune(self) -> None:
        """Drop the finished top of the task tree (see the module docstring for why).

        Keeps the deepest common ancestor of every unfinished task (and of the split task any
        waiting join still looks up), plus its parent as the new root; everything outside that
        subtree is finished and no SpiffWorkflow code path reads it again.
        """
        wf = self.workflow
        live = [t for t in wf.tasks.values() if not t.has_state(_FINISHED)]
        if not live:
            return
        anchors = list(live)
        for t in live:
            split_name = getattr(t.task_spec, "split_task", None)
            if split_name:
                anc = t.parent
                while anc is not None and anc.task_spec.name != split_name:
                    anc = anc.parent
                if anc is not None:
                    anchors.append(anc)
        common: list[Any] | None = None
        for t in anchors:
            chain = []
            node = t
            while node is not None:
                chain.append(node)
                node = node.parent
            chain.reverse()
            if common is None:
                common = chain
            else:
                n = 0
                while n < len(common) and n < len(chain) and common[n] is chain[n]:
                    n += 1
                common = common[:n]
        if not common or len(common) < 3:
            return
        new_root = common[-2]
        keep: set[UUID] = set()
        stack = [new_root]
        while stack:
            node = stack.pop()
            keep.add(node.id)
            stack.extend(node.children)
        for tid in [tid for tid in wf.tasks if tid not in keep]:
            del wf.tasks[tid]
            wf.subprocesses.pop(tid, None)
        new_root._parent = None
        wf.task_tree = new_root
        if wf.last_task is not None and wf.last_task.id not in keep:
            wf.last_task = None
        # subprocesses whose parent task was dropped (nested ones included)
        alive = set(wf.tasks)
        for sp in wf.subprocesses.values():
            alive.update(sp.tasks)
        for sid in [sid for sid in wf.subprocesses if sid not in alive]:
            del wf.subprocesses[sid]


def _element_of(error: Exception) -> str | None:
    task = getattr(error, "task", None)
    spec = getattr(error, "task_spec", None) or getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
