"""The assignee functions a BPMN file may call are exactly the ones the engine offers."""

from __future__ import annotations

from engine import assignees
from engine.bpmn import ASSIGNEE_FUNCTIONS
from engine.models import Instance


def test_deploy_accepts_the_functions_the_engine_evaluates() -> None:
    assert set(assignees.functions(Instance())) == set(ASSIGNEE_FUNCTIONS)
