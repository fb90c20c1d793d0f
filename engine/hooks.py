"""The few Python hooks BPMN files may call, registered by name.

A BPMN file names a hook (``camunda:topic="create_company"`` on a service task, or the ``validator``
property of a user task); the code lives in ``processes/hooks.py`` and registers itself here. The
deploy step refuses a file that names a hook nobody registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
FORM_VALIDATORS: dict[str, FormValidator] = {}


def service_hook(name: str) -> Callable[[ServiceHook], ServiceHook]:
    def register(fn: ServiceHook) -> ServiceHook:
        SERVICE_HOOKS[name] = fn
        return fn

    return register


def form_validator(name: str) -> Callable[[FormValidator], FormValidator]:
    def register(fn: FormValidator) -> FormValidator:
        FORM_VALIDATORS[name] = fn
        return fn

    return register
