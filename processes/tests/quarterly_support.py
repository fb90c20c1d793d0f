"""Shared helpers of the quarterly processes' tests: deploy the real files, walk assignments by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from engine import actions
from engine.models import Assignment, AssignmentStatus, Instance
from processes.apps import deploy_files


def deploy_processes(demo: dict[str, Any]) -> dict[str, Any]:
    """The customer's process files deployed (post_migrate normally did it; a transactional test may
    have flushed them, so deploy again, which is free when nothing changed). Returns ``demo``."""
    deploy_files()
    return demo


def open_assignment(instance: Instance, key: str) -> Assignment:
    """The one open assignment of ``key`` (fails when there is none or more than one)."""
    return Assignment.objects.select_related("assignee__user").get(
        instance=instance, key=key, status=AssignmentStatus.OPEN
    )


def open_keys(instance: Instance) -> list[str]:
    return sorted(instance.assignments.filter(status=AssignmentStatus.OPEN).values_list("key", flat=True))


def do(instance: Instance, key: str, person: Any, data: dict[str, Any] | None = None) -> Assignment:
    """Complete the open ``key`` assignment as ``person`` (an Employee), who must be its assignee."""
    assignment = open_assignment(instance, key)
    assert assignment.assignee == person, (key, assignment.assignee, person)
    return actions.complete(assignment.pk, by=person.user, data=data or {})


def state_of(instance: Instance) -> tuple[Any, ...]:
    """What a refused submission must leave as it was."""
    instance.refresh_from_db()
    return (
        instance.state,
        instance.variables,
        instance.status,
        sorted(instance.assignments.values_list("pk", "status")),
        instance.tasks.count(),
    )


def shapes(path: Path) -> dict[str, tuple[float, float, float, float, bool]]:
    """Bounds of every shape by element id, and whether it is a boundary event."""
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
        "dc": "http://www.omg.org/spec/DD/20100524/DC",
    }
    root = ET.parse(path).getroot()  # noqa: S314  (our own file)
    boundary = {el.get("id") for el in root.iter(f"{{{ns['bpmn']}}}boundaryEvent")}
    result = {}
    for shape in root.iter(f"{{{ns['bpmndi']}}}BPMNShape"):
        bounds = shape.find("dc:Bounds", ns)
        x, y, w, h = (float(bounds.get(k)) for k in ("x", "y", "width", "height"))
        result[shape.get("bpmnElement")] = (x, y, w, h, shape.get("bpmnElement") in boundary)
    return result


def assert_no_overlap(shapes: dict[str, tuple[float, float, float, float, bool]]) -> None:
    """Shapes apart from each other; a boundary event sits on its task's edge by design."""
    items = list(shapes.items())
    for i, (a, (ax, ay, aw, ah, a_boundary)) in enumerate(items):
        for b, (bx, by, bw, bh, b_boundary) in items[i + 1 :]:
            if a_boundary or b_boundary:
                continue  # a boundary event sits on its task's edge by design
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, f"{a} overlaps {b}"
