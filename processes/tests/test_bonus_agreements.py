"""«Бонусные соглашения» (processes.md §3): every step and branch through the service functions, the
timers of ``send_to_clients`` with a controlled clock, the parallel join in both orders, and the
whole process once through the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from base.errors import Conflict, Forbidden, Invalid
from engine import actions, sweeps
from engine.models import History, Instance, Schedule, Timer
from notify.models import Notification
from processes import i18n_quarterly
from processes.tests.quarterly_support import (
    assert_no_overlap,
    complete_through_api,
    do,
    open_assignment,
    open_keys,
    russian_labels,
    shapes,
    start_through_api,
    state_of,
    submit_through_page,
)
from tasks.models import Task
from tasks.services import complete_task

DOCS = "https://docs.example.com/bonus-2026-q4"
ORDER = "https://docs.example.com/bonus-order-2026-q4"
SIGNED = ["https://docs.example.com/signed-1", "https://docs.example.com/signed-2"]
FILE = Path(__file__).resolve().parents[1] / "bonus_agreements.bpmn"


def start(q, who="sales_admin", quarter="2026-Q4"):
    return actions.start("bonus_agreements", by=q[who].user, variables={"quarter": quarter})


def to_sending(instance, q):
    do(instance, "prepare_documents", q["sales_admin"], {"document_url": DOCS})
    do(instance, "bonus_order", q["findir"], {"document_url": ORDER})


def signing_task(instance) -> Task:
    return Task.objects.get(instance=instance, status="open")


def test_steps_one_to_three_titles_assignees_and_due_dates(q, time_machine):
    time_machine.move_to("2027-01-11T06:00:00+00:00")
    instance = start(q)
    assert instance.title == "Бонусные соглашения за 2026-Q4"
    prepare = open_assignment(instance, "prepare_documents")
    assert prepare.assignee == q["sales_admin"]
    assert prepare.title == "Подготовить дополнительные соглашения и акты о выплате бонуса"
    assert prepare.due_at - prepare.created_at == timedelta(days=3)
    do(instance, "prepare_documents", q["sales_admin"], {"document_url": DOCS})
    order = open_assignment(instance, "bonus_order")
    assert (order.assignee, order.title) == (q["findir"], "Определить очерёдность предоставления бонусов")
    do(instance, "bonus_order", q["findir"], {"document_url": ORDER})
    send = open_assignment(instance, "send_to_clients")
    assert send.assignee == q["sales_admin"]
    assert send.title == "Отправить документы клиентам на согласование и подписание"
    assert send.due_at - send.created_at == timedelta(days=5)


@pytest.mark.parametrize("first", ["attach_signed", "director_task"])
def test_the_final_two_open_only_when_both_parallel_steps_are_done(q, first):
    instance = start(q)
    to_sending(instance, q)
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})

    assert open_keys(instance) == ["attach_signed"]
    task = signing_task(instance)
    assert (task.title, task.responsible) == ("Подпишите бонусные соглашения с клиентами", q["director"])
    assert task.created_by is None and task.deadline is not None
    assert Notification.objects.filter(kind="task", task=task, recipient=q["director"]).exists()
    attach = open_assignment(instance, "attach_signed")
    assert attach.assignee == q["sales_admin"]  # whoever did step 1
    assert attach.title == "Прикрепить ссылки на подписанные дополнительные соглашения"

    def attach_step():
        do(instance, "attach_signed", q["sales_admin"], {"signed_urls": SIGNED, "comment": "Оба клиента"})

    def director_step():
        complete_task(task.pk, by=q["director"].user)

    steps = [attach_step, director_step] if first == "attach_signed" else [director_step, attach_step]
    steps[0]()
    assert open_keys(instance) in ([], ["attach_signed"])  # the other branch still waits
    assert not instance.assignments.filter(key__in=["archive_originals", "accept_originals"]).exists()
    instance.refresh_from_db()
    assert instance.status == "running"
    steps[1]()

    assert open_keys(instance) == ["accept_originals", "archive_originals"]
    archive = open_assignment(instance, "archive_originals")
    accept = open_assignment(instance, "accept_originals")
    assert (archive.assignee, accept.assignee) == (q["sales_admin"], q["accountant"])
    assert archive.title == "Получите оригиналы соглашений и передайте их в архив"
    assert accept.title == "Примите оригиналы соглашений по контрагенту"
    do(instance, "accept_originals", q["accountant"], {"comment": "Приняла 2 оригинала"})
    instance.refresh_from_db()
    assert instance.status == "running"
    do(instance, "archive_originals", q["sales_admin"], {})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "completed")
    assert instance.variables["signed_urls"] == SIGNED
    assert instance.history.filter(event="completed", data__task=task.pk).exists()


def test_not_sent_asks_again_as_a_new_assignment(q):
    instance = start(q)
    to_sending(instance, q)
    first = open_assignment(instance, "send_to_clients")
    before = state_of(instance)
    for data in ({"sent": "no"}, {"sent": "no", "comment": ""}, {}, {"sent": "maybe", "comment": "x"}):
        with pytest.raises(Invalid) as refused:
            do(instance, "send_to_clients", q["sales_admin"], data)
        assert set(refused.value.errors) <= {"sent", "comment"} and refused.value.errors
    assert state_of(instance) == before

    do(instance, "send_to_clients", q["sales_admin"], {"sent": "no", "comment": "Клиент в отпуске"})
    second = open_assignment(instance, "send_to_clients")
    assert second.pk != first.pk and second.assignee == q["sales_admin"]
    assert not Task.objects.filter(instance=instance).exists()
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "no", "comment": "Ждём реквизиты"})
    third = open_assignment(instance, "send_to_clients")
    assert third.pk not in (first.pk, second.pk)
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    assert open_keys(instance) == ["attach_signed"]
    assert instance.assignments.filter(key="send_to_clients", status="done").count() == 3


@pytest.mark.parametrize(
    ("urls", "field"),
    [
        ([], "signed_urls"),
        ("", "signed_urls"),
        (["ftp://docs.example.com/a"], "signed_urls"),
        ([SIGNED[0], "javascript:alert(1)"], "signed_urls"),
        (["docs.example.com/a"], "signed_urls"),
    ],
)
def test_signed_links_must_be_at_least_one_http_url(q, urls, field):
    instance = start(q)
    to_sending(instance, q)
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    before = state_of(instance)
    with pytest.raises(Invalid) as refused:
        do(instance, "attach_signed", q["sales_admin"], {"signed_urls": urls})
    # Nothing at all: the link list and the file list are required as one, and both say so.
    assert set(refused.value.errors) == ({field} if urls else {field, "signed_files"})
    assert state_of(instance) == before


@pytest.mark.parametrize("key", ["prepare_documents", "bonus_order"])
def test_document_links_must_be_http_or_https(q, key):
    instance = start(q)
    if key == "bonus_order":
        do(instance, "prepare_documents", q["sales_admin"], {"document_url": DOCS})
    who = q["sales_admin"] if key == "prepare_documents" else q["findir"]
    for url in ("", "ftp://x.example.com/a", "not a link"):
        with pytest.raises(Invalid) as refused:
            do(instance, key, who, {"document_url": url})
        # An empty link and no file: the pair is required as one, and both fields say so.
        assert set(refused.value.errors) == ({"document_url", "document_file"} if not url else {"document_url"})


def test_the_signing_task_is_completed_only_by_the_director_once(q):
    instance = start(q)
    to_sending(instance, q)
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    task = signing_task(instance)
    with pytest.raises(Forbidden):
        complete_task(task.pk, by=q["sales_admin"].user)
    complete_task(task.pk, by=q["director"].user)
    with pytest.raises(Conflict):
        complete_task(task.pk, by=q["director"].user)
    assert instance.history.filter(event="completed", data__task=task.pk).count() == 1


# ------------------------------------------------------------------ timers of send_to_clients


@pytest.fixture
def sending(q, time_machine):
    """An instance started on 1 October 2026 and walked to «send_to_clients». Timer tests move the clock
    by days; scheduled starts are kept out of their sweeps."""
    Schedule.objects.update(enabled=False)
    time_machine.move_to("2026-10-01T06:00:00+00:00")
    instance = start(q)
    to_sending(instance, q)
    return instance


def notices(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__user__username", flat=True))


def test_reminder_at_four_days_overdue_at_five_each_once(q, sending, time_machine, api_client):
    instance = sending
    send = open_assignment(instance, "send_to_clients")
    created = send.created_at
    assert send.due_at == created + timedelta(days=5)
    timer = Timer.objects.get(instance=instance, assignment=send)
    assert timer.due_at == created + timedelta(days=4) and timer.properties == {"notify": "reminder"}

    assert not sweeps.fire_due(created + timedelta(days=4) - timedelta(hours=1))
    assert notices("reminder") == [] and notices("overdue") == []

    fired = sweeps.fire_due(created + timedelta(days=4))
    assert (fired.timers, fired.overdue, fired.started) == (1, 0, 0)
    assert notices("reminder") == ["sales_admin"]
    reminder = Notification.objects.get(kind="reminder")
    assert reminder.assignment == send and "Отправить документы клиентам" in reminder.text
    assert not send.is_overdue(created + timedelta(days=4, hours=23))
    assert open_keys(instance) == ["send_to_clients"]  # the reminder does not move the process

    assert not sweeps.fire_due(created + timedelta(days=5) - timedelta(minutes=1))
    fired = sweeps.fire_due(created + timedelta(days=5))
    assert (fired.timers, fired.overdue) == (0, 1)
    assert notices("overdue") == ["sales_admin", "sales_head"]  # the assignee and their line manager
    assert not sweeps.fire_due(created + timedelta(days=5))
    assert not sweeps.fire_due(created + timedelta(days=9))
    assert notices("reminder") == ["sales_admin"] and len(notices("overdue")) == 2
    events = list(instance.history.filter(event__in=["reminder", "overdue"]).values_list("event", flat=True))
    assert events == ["reminder", "overdue"]

    time_machine.move_to(created + timedelta(days=5, minutes=1))
    send.refresh_from_db()
    assert send.is_overdue(created + timedelta(days=5, minutes=1))
    listed = api_client("sales_admin").get("/api/v1/assignments", {"overdue": "true"}).json()
    assert [a["id"] for a in listed["items"]] == [send.pk] and listed["items"][0]["overdue"] is True
    detail = api_client("sales_admin").get(f"/api/v1/assignments/{send.pk}").json()
    assert detail["overdue"] is True

    # Done late: no longer overdue, nothing more fires.
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    assert api_client("sales_admin").get("/api/v1/assignments", {"overdue": "true"}).json()["count"] == 0


def test_completing_early_cancels_the_reminder_and_the_overdue_notice(q, sending, time_machine):
    instance = sending
    send = open_assignment(instance, "send_to_clients")
    time_machine.move_to(send.created_at + timedelta(days=3))
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "yes"})
    timer = Timer.objects.get(instance=instance, assignment=send)
    assert timer.cancelled_at is not None and timer.fired_at is None
    assert not sweeps.fire_due(send.created_at + timedelta(days=4))
    assert not sweeps.fire_due(send.created_at + timedelta(days=5))
    assert notices("reminder") == [] and notices("overdue") == []
    assert not History.objects.filter(instance=instance, event__in=["reminder", "overdue"]).exists()


def test_a_new_send_assignment_after_no_gets_its_own_timers(q, sending, time_machine):
    instance = sending
    first = open_assignment(instance, "send_to_clients")
    sweeps.fire_due(first.created_at + timedelta(days=4))  # reminded once
    time_machine.move_to(first.created_at + timedelta(days=4, hours=2))
    do(instance, "send_to_clients", q["sales_admin"], {"sent": "no", "comment": "Клиент не отвечает"})
    second = open_assignment(instance, "send_to_clients")
    # The first assignment's deadline passes: it is done, so no overdue notice for it.
    assert not sweeps.fire_due(first.created_at + timedelta(days=5))
    fired = sweeps.fire_due(second.created_at + timedelta(days=4))
    assert fired.timers == 1
    reminders = Notification.objects.filter(kind="reminder").order_by("pk")
    assert [n.assignment_id for n in reminders] == [first.pk, second.pk]
    assert sweeps.fire_due(second.created_at + timedelta(days=5)).overdue == 1
    assert Timer.objects.filter(instance=instance, fired_at__isnull=False).count() == 2


# ------------------------------------------------------------------ starting by hand, the API, the file


@pytest.mark.parametrize(("who", "status"), [("sales_admin", 201), ("findir", 201), ("admin", 201)])
def test_the_roles_of_section_3_and_administrators_start_it(q, api_client, who, status):
    response = start_through_api(api_client(who), "bonus_agreements", "2026-Q3")
    assert response.status_code == status, response.content
    assert response.json()["title"] == "Бонусные соглашения за 2026-Q3"


@pytest.mark.parametrize("who", ["director", "sales_head", "manager1", "accountant", "outsider"])
def test_anyone_else_gets_403(q, api_client, outsider, who):
    response = start_through_api(api_client(who), "bonus_agreements", "2026-Q3")
    assert response.status_code == 403
    assert not Instance.objects.filter(process_key="bonus_agreements").exists()


def test_second_start_of_a_quarter_is_409_and_a_bad_quarter_400(q, api_client):
    client = api_client("findir")
    assert start_through_api(client, "bonus_agreements", "2026-Q4").status_code == 201
    assert start_through_api(client, "bonus_agreements", "2026-Q4").status_code == 409
    bad = start_through_api(client, "bonus_agreements", "2026-Q0")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["quarter"]
    assert Instance.objects.filter(process_key="bonus_agreements").count() == 1


def test_the_whole_process_through_the_api(q, api_client):
    clients = {who: api_client(who) for who in ("sales_admin", "findir", "director", "accountant")}

    def complete(who, key, data):
        complete_through_api(clients[who], "bonus_agreements", key, data)

    started = start_through_api(clients["findir"], "bonus_agreements", "2026-Q4")
    assert started.status_code == 201
    instance_id = started.json()["id"]
    complete("sales_admin", "prepare_documents", {"document_url": DOCS})
    complete("findir", "bonus_order", {"document_url": ORDER})
    complete("sales_admin", "send_to_clients", {"sent": "no", "comment": "Нет контакта"})
    complete("sales_admin", "send_to_clients", {"sent": "yes"})
    complete("sales_admin", "attach_signed", {"signed_urls": "\n".join(SIGNED)})

    tasks = clients["director"].get("/api/v1/tasks", {"responsible": "me", "status": "open"}).json()
    assert tasks["count"] == 1
    task = tasks["items"][0]
    assert task["title"] == "Подпишите бонусные соглашения с клиентами" and task["instance"] == instance_id
    assert clients["accountant"].post(f"/api/v1/tasks/{task['id']}/complete").status_code == 404
    assert clients["director"].post(f"/api/v1/tasks/{task['id']}/complete").status_code == 200
    assert clients["director"].post(f"/api/v1/tasks/{task['id']}/complete").status_code == 409

    complete("accountant", "accept_originals", {"comment": "Приняла"})
    complete("sales_admin", "archive_originals", {})
    instance = clients["findir"].get(f"/api/v1/instances/{instance_id}").json()
    assert (instance["status"], instance["outcome"]) == ("finished", "completed")
    assert instance["variables"]["signed_urls"] == SIGNED


def test_the_file_lays_out_its_diagram_without_overlapping_shapes():
    assert_no_overlap(shapes(FILE))


def test_every_label_of_the_file_is_in_the_catalog_list():
    assert russian_labels(FILE) - set(i18n_quarterly.STRINGS) == set()


# ------------------------------------------------------------------ the pages


def test_the_whole_process_through_the_pages(q, login):
    people = {who: login(who) for who in ("sales_admin", "findir", "director", "accountant")}

    def submit(who, key, data):
        submit_through_page(people[who], instance, key, data)

    started = people["findir"].post("/processes/bonus_agreements/start/", {"quarter": "2026-Q4"})
    instance = Instance.objects.get(process_key="bonus_agreements")
    assert started.status_code == 302 and instance.title == "Бонусные соглашения за 2026-Q4"
    submit("sales_admin", "prepare_documents", {"document_url": DOCS})
    submit("findir", "bonus_order", {"document_url": ORDER})
    send = open_assignment(instance, "send_to_clients")
    refused = people["sales_admin"].post(f"/assignments/{send.pk}/", {"sent": "no"})
    assert refused.status_code == 400
    submit("sales_admin", "send_to_clients", {"sent": "no", "comment": "Клиент в отпуске"})
    submit("sales_admin", "send_to_clients", {"sent": "yes"})

    task = signing_task(instance)
    listed = people["director"].get("/tasks/").content.decode()
    assert "Подпишите бонусные соглашения с клиентами" in listed
    assert "Бонусные соглашения за IV квартал 2026 г." in listed
    assert people["director"].post(f"/tasks/{task.pk}/complete/").status_code == 302
    assert open_keys(instance) == ["attach_signed"]
    submit("sales_admin", "attach_signed", {"signed_urls": "\n".join(SIGNED)})
    assert open_keys(instance) == ["accept_originals", "archive_originals"]
    submit("accountant", "accept_originals", {"comment": "Приняла"})
    submit("sales_admin", "archive_originals", {"comment": ""})
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "completed")
