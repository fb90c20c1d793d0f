"""Benchmark: a four-step approval through Soglasie's service layer vs. bare SpiffWorkflow.

Run: ``.venv/bin/python bench/engine/run.py [--instances N] [--database-url URL]``

The service layer does per step what production does: one transaction, the instance row locked,
the state loaded, the task completed, the engine advanced, the new state, assignments, history and
notifications written. Bare SpiffWorkflow does the same user-task steps in memory with its stock
Camunda parser and nothing persisted. Both run in this one process, so the ratio compares like with
like on whatever machine runs it. Prints steps per second, the ratio and the largest stored state.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402

BPMN = Path(__file__).with_name("four_step_approval.bpmn")
STEPS = ["prepare", "head_approval", "finance_approval", "director_approval"]
ACTORS = {
    "prepare": "sales_admin",
    "head_approval": "sales_head",
    "finance_approval": "findir",
    "director_approval": "director",
}
DATA = {"prepare": {"document_url": "https://docs.example.com/contract"}}


def bare_spiff(instances: int, *, round_trip: bool) -> tuple[float, int]:
    """Seconds for ``instances`` × 4 steps on stock SpiffWorkflow (its Camunda parser, its eval).

    With ``round_trip`` each step also deserializes the workflow before and serializes it after, with
    SpiffWorkflow's stock serializer: what any engine that keeps its instances between requests must
    do, and so the fair baseline for the service layer. Without it, the steps run on a live object.
    """
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.parser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("bench_approval")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    steps = 0
    started = time.perf_counter()
    for _ in range(instances):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow) if round_trip else None
        while True:
            if round_trip:
                workflow = serializer.deserialize_json(state)
            if workflow.is_completed():
                break
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(DATA.get(task.task_spec.name, {"decision": "approve"}))
            task.run()
            workflow.do_engine_steps()
            if round_trip:
                state = serializer.serialize_json(workflow)
            steps += 1
    return time.perf_counter() - started, steps


def service_layer(instances: int) -> tuple[float, int, int]:
    """Seconds spent in engine.actions for ``instances`` × 4 steps; also the largest state size.

    Only the service calls are timed: looking up the next assignment's id stands for the client,
    which has it from its list of assignments (a query of its own, one per page, not per step).
    """
    from django.contrib.auth import get_user_model

    from engine import actions
    from engine.models import Assignment, Instance

    users = {u.username: u for u in get_user_model().objects.all()}
    steps = 0
    elapsed = 0.0
    for _ in range(instances):
        began = time.perf_counter()
        instance = actions.start("bench_approval", by=users["manager1"])
        elapsed += time.perf_counter() - began
        for key in STEPS:
            assignment_id = Assignment.objects.only("pk").get(instance=instance, key=key, status="open").pk
            began = time.perf_counter()
            actions.complete(assignment_id, by=users[ACTORS[key]], data=DATA.get(key, {"decision": "approve"}))
            elapsed += time.perf_counter() - began
            steps += 1
    largest = max(len(state) for state in Instance.objects.values_list("state", flat=True))
    return elapsed, steps, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="soglasie-bench-")
    os.environ["SOGLASIE_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soglasie.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command
    from django.db import connection

    from engine.definitions import deploy

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    deploy(BPMN.read_bytes(), filename=BPMN.name)

    live_seconds, live_steps = bare_spiff(args.instances, round_trip=False)
    bare_seconds, bare_steps = bare_spiff(args.instances, round_trip=True)
    service_seconds, service_steps, largest = service_layer(args.instances)
    live_rate = live_steps / live_seconds
    bare_rate = bare_steps / bare_seconds
    service_rate = service_steps / service_seconds
    database = (
        connection.vendor
        + " "
        + (connection.Database.sqlite_version if connection.vendor == "sqlite" else str(connection.pg_version))
    )

    def line(label: str, rate: float) -> str:
        return f"{label:<52} {rate:8.0f} steps/s  ({1000 / rate:.2f} ms/step)"

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; {database}")
    print(f"workload: {args.instances} instances x {len(STEPS)} steps of {BPMN.name}")
    print(line("bare SpiffWorkflow, live object in memory:", live_rate))
    print(line("bare SpiffWorkflow, state round trip in memory:", bare_rate))
    print(line("service layer (transaction, lock, state, rows):", service_rate))
    print(f"ratio service / bare with round trip: {100 * service_rate / bare_rate:.0f}%  (target: 40% or more)")
    print(f"ratio service / bare live object:     {100 * service_rate / live_rate:.0f}%")
    print(f"largest stored state: {largest} bytes")


if __name__ == "__main__":
    main()
