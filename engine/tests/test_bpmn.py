"""BPMN dialect: deploy-time validation and running processes through the Runner (real SpiffWorkflow)."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from base import clock
from engine.bpmn import (
    DeployError,
    ProcessModel,
    RunError,
    Runner,
    add_duration,
    load_process,
    parse_duration,
)

HERE = Path(__file__).parent
FILES = HERE / "bpmn"
T0 = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
#: What the hooks of the test files set (the registry's ``engine.hooks.SERVICE_VARIABLES`` in production).
HOOKS = {"crm.create_company": ("company_id",)}


def read(name: str) -> bytes:
    return (FILES / f"{name}.bpmn").read_bytes()


def model(name: str) -> ProcessModel:
    return load_process(read(name), filename=f"{name}.bpmn", hook_variables=HOOKS)


def no_service(topic, variables):
    raise AssertionError(f"unexpected service call {topic}")


def started(m: ProcessModel, variables=None, service=no_service) -> Runner:
    r = Runner.start(m, variables or {})
    r.advance(call_service=service)
    return r


def step(r: Runner, key: str, data: dict, service=no_service, reload=True) -> Runner:
    """Complete the one ready task with this key, advance, and round-trip the state like the service does."""
    ready = [t for t in r.ready_user_tasks() if t.key == key]
    assert len(ready) == 1, r.ready_user_tasks()
    r.complete(ready[0].id, data)
    r.advance(call_service=service)
    return Runner.load(r.model, r.dumps()) if reload else r


def keys(r: Runner) -> list[str]:
    return [t.key for t in r.ready_user_tasks()]


# --- the model -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.stem for p in FILES.glob("*.bpmn")))
def test_every_test_file_deploys(name):
    m = model(name)
    assert m.checksum and len(m.checksum) == 64
    assert m.xml == read(name)


def test_model_exposes_dialect():
    m = model("approval_loop")
    assert (m.key, m.name) == ("approval_loop", "Согласование с доработкой")
    assert m.properties["unique_by"] == "quarter"
    assert m.properties["start_roles"] == "sales_admin, director"
    attach = m.user_tasks["attach_document"]
    assert attach.title == "Прикрепить документ на {quarter}"
    assert attach.assignee == "role('sales_head')"
    assert (attach.due, attach.due_calendar, attach.kind) == ("P3D", "calendar", "assignment")
    assert [f.id for f in attach.form.fields] == ["document_url", "comment"]
    assert attach.form.fields[0].default == "document_url"
    approve = m.user_tasks["approve_document"]
    assert approve.due_calendar == "working"
    assert approve.form.fields[1].required_if == "decision == 'reject'"
    assert [o.id for o in approve.form.fields[0].options] == ["approve", "reject"]
    assert m.user_tasks["revise_document"].assignee == "performer('attach_document')"
    assert m.end_outcomes == {"end_approved": "approved"}
    assert model("parallel_loop").user_tasks["step_b"].kind == "task"
    assert model("service_script").service_topics == {"crm.create_company"}
    timers = model("timers").timers
    assert timers["remind"].properties == {"notify": "reminder"}
    assert not timers["remind"].interrupting and timers["give_up"].interrupting
    assert timers["remind"].attached_to == "send_to_clients"


# --- refused files ---------------------------------------------------------------------------------

GOOD = read("approval_loop").decode()


def mutate(old: str, new: str, text: str = GOOD) -> bytes:
    assert old in text, old
    return text.replace(old, new, 1).encode()


def refused(xml: bytes) -> list[tuple[str, str]]:
    with pytest.raises(DeployError) as info:
        load_process(xml, filename="bad.bpmn", hook_variables=HOOKS)
    assert str(info.value)
    return info.value.errors


def test_refuses_bad_xml():
    assert refused(b"<bpmn:definitions><unclosed>")[0][0] == "file"


def test_refuses_non_bpmn():
    assert refused(b"<html/>")[0][0] == "file"


def test_refuses_not_executable():
    errors = refused(mutate('isExecutable="true"', 'isExecutable="false"'))
    assert errors[0][0] == "approval_loop" and "isExecutable" in errors[0][1]


def test_refuses_without_diagram():
    xml = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", GOOD, flags=re.S)
    errors = refused(xml.encode())
    assert errors == [("file", errors[0][1])] and "диаграмм" in errors[0][1]


def test_refuses_missing_shape():
    errors = refused(mutate('bpmnElement="revise_document"', 'bpmnElement="nothing"'))
    assert ("revise_document", "Нет фигуры на диаграмме (bpmndi:BPMNShape)") in errors


def test_refuses_unsupported_element():
    xml = mutate('<bpmn:endEvent id="end_approved"',
                 '<bpmn:sendTask id="send_mail" name="Письмо"/>\n<bpmn:endEvent id="end_approved"')
    errors = refused(xml)
    assert errors[0][0] == "send_mail" and "sendTask" in errors[0][1]


def test_refuses_message_start_event():
    xml = mutate('<bpmn:startEvent id="start" name="Старт">',
                 '<bpmn:startEvent id="start" name="Старт"><bpmn:messageEventDefinition id="m1"/>')
    assert any(where == "start" for where, _ in refused(xml))


def test_refuses_dangerous_condition():
    xml = mutate("decision == 'approve'", "__import__('os').system('x')")
    errors = refused(xml)
    assert errors[0][0] == "f4" and "__import__" in errors[0][1]


def test_refuses_user_task_without_assignee():
    errors = refused(mutate(" camunda:assignee=\"role('director')\"", ""))
    assert errors == [("approve_document", "Не указан исполнитель (camunda:assignee)")]


def test_refuses_unknown_assignee_function_and_performer():
    errors = refused(mutate("role('director')", "boss_of('director')"))
    assert errors[0][0] == "approve_document" and "boss_of" in errors[0][1]
    errors = refused(mutate("performer('attach_document')", "performer('nonexistent')"))
    assert errors[0][0] == "revise_document"


def test_refuses_bad_form_type():
    errors = refused(mutate('type="textarea"/>', 'type="money"/>'))
    assert errors[0][0] == "attach_document.comment" and "money" in errors[0][1]


def test_refuses_bad_iso_duration():
    errors = refused(mutate('name="due" value="P3D"', 'name="due" value="3 days"'))
    assert errors[0][0] == "attach_document" and "ISO 8601" in errors[0][1]
    timers = read("timers").decode()
    errors = refused(mutate(">P4D<", ">P4X<", timers))
    assert errors[0][0] == "remind"


@pytest.mark.parametrize(
    ("name", "old", "new", "element"),
    [
        pytest.param(
            "intermediate_timer", "2027-06-01T09:00:00+03:00", "2027-06-01T09:00:00", "wait_date", id="naive_time_date"
        ),
        pytest.param("service_script", "total = amount * 2", "import os", "compute", id="bad_script"),
        pytest.param("service_script", ' camunda:type="external"', "", "create_company", id="bad_service_task"),
    ],
)
def test_refuses_a_bad_element_of_another_file(name, old, new, element):
    errors = refused(mutate(old, new, read(name).decode()))
    assert errors[0][0] == element


def test_refuses_gateway_flow_without_condition():
    xml = re.sub(r'(<bpmn:sequenceFlow id="f5"[^>]*>)\s*<bpmn:conditionExpression[^<]*</bpmn:conditionExpression>',
                 r"\1", GOOD)
    errors = refused(xml.encode())
    assert errors[0][0] == "f5"


def test_lists_all_problems_at_once():
    xml = mutate('isExecutable="true"', 'isExecutable="false"',
                 mutate("decision == 'approve'", "x.__class__").decode()).decode()
    xml = mutate(" camunda:assignee=\"role('director')\"", "", xml)
    where = [w for w, _ in refused(xml)]
    assert {"approval_loop", "f4", "approve_document"} <= set(where)


def test_refuses_bad_process_properties():
    xml = mutate('value="0 9 15 3,6,9,12 *"', 'value="every quarter"')
    xml = mutate('value="Europe/Moscow"', 'value="Mars/Olympus"', xml.decode())
    assert len(refused(xml)) == 2


# --- running ---------------------------------------------------------------------------------------


def test_exclusive_gateway_with_rework_loop():
    m = model("approval_loop")
    r = started(m, {"quarter": "2027-Q1"})
    assert keys(r) == ["attach_document"] and r.current_steps() == ["attach_document"]
    r = step(r, "attach_document", {"document_url": "http://a.ru/1", "comment": None})
    for i in range(3):
        r = step(r, "approve_document", {"decision": "reject", "comment": f"нет {i}"})
        assert keys(r) == ["revise_document"]
        r = step(r, "revise_document", {"document_url": f"http://a.ru/{i + 2}"})
    r = step(r, "approve_document", {"decision": "approve", "comment": None})
    assert r.finished and r.outcome == "approved"
    assert r.variables["document_url"] == "http://a.ru/4"
    assert r.completed_steps() == ["start", "attach_document", "approve_document", "decision_gw",
                                   "revise_document", "end_approved"]
    assert r.ready_user_tasks() == [] and r.waiting_timers() == []


def test_state_stays_small_over_rework_loops():
    m = model("approval_loop")
    r = started(m, {"quarter": "2027-Q1"})
    r = step(r, "attach_document", {"document_url": "http://a.ru/1"})
    sizes = []
    for _ in range(30):
        r = step(r, "approve_document", {"decision": "reject", "comment": "нет"})
        r = step(r, "revise_document", {"document_url": "http://a.ru/2"})
        sizes.append(len(r.dumps()))
    assert max(sizes) < 6000
    assert sizes[-1] - sizes[0] < 200  # no growth per loop
    assert b'"spec"' not in r.dumps().encode()


def test_parallel_split_join_loop_survives_hundreds_of_iterations():
    """Stock SpiffWorkflow 3.2.0 raises RecursionError here after ~160 loops; pruning keeps it flat."""
    m = model("parallel_loop")
    r = started(m)
    for i in range(250):
        assert sorted(keys(r)) == ["step_a", "step_b"]
        r = step(r, "step_b", {}, reload=False)
        assert keys(r) == ["step_a"]
        r = step(r, "step_a", {"comment": str(i)}, reload=(i % 25 == 0))
        assert keys(r) == ["check"]
        r = step(r, "check", {"again": i < 249}, reload=False)
    assert r.finished and r.outcome == "completed"
    assert len(r.workflow.tasks) < 40


def test_complete_refuses_unknown_or_finished_task():
    r = started(model("approval_loop"), {"quarter": "q"})
    task = r.ready_user_tasks()[0]
    r.complete(task.id, {"document_url": "http://a.ru"})
    with pytest.raises(RunError):
        r.complete(task.id, {})
    with pytest.raises(RunError):
        r.complete("00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(RunError):
        r.complete("not-a-uuid", {})


def test_condition_error_is_a_run_error():
    r = started(model("approval_loop"), {"quarter": "q"})
    r = step(r, "attach_document", {"document_url": "http://a.ru"})
    task = r.ready_user_tasks()[0]
    r.workflow.data.pop("decision", None)
    r.complete(task.id, {})
    with pytest.raises(RunError) as info:
        r.advance(call_service=no_service)
    assert "decision" in str(info.value)


def test_service_and_script_tasks():
    calls = []

    def service(topic, variables):
        calls.append((topic, variables["total"]))
        return {"company_id": 42}

    m = model("service_script")
    r = started(m, {"amount": 60}, service)
    assert calls == [("crm.create_company", 120)]
    assert r.variables == {"amount": 60, "total": 120, "label": "Сумма: 120", "big": True, "company_id": 42}
    assert keys(r) == ["review_big"]
    r = step(r, "review_big", {})
    assert r.finished and r.outcome == "approved"

    r = started(m, {"amount": 10}, lambda topic, variables: None)
    assert r.finished and r.outcome is None and r.variables["big"] is False


def test_service_returning_non_json_is_refused():
    with pytest.raises(RunError):
        started(model("service_script"), {"amount": 1}, lambda topic, variables: {"x": object()})


def test_boundary_timers_reminder_then_interrupt():
    m = model("timers")
    with clock.frozen(T0):
        r = started(m)
    task = r.ready_user_tasks()[0]
    timers = {t.key: t for t in r.waiting_timers()}
    assert timers["remind"].fire_at == T0 + timedelta(days=4)
    assert timers["give_up"].fire_at == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)  # calendar month, clamped
    assert timers["remind"].attached_to == task.id
    assert timers["remind"].properties == {"notify": "reminder"}

    with clock.frozen(T0 + timedelta(days=4) - timedelta(seconds=1)):
        assert r.advance(call_service=no_service) == []
    r = Runner.load(m, r.dumps())
    with clock.frozen(T0 + timedelta(days=4)):
        fired = r.advance(call_service=no_service)
    assert [t.key for t in fired] == ["remind"]
    assert keys(r) == ["send_to_clients"]  # non-interrupting: the task stays
    assert [t.key for t in r.waiting_timers()] == ["give_up"]
    with clock.frozen(T0 + timedelta(days=10)):
        assert r.advance(call_service=no_service) == []  # fires once

    r = Runner.load(m, r.dumps())
    with clock.frozen(datetime(2027, 2, 28, 9, 0, tzinfo=UTC)):
        fired = r.advance(call_service=no_service)
    assert [t.key for t in fired] == ["give_up"]
    assert r.ready_user_tasks() == [] and r.finished and r.outcome == "stopped"


def test_completing_the_task_cancels_its_timers():
    m = model("timers")
    with clock.frozen(T0):
        r = started(m)
        r = step(r, "send_to_clients", {"sent": "yes"})
    assert r.waiting_timers() == [] and r.finished and r.outcome == "completed"
    with clock.frozen(T0 + timedelta(days=60)):
        assert r.advance(call_service=no_service) == []
    assert r.outcome == "completed"


def test_intermediate_timers():
    m = model("intermediate_timer")
    with clock.frozen(datetime(2027, 3, 31, 12, 0, tzinfo=UTC)):
        r = started(m, {"responsible": "manager1"})
    assert [(t.key, t.fire_at) for t in r.waiting_timers()] == [
        ("wait_month", datetime(2027, 4, 30, 12, 0, tzinfo=UTC))]
    with clock.frozen(datetime(2027, 4, 30, 12, 0, tzinfo=UTC)):
        r.advance(call_service=no_service)
    r = Runner.load(m, r.dumps())
    assert [(t.key, t.fire_at) for t in r.waiting_timers()] == [
        ("wait_date", datetime(2027, 6, 1, 6, 0, tzinfo=UTC))]
    assert r.current_steps() == ["wait_date"]
    with clock.frozen(datetime(2027, 6, 1, 6, 0, tzinfo=UTC)):
        r.advance(call_service=no_service)
    assert keys(r) == ["after_wait"]


def test_timers_follow_time_machine(time_machine):
    m = model("intermediate_timer")
    time_machine.move_to(datetime(2027, 1, 15, 9, 0, tzinfo=UTC), tick=False)
    r = started(m, {"responsible": "x"})
    assert r.waiting_timers()[0].fire_at == datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
    time_machine.move_to(datetime(2027, 2, 15, 9, 0, 1, tzinfo=UTC), tick=False)
    r.advance(call_service=no_service)
    assert r.waiting_timers()[0].key == "wait_date"


def test_subprocess_runs_and_variables_are_shared():
    m = model("subprocess")
    r = started(m, {"starter": "manager1"})
    assert keys(r) == ["fill"] and "prepare" in r.current_steps()
    r = step(r, "fill", {"value": "42"})
    assert keys(r) == ["confirm"] and r.variables["prepared"] is True
    r = step(r, "confirm", {})
    assert r.finished and r.outcome == "completed"
    assert {"prepare", "fill", "mark", "confirm"} <= set(r.completed_steps())


def test_stored_state_of_this_spiffworkflow_version_still_loads():
    """A SpiffWorkflow upgrade that cannot read our stored states must fail here, not in production."""
    state = (HERE / "fixtures" / "state_v1.json").read_text()
    assert json.loads(state)["format"] == 1
    m = model("subprocess")
    r = Runner.load(m, state)
    assert r.variables == {"starter": "manager1"}
    assert keys(r) == ["fill"]
    r = step(r, "fill", {"value": "v"})
    r = step(r, "confirm", {})
    assert r.finished and r.outcome == "completed"


def test_cancel():
    r = started(model("timers"))
    r.cancel()
    assert r.finished and r.ready_user_tasks() == [] and r.waiting_timers() == []
    r = Runner.load(r.model, r.dumps())
    assert r.finished


def test_no_python_eval_reachable():
    r = started(model("approval_loop"), {"quarter": "q"})
    engine = r.workflow.script_engine
    with pytest.raises(RunError):
        engine.environment.evaluate("1", {})
    with pytest.raises(RunError):
        engine.environment.execute("x = 1", {})


def test_durations():
    assert parse_duration("P1Y2M3W4DT5H6M7S").months == 2
    for bad in ("P", "PT", "4D", "P1.5D", "P-1D", "P0D", "", "PT1D"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    jan31 = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    assert add_duration(jan31, "P1M") == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert add_duration(datetime(2028, 1, 31, 9, 0, tzinfo=UTC), "P1M") == datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert add_duration(jan31, "P1Y") == datetime(2028, 1, 31, 9, 0, tzinfo=UTC)
    assert add_duration(jan31, "PT36H") == jan31 + timedelta(hours=36)
    assert add_duration(jan31, "P2W") == jan31 + timedelta(days=14)
    # months are counted on the Moscow calendar: 22:00 UTC on 28 Feb is already 1 March in Moscow
    moscow_march_1 = datetime(2027, 2, 28, 22, 0, tzinfo=UTC)
    assert add_duration(moscow_march_1, "P1M") == datetime(2027, 3, 31, 22, 0, tzinfo=UTC)


def test_clock_frozen():
    at = datetime(2030, 1, 1, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        with clock.frozen(at + timedelta(days=1)):
            assert clock.now() == at + timedelta(days=1)
        assert clock.now() == at
    assert clock.now() != at and clock.now().tzinfo is not None
    with pytest.raises(ValueError), clock.frozen(datetime(2030, 1, 1)):
        pass


LIST_FIELD = """<camunda:formField id="contacts" label="Контакты" type="list">
            <camunda:properties>
              <camunda:property name="fields" value='{columns}' />
            </camunda:properties>
            <camunda:validation><camunda:constraint name="min_items" config="1" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="comment" label="Комментарий" type="textarea"/>"""


def test_list_field_columns_from_json_property():
    columns = '[{"id": "name", "type": "text", "label": "ФИО", "required": true}, {"id": "site", "type": "url"}]'
    xml = mutate('<camunda:formField id="comment" label="Комментарий" type="textarea"/>',
                 LIST_FIELD.format(columns=columns))
    field = load_process(xml).user_tasks["attach_document"].form.field("contacts")
    assert field.min_items == 1
    assert [(f.id, f.type, f.required) for f in field.fields] == [("name", "text", True), ("site", "url", False)]
    errors = refused(mutate('<camunda:formField id="comment" label="Комментарий" type="textarea"/>',
                            LIST_FIELD.format(columns="not json")))
    assert errors[0][0] == "attach_document.contacts"
    errors = refused(mutate('<camunda:formField id="comment" label="Комментарий" type="textarea"/>',
                            LIST_FIELD.format(columns='[{"id": "x", "type": "money"}]')))
    assert errors[0][0] == "attach_document.contacts.x"
