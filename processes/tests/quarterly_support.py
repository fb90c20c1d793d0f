"""Shared helpers of the quarterly processes' tests: deploy the real files, walk assignments by key,
and do a step the way the API and the pages do it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from django.test import Client

from base import words
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


def russian_labels(path: Path) -> set[str]:
    """The Russian texts a process file shows: element names, form labels, titles and descriptions."""
    root = ET.parse(path).getroot()  # noqa: S314  (our own file)
    texts = {el.get(attr) for el in root.iter() for attr in ("name", "label") if el.get(attr)}
    texts |= {el.get("value") for el in root.iter() if el.get("name") in ("title", "description") and el.get("value")}
    for el in root.iter():  # a decision field's lines under its buttons: a JSON object of texts
        if el.get("name") == "descriptions" and el.get("value"):
            texts |= set(json.loads(el.get("value")).values())
    return {t for t in texts if any("а" <= c.lower() <= "я" for c in t)}


# ------------------------------------------------------------------ through the API and the pages


def start_through_api(client: Client, process_key: str, quarter: Any) -> Any:
    """``POST /api/v1/processes/<key>/start`` for ``quarter``; the response, whatever its status."""
    return client.post(
        f"/api/v1/processes/{process_key}/start", {"variables": {"quarter": quarter}}, content_type="application/json"
    )


def complete_through_api(client: Client, process_key: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Find the client's own open ``key`` assignment in the API's list and complete it (must answer 200);
    returns the assignment as the list showed it."""
    mine = client.get("/api/v1/assignments", {"assignee": "me", "status": "open", "process": process_key})
    assignment = next(a for a in mine.json()["items"] if a["key"] == key)
    response = client.post(
        f"/api/v1/assignments/{assignment['id']}/complete", {"data": data}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return assignment


def submit_through_page(client: Client, instance: Instance, key: str, data: dict[str, Any]) -> Any:
    """Open the ``key`` assignment's page (it must show its title) and post the form (must redirect)."""
    assignment = open_assignment(instance, key)
    page = client.get(f"/assignments/{assignment.pk}/")
    assert page.status_code == 200 and words.quarters_in(assignment.title) in page.content.decode()
    response = client.post(f"/assignments/{assignment.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response
