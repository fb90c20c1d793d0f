"""The instance page, the processes page, starting and stopping, and the feed («Лента»)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from base import clock
from engine import actions
from engine.definitions import deploy
from engine.models import Assignment, Instance, InstanceStatus, Outcome
from engine.tests.flows import approval_process


def _start(demo, username="sales_head", quarter="2027-Q1"):
    return actions.start("t_approval", by=demo[username].user, variables={"quarter": quarter})


# ------------------------------------------------------------------------------------ instance


def test_the_diagram_marks_done_current_and_overdue_steps(processes, demo, login):
    instance = _start(demo)
    actions.complete(
        instance.assignments.get().pk, by=demo["sales_head"].user, data={"document_url": "https://d.io/1"}
    )
    client = login("sales_head")
    text = client.get(f"/instances/{instance.pk}/").content.decode()
    assert '<div class="diagram-scroll"' in text and "<svg" in text
    assert 'data-element-id="attach"' in text
    assert "node-done" in text and "node-current" in text and "node-overdue" not in text
    assert "Выполнено" in text and "Текущий шаг" in text and "Просрочено" in text  # the legend (in the SVG)
    Assignment.objects.filter(instance=instance, status="open").update(due_at=clock.now() - timedelta(hours=1))
    assert "node-overdue" in client.get(f"/instances/{instance.pk}/").content.decode()


def test_it_shows_history_documents_and_variables(processes, demo, login):
    instance = _start(demo)
    actions.complete(
        instance.assignments.get().pk,
        by=demo["sales_head"].user,
        data={"document_url": "https://d.io/1", "comment": "ок"},
    )
    text = login("sales_head").get(f"/instances/{instance.pk}/").content.decode()
    assert "Процесс запущен" in text and "Задание выполнено" in text and "Задание назначено" in text
    assert '<a href="https://d.io/1"' in text
    assert "I квартал 2027 г." in text  # the quarter in words (issue 17)
    assert "Остановить" in text  # the starter may stop it


def test_only_the_starter_sees_and_uses_the_stop_button(processes, demo, login):
    instance = _start(demo)
    director = login("director")
    assert "Остановить процесс" not in director.get(f"/instances/{instance.pk}/").content.decode()
    assert director.post(f"/instances/{instance.pk}/stop/", {"reason": "нет"}).status_code == 403
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    starter = login("sales_head")
    response = starter.post(f"/instances/{instance.pk}/stop/", {"reason": "Передумали"})
    assert response.status_code == 302 and response["Location"] == f"/instances/{instance.pk}/"
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FINISHED and instance.outcome == Outcome.STOPPED
    assert instance.assignments.get().status == "cancelled"
    page = starter.get(f"/instances/{instance.pk}/").content.decode()
    assert "Передумали" in page and "Остановить процесс" not in page
    again = starter.post(f"/instances/{instance.pk}/stop/", {"reason": "ещё"}, follow=True)
    assert "Процесс уже завершён" in again.content.decode()


def test_an_outsider_gets_404_for_an_instance(processes, demo, outsider, login):
    instance = _start(demo)
    client = login("outsider")
    assert client.get(f"/instances/{instance.pk}/").status_code == 404
    assert client.post(f"/instances/{instance.pk}/stop/").status_code == 404
    assert client.get("/instances/424242/").status_code == 404
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING


def test_stop_refuses_get(processes, demo, login):
    instance = _start(demo)
    assert login("sales_head").get(f"/instances/{instance.pk}/stop/").status_code == 405


# ------------------------------------------------------------------------------------ processes


@pytest.fixture
def restricted(processes):
    version, _ = deploy(approval_process("t_restricted", start_roles="director").xml(), filename="t_restricted.bpmn")
    return version


def test_processes_page_lists_versions_diagrams_and_start_buttons(restricted, demo, login):
    text = login("manager1").get("/processes/").content.decode()
    assert "Тестовое согласование" in text and "<svg" in text
    assert 'action="/processes/t_approval/start/"' in text
    assert 'action="/processes/t_restricted/start/"' not in text
    assert 'action="/processes/t_restricted/start/"' in login("director").get("/processes/").content.decode()


def test_schedules_are_shown(processes, demo, login):
    from engine.models import ProcessDefinition, Schedule

    Schedule.objects.create(definition=ProcessDefinition.objects.get(key="t_parallel"), cron="0 9 15 3,6,9,12 *")
    page = login("manager1").get("/processes/").content.decode()
    # In words, not the cron expression (issue 17).
    assert "ежеквартально, 15-го числа марта, июня, сентября и декабря в 09:00 (МСК)" in page
    assert "0 9 15 3,6,9,12 *" not in page


def test_the_customers_schedules_read_in_words(demo, login):
    from processes.tests.quarterly_support import deploy_processes

    deploy_processes(demo)
    page = login("manager1").get("/processes/").content.decode()
    assert (
        "ежеквартально, в первый рабочий день января, апреля, июля и октября в 09:00 (МСК); можно запустить вручную"
        in page
    )
    assert "ежеквартально, 15-го числа марта, июня, сентября и декабря в 09:00 (МСК); можно запустить вручную" in page


def test_starting_lands_the_starter_on_their_first_assignment(processes, demo, login):
    response = login("sales_head").post("/processes/t_approval/start/")
    instance = Instance.objects.get(process_key="t_approval")
    attach = instance.assignments.get()
    assert response.status_code == 302 and response["Location"] == f"/assignments/{attach.pk}/"
    other = login("manager1").post("/processes/t_approval/start/")
    second = Instance.objects.exclude(pk=instance.pk).get(process_key="t_approval")
    assert other["Location"] == f"/instances/{second.pk}/"  # manager1 has no step in it
    assert second.started_by == demo["manager1"]


def test_starting_without_the_right_is_refused(restricted, demo, login):
    response = login("manager1").post("/processes/t_restricted/start/")
    assert response.status_code == 403
    assert not Instance.objects.filter(process_key="t_restricted").exists()
    assert login("manager1").post("/processes/nonexistent/start/").status_code == 404
    assert login("manager1").get("/processes/t_approval/start/").status_code == 405


# ------------------------------------------------------------------------------------ feed


def test_the_feed_shows_my_work_start_buttons_and_events(processes, demo, login):
    instance = _start(demo)
    actions.complete(instance.assignments.get().pk, by=demo["sales_head"].user, data={"document_url": "https://d.io"})
    director = login("director").get("/")
    text = director.content.decode()
    assert director.status_code == 200
    assert (
        "Согласовать документ" in text and f'href="/assignments/{instance.assignments.get(status="open").pk}/"' in text
    )
    assert "Запущен процесс" in text and "Выполнено задание" in text
    assert 'action="/processes/t_approval/start/"' in text
    # someone outside the process sees none of its events
    assert "Запущен процесс" not in login("manager2").get("/").content.decode()


def test_the_feed_says_when_there_is_no_work(demo, login):
    text = login("manager1").get("/").content.decode()
    assert "Открытых заданий нет." in text and "Смирнов Алексей Петрович" in text


def test_every_page_renders_in_english_too(processes, demo, login, settings):
    instance = _start(demo)
    client = login("sales_head")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (
        "/",
        "/assignments/",
        f"/assignments/{instance.assignments.get().pk}/",
        f"/instances/{instance.pk}/",
        "/processes/",
        "/notifications/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.content.decode(), url


def test_an_instance_title_reads_in_the_readers_language(demo, login):
    """The stored title is the Russian one; an English reader gets the process's title template in
    English, rendered over the instance's variables, with the quarter in English words."""
    from processes.tests.quarterly_support import deploy_processes

    deploy_processes(demo)
    instance = actions.start("trade_conditions", by=demo["sales_admin"].user, variables={"quarter": "2027-Q1"})
    client = login("sales_admin")
    assert "Торговые условия на I квартал 2027 г." in client.get(f"/instances/{instance.pk}/").content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(f"/instances/{instance.pk}/").content.decode()
    assert "Trade conditions for Q1 2027" in page and "Торговые условия на" not in page
