"""The Tasks pages: my tasks, a task with its complete button and comments, a new task. Three
personas as everywhere: the responsible person, the author, and someone who may not see it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from base import clock
from tasks.models import Task, TaskComment
from tasks.services import create_task


def test_my_tasks_lists_open_ones_first_and_marks_the_overdue(demo, login, task, time_machine):
    late = create_task(
        title="Сдать отчёт",
        responsible=demo["manager2"],
        created_by=demo["sales_head"],
        deadline=clock.now() + timedelta(hours=1),
    )
    done = create_task(title="Старая задача", responsible=demo["manager2"], created_by=demo["manager1"])
    done.status = "done"
    done.save()
    time_machine.move_to(clock.now() + timedelta(hours=2))
    page = login("manager2").get("/tasks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Позвонить клиенту" in html and "Сдать отчёт" in html and "Старая задача" not in html
    assert html.index("Сдать отчёт") < html.index("Позвонить клиенту")  # the nearest deadline first
    assert html.count('class="badge overdue"') == 1
    assert f'href="/tasks/{late.pk}/"' in html
    finished = login("manager2").get("/tasks/", {"status": "done"}).content.decode()
    assert "Старая задача" in finished and "Позвонить клиенту" not in finished


def test_the_tabs_mine_given_and_all(demo, login, task):
    author = login("manager1")
    assert "Позвонить клиенту" not in author.get("/tasks/").content.decode()  # not mine to do
    assert "Позвонить клиенту" in author.get("/tasks/", {"show": "given"}).content.decode()
    boss = login("sales_head")
    assert "Позвонить клиенту" in boss.get("/tasks/", {"show": "all"}).content.decode()
    stranger = login("accountant")
    assert "Позвонить клиенту" not in stranger.get("/tasks/", {"show": "all"}).content.decode()


def test_the_task_page_shows_the_complete_button_to_the_responsible_only(demo, login, task):
    mine = login("manager2").get(f"/tasks/{task.pk}/").content.decode()
    assert "Уточнить объём заказа" in mine and f'action="/tasks/{task.pk}/complete/"' in mine
    author = login("manager1").get(f"/tasks/{task.pk}/")
    assert author.status_code == 200 and f'action="/tasks/{task.pk}/complete/"' not in author.content.decode()
    assert login("manager3").get(f"/tasks/{task.pk}/").status_code == 404


def test_complete_button(demo, login, task):
    url = f"/tasks/{task.pk}/complete/"
    assert login("manager2").get(url).status_code == 405
    refused = login("manager1").post(url)
    assert refused.status_code == 403 and "ответственный" in refused.content.decode()
    assert login("manager3").post(url).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"
    response = login("manager2").post(url)
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    task.refresh_from_db()
    assert (task.status, task.completed_by) == ("done", demo["manager2"])
    again = login("manager2").post(url)
    assert again.status_code == 409 and "уже выполнена" in again.content.decode()


def test_comments_on_the_page(demo, login, task):
    client = login("manager1")
    response = client.post(f"/tasks/{task.pk}/comment/", {"text": "Клиент ждёт звонка до обеда"})
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Клиент ждёт звонка до обеда" in page
    empty = client.post(f"/tasks/{task.pk}/comment/", {"text": " "})
    assert empty.status_code == 400 and "Обязательное поле" in empty.content.decode()
    assert login("manager3").post(f"/tasks/{task.pk}/comment/", {"text": "x"}).status_code == 404
    assert TaskComment.objects.count() == 1


def test_a_new_task(demo, login):
    client = login("manager1")
    form = client.get("/tasks/new/")
    assert form.status_code == 200 and 'name="responsible"' in form.content.decode()
    response = client.post(
        "/tasks/new/",
        {
            "title": "Подготовить КП",
            "description": "Для «Ромашки»",
            "responsible": "manager2",
            "deadline": "2099-05-04T18:00",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert response["Location"] == f"/tasks/{task.pk}/"
    assert (task.responsible, task.created_by, task.title) == (demo["manager2"], demo["manager1"], "Подготовить КП")
    assert timezone.localtime(task.deadline).strftime("%Y-%m-%d %H:%M") == "2099-05-04 18:00"


def test_a_new_task_with_bad_input_names_the_fields_and_creates_nothing(demo, login):
    response = login("manager1").post(
        "/tasks/new/", {"title": " ", "responsible": "nobody", "deadline": "2001-01-01T10:00", "instance": "77"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"title", "responsible", "deadline", "instance"}
    assert not Task.objects.exists()


def test_a_task_for_a_process_links_to_it(demo, login, processes):
    from engine import actions

    instance = actions.start("t_task_step", by=demo["manager1"].user)
    task = Task.objects.get(instance=instance)
    page = login("director").get(f"/tasks/{task.pk}/").content.decode()
    assert instance.title in page and "шаг процесса" in page
    response = login("director").post(f"/tasks/{task.pk}/complete/")
    assert response.status_code == 302
    instance.refresh_from_db()
    assert (instance.status, instance.outcome) == ("finished", "completed")
    new = login("manager1").get("/tasks/new/", {"instance": instance.pk}).content.decode()
    assert f'value="{instance.pk}"' in new


def test_the_list_makes_the_same_queries_for_few_and_many_tasks(demo, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("manager2")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/tasks/").status_code == 200
        return len(queries)

    create_task(title="Первая", responsible=demo["manager2"], created_by=demo["manager1"])
    few = count()
    for n in range(20):
        create_task(title=f"Задача {n}", responsible=demo["manager2"], created_by=demo["sales_head"])
    assert count() == few


def test_the_new_task_picks_a_process_among_those_the_user_sees(demo, login, processes):
    """Issue 17: a picker of the instances the user sees, by title in words, newest first; not a
    bare number field. The server still refuses an instance the user may not see."""
    import re

    from engine import actions
    from engine.models import Instance

    older = actions.start("t_task_step", by=demo["manager1"].user)
    newer = actions.start("t_task_step", by=demo["manager1"].user)
    Instance.objects.filter(pk=newer.pk).update(title="Шаг-задача на 2027-Q1")
    hidden = actions.start("t_task_step", by=demo["director"].user)
    page = login("manager1").get("/tasks/new/", {"instance": older.pk}).content.decode()
    picker = re.search(r'<select name="instance"[^>]*>(.*?)</select>', page, re.S)
    assert picker is not None
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', picker[1])
    assert [value for value, _selected, _label in options] == ["", str(newer.pk), str(older.pk)]
    assert options[1][2].startswith(f"Шаг-задача на I квартал 2027 г., №{newer.pk}, запущен ")
    assert options[2][1] == " selected"
    assert str(hidden.pk) not in [value for value, _selected, _label in options]

    response = login("manager1").post("/tasks/new/", {
        "title": "Позвонить", "responsible": "manager1", "instance": str(hidden.pk)})
    assert response.status_code == 400
    assert "Процесс с таким номером не найден" in response.content.decode()
    assert not Task.objects.filter(title="Позвонить").exists()
