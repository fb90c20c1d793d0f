"""Everything the engine calls outside itself, registered by name: the one door out of the core.

The engine sits below the rooms that know the customer's processes (``processes/``), plain tasks
(``tasks/``) and notifications (``notify/``), so it never imports them. Each of them registers
here what the engine should call, when its app is ready:

- **service hooks** (``camunda:topic="create_company"`` on a service task) and **form validators**
  (the ``validator`` property of a user task), by name; the deploy step refuses a file that names
  one nobody registered;
- **unique keys** (the process property ``unique_by``): how to pick a start's key when the start
  did not give one (the quarter a scheduled period runs for) and how to check a given one;
- **plain tasks**: a user task of ``kind=task`` becomes a task (задача) of the tasks app, and the
  process waits until somebody completes it (the tasks app then calls
  :func:`engine.actions.resume_after_task`);
- **listeners** of the engine's :class:`Event` s (an assignment opened, moved, overdue, a
  reminder, a process finished): how notifications learn what happened. Inside a step they get
  the step's events together, after its rows are written and before it commits.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from org.models import Employee


@dataclass
class ServiceContext:
    """What a service hook gets: the instance (locked, inside the step's transaction) and its data."""

    instance: Any
    variables: dict[str, Any]
    topic: str
    notes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FormContext:
    """What a form validator gets besides the submitted data."""

    instance: Any | None
    variables: dict[str, Any]
    actor: Employee | None
    task_key: str


ServiceHook = Callable[[ServiceContext], dict[str, Any] | None]
#: (data, context) -> (cleaned data, errors by field, warnings by field)
FormValidator = Callable[
    [dict[str, Any], FormContext], tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]
]

SERVICE_HOOKS: dict[str, ServiceHook] = {}
#: The variables each service hook may set, as it declares them: the deploy refuses a condition or
#: a rule that reads a variable nothing in the process sets (``engine.bpmn.load_process``).
SERVICE_VARIABLES: dict[str, tuple[str, ...]] = {}
FORM_VALIDATORS: dict[str, FormValidator] = {}


def service_hook(name: str, sets: Iterable[str] = ()) -> Callable[[ServiceHook], ServiceHook]:
    """Register a service hook under ``name``; ``sets`` names the variables its result may hold."""

    def register(fn: ServiceHook) -> ServiceHook:
        SERVICE_HOOKS[name] = fn
        SERVICE_VARIABLES[name] = tuple(sets)
        return fn

    return register


def form_validator(name: str) -> Callable[[FormValidator], FormValidator]:
    def register(fn: FormValidator) -> FormValidator:
        FORM_VALIDATORS[name] = fn
        return fn

    return register


# --------------------------------------------------------------------------- unique keys


class UniqueKey(Protocol):
    """The rule behind ``unique_by``: at most one instance of a process per value of that variable."""

    def value_at(self, properties: dict[str, Any], moment: datetime, tz: str) -> str | None:
        """The value a start at ``moment`` takes when it was not given one (None: it must be given)."""

    def check(self, value: str) -> str | None:
        """A sentence saying what is wrong with ``value``, or None."""


UNIQUE_KEYS: dict[str, UniqueKey] = {}


def unique_key(name: str) -> Callable[[type], type]:
    """Register the rule of ``unique_by="<name>"`` (a class with ``value_at`` and ``check``)."""

    def register(cls: type) -> type:
        UNIQUE_KEYS[name] = cls()
        return cls

    return register


# --------------------------------------------------------------------------- plain tasks


@dataclass(frozen=True)
class PlainTask:
    """A task (задача) a step of ``kind=task`` opens; ``process_task_id`` is the step's task id."""

    instance: Any
    process_task_id: str
    title: str
    description: str
    responsible: Employee
    deadline: datetime | None
    now: datetime


class PlainTasks(Protocol):
    """What the engine asks of the tasks app, inside the step's transaction."""

    def open(self, task: PlainTask) -> None:
        """Create the task a process step waits for."""

    def waiting(self, instance: Any) -> set[str]:
        """The step ids of the instance that already have their task (open or done)."""

    def close(self, instance: Any, now: datetime) -> None:
        """The instance ended: its open tasks are done with it."""


_plain_tasks: list[PlainTasks] = []


def register_plain_tasks(handler: PlainTasks) -> None:
    _plain_tasks[:] = [handler]


def plain_tasks() -> PlainTasks | None:
    """The registered handler, or None when no app handles plain tasks (deploy refuses such steps)."""
    return _plain_tasks[0] if _plain_tasks else None


# --------------------------------------------------------------------------- events


class EventKind:
    ASSIGNED = "assigned"  # an assignment was opened
    MOVED = "moved"  # an open assignment went to someone else (delegated, reassigned)
    REMINDER = "reminder"  # a reminder timer of an open assignment fired
    OVERDUE = "overdue"  # an open assignment passed its deadline
    FINISHED = "finished"  # an instance ended (any outcome)


@dataclass
class Event:
    """Something that happened in a step; ``data`` holds what the kind needs (see :class:`EventKind`):
    MOVED: ``previous`` and ``target`` (Employees), ``comment``, ``reason`` (``delegated`` or
    ``reassigned``); FINISHED: ``outcome``."""

    kind: str
    instance: Any
    assignment: Any = None
    actor: Employee | None = None
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[list[Event]], None]
LISTENERS: list[Listener] = []

_pending: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar("engine_events", default=None)


def listen(fn: Listener) -> Listener:
    if fn not in LISTENERS:
        LISTENERS.append(fn)
    return fn


def emit(event: Event) -> None:
    """Tell the listeners; inside :func:`collecting_events` the event waits for the block's end."""
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
        return
    _dispatch([event])


@contextlib.contextmanager
def collecting_events() -> Iterator[Callable[[], None]]:
    """Hold the events emitted inside the block; the yielded function hands them to the listeners.

    The step calls it after writing its own rows, so a listener's rows can refer to them; if the
    block fails, nothing is dispatched (the transaction is rolled back anyway).
    """
    token = _pending.set([])

    def flush() -> None:
        events = _pending.get() or []
        _pending.set([])
        _dispatch(events)

    try:
        yield flush
    finally:
        _pending.reset(token)


def _dispatch(events: list[Event]) -> None:
    if events:
        for listener in LISTENERS:
            listener(events)
