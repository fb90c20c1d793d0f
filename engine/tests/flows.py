"""Small test processes for the engine's Django layer, deployed the production way, and a harness that
runs calls at the same instant (the PostgreSQL race tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from engine.definitions import deploy
from engine.tests.builder import DECISION_FORM, DOCUMENT_FORM, Process, choice_form

SENT_FORM = choice_form("sent", "Отправлено", {"yes": "Да", "no": "Нет"}, "no")


def approval_process(key: str = "t_approval", **properties: str) -> Process:
    # The quarter of its step titles is a start variable the tests give (a start may set only declared ones).
    start = {"start_roles": "*", "start_variables": "quarter"}
    p = Process(key, "Тестовое согласование", properties={**start, **properties})
    p.start().user("attach", "Прикрепить документ на {quarter}", "role('sales_head')", due="P3D")
    p.user(
        "approve_doc", "Согласовать документ", "role('director')", form=DECISION_FORM, due="P2D", due_calendar="working"
    )
    p.gateway("gw").user("revise", "Доработать документ", "performer('attach')").end("done", outcome="approved")
    p.chain("start", "attach", "approve_doc", "gw")
    p.flow("gw", "done", "decision == 'approve'").flow("gw", "revise", "decision == 'reject'")
    p.flow("revise", "approve_doc")
    return p


def parallel_process() -> Process:
    p = Process("t_parallel", "Параллельные шаги", properties={"start_roles": "*"})
    p.start().gateway("split", "parallel")
    p.user("left", "Левая ветка", "role('sales_admin')", form="")
    p.user("right", "Правая ветка", "role('accountant')", form="")
    p.gateway("join", "parallel").user("final", "Итог", "role('director')", form="").end("end", outcome="completed")
    p.chain("start", "split", "left", "join", "final", "end")
    p.chain("split", "right", "join")
    return p


def reminder_process() -> Process:
    p = Process("t_reminder", "Напоминание", properties={"start_roles": "*"})
    p.start().user("send", "Отправить документы", "role('sales_admin')", form=SENT_FORM, due="P5D")
    p.boundary_timer("remind", "send", "P4D", notify="reminder").end("reminded")
    p.end("end", outcome="completed")
    p.chain("start", "send", "end").chain("remind", "reminded")
    return p


def task_step_process() -> Process:
    p = Process("t_task_step", "Шаг-задача", properties={"start_roles": "*"})
    p.start().user("sign", "Подпишите соглашения", "role('director')", form="", kind="task", due="P3D")
    p.end("end", outcome="completed").chain("start", "sign", "end")
    return p


def deploy_test_processes() -> dict[str, Any]:
    """Deploys the engine's test processes; returns their versions by key."""
    result = {}
    for process in (approval_process(), parallel_process(), reminder_process(), task_step_process()):
        version, _created = deploy(process.xml(), filename=f"{process.key}.bpmn")
        result[process.key] = version
    return result


def some_approvals(demo: dict[str, Any], count: int) -> None:
    """``count`` approvals started by manager1; every other one's first step (sales_head's) done,
    which opens the director's: open and done assignments in several instances, with their history,
    for the tests that compare a list's queries for a little and for more work."""
    from engine import actions

    for n in range(count):
        instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": f"2027-Q{n % 4 + 1}"})
        if n % 2:
            attach = instance.assignments.get()
            actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": f"https://d.example/{n}"})


def queries(client: Any, url: str) -> int:
    """The statements of one request, after one more before it (a first request may write: the
    session's once-a-minute save, a token's last use)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def race(*calls: Callable[[], Any]) -> list[BaseException]:
    """Run the calls in threads released at the same instant; returns the errors they raised, for the
    test to judge. Each thread closes its database connections when it is done."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as error:  # collected for the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


__all__ = ["DOCUMENT_FORM", "approval_process", "parallel_process", "race", "reminder_process", "task_step_process"]
