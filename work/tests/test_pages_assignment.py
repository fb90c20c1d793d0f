"""The assignment page: what it shows, completing, errors beside fields, double submit, delegation, access."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from engine import actions
from engine.definitions import deploy, model_for
from engine.models import AssignmentStatus, History, HistoryEvent
from engine.tests.builder import Process
from notify.models import Kind, Notification
from work import webforms

ALL_FIELDS_FORM = """
<camunda:formField id="title" label="Название" type="text">
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>
<camunda:formField id="notes" label="Заметки" type="textarea"/>
<camunda:formField id="link" label="Ссылка" type="url"/>
<camunda:formField id="links" label="Ссылки" type="url_list"/>
<camunda:formField id="day" label="Дата" type="date"/>
<camunda:formField id="kind" label="Вид" type="enum">
  <camunda:value id="client" name="клиент"/><camunda:value id="supplier" name="поставщик"/>
</camunda:formField>
<camunda:formField id="agree" label="Согласен" type="boolean"/>
<camunda:formField id="owner" label="Ответственный" type="employee"/>
<camunda:formField id="recipients" label="Получатели" type="employees"/>
<camunda:formField id="contacts" label="Контакты" type="list">
  <camunda:properties>
    <camunda:property name="fields" value='[{"id": "name", "type": "text", "label": "ФИО", "required": true},
                                          {"id": "email", "type": "text", "label": "E-mail"}]'/>
  </camunda:properties>
</camunda:formField>
<camunda:formField id="action" label="Действие" type="enum">
  <camunda:value id="submit" name="Отправить"/><camunda:value id="stop" name="Прекратить"/>
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>"""


@pytest.fixture
def all_fields(processes):
    p = Process("t_all_fields", "Все поля", properties={"start_roles": "*"})
    p.start().user("fill", "Заполнить всё", "employee(starter)", form=ALL_FIELDS_FORM).end("end", outcome="completed")
    p.chain("start", "fill", "end")
    version, _ = deploy(p.xml(), filename="t_all_fields.bpmn")
    return version


def _start(demo, username="sales_head", quarter="2027-Q1"):
    return actions.start("t_approval", by=demo[username].user, variables={"quarter": quarter})


def _url(assignment) -> str:
    return f"/assignments/{assignment.pk}/"


# ------------------------------------------------------------------------------------ showing


def test_it_shows_process_earlier_steps_documents_and_decision_buttons(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    actions.complete(
        attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/reg", "comment": "Готово"}
    )
    approve = instance.assignments.get(status="open")
    response = login("director").get(_url(approve))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Тестовое согласование" in text and f'href="/instances/{instance.pk}/"' in text
    assert "Прикрепить документ на I квартал 2027 г." in text and "Готово" in text
    assert '<a href="https://docs.example/reg"' in text
    assert '<button type="submit" class="button primary" name="decision" value="approve">Согласовать</button>' in text
    assert 'name="decision" value="reject">Не согласовать</button>' in text
    assert '<label for="f-comment">Комментарий</label>' in text


def test_every_field_type_is_rendered_with_a_label(all_fields, demo, login):
    instance = actions.start("t_all_fields", by=demo["manager1"].user)
    response = login("manager1").get(_url(instance.assignments.get()))
    text = response.content.decode()
    assert response.status_code == 200
    for control in (
        'type="text" id="f-title" name="title"',
        'id="f-notes" name="notes"',
        'type="url" id="f-link" name="link"',
        'type="url" id="f-links-1" name="links"',
        'type="date" id="f-day" name="day"',
        'type="radio" id="f-kind-client" name="kind" value="client"',
        'type="checkbox" id="f-agree" name="agree" value="on"',
        'id="f-owner" name="owner"',
        'name="_search.recipients"',
        'id="f-contacts-0-name" name="contacts.0.name"',
        'name="action" value="submit"',
    ):
        assert control in text, control
    # every input, select and textarea of the form has a label (or is a button / hidden / search with label)
    form = text[text.index('<form method="post" action="/assignments/') : text.index("</form>")]
    for match in re.finditer(r'<(input|select|textarea)\b[^>]*\bid="([^"]+)"', form):
        assert f'for="{match.group(2)}"' in form, match.group(0)


def test_the_form_round_trips_every_field_type(all_fields, demo, login):
    instance = actions.start("t_all_fields", by=demo["manager1"].user)
    assignment = instance.assignments.get()
    response = login("manager1").post(
        _url(assignment),
        {
            "title": "  Карточка  ",
            "notes": "строка 1\nстрока 2",
            "link": "https://a.example",
            "links": ["https://b.example", "", "https://c.example"],
            "day": "2027-01-31",
            "kind": "supplier",
            "agree": "on",
            "owner": "manager2",
            "recipients": ["director", "findir", "director"],
            "_search.recipients": "фин",
            "contacts.0.name": "Иванов",
            "contacts.0.email": "i@example.com",
            "contacts.1.name": "",
            "contacts.1.email": "",
            "contacts.3.name": "Петров",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DONE
    assert assignment.data == {
        "title": "Карточка",
        "notes": "строка 1\nстрока 2",
        "link": "https://a.example",
        "links": ["https://b.example", "https://c.example"],
        "day": "2027-01-31",
        "kind": "supplier",
        "agree": True,
        "owner": "manager2",
        "recipients": ["director", "findir"],
        "contacts": [{"name": "Иванов", "email": "i@example.com"}, {"name": "Петров", "email": None}],
        "action": "submit",
    }


def test_webforms_reads_only_declared_fields_and_drops_blank_rows(all_fields):
    form = model_for(all_fields).user_tasks["fill"].form
    post = QueryDict(mutable=True)
    post.setlist("recipients", ["director, findir", "manager1"])
    post.update({"contacts.2.name": "", "contacts.2.email": " ", "contacts.5.name": "Б", "planted": "x"})
    data = webforms.parse_post(form, post)
    assert "planted" not in data
    assert data["recipients"] == ["director", "findir", "manager1"]
    assert data["contacts"] == [{"name": "Б", "email": None}]
    assert data["agree"] is False and data["links"] == []


def test_server_errors_appear_beside_their_fields_and_values_are_kept(all_fields, demo, login):
    instance = actions.start("t_all_fields", by=demo["manager1"].user)
    assignment = instance.assignments.get()
    response = login("manager1").post(
        _url(assignment),
        {"title": "", "link": "ftp://x", "contacts.0.email": "a@b.c", "notes": "мой текст", "action": "submit"},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="f-title-errors"><li>Обязательное поле', text)
    assert re.search(r'id="f-link-errors"><li>Укажите ссылку', text)
    assert re.search(r'id="f-contacts-0-name-errors"><li>Обязательное поле', text)
    assert "мой текст" in text and 'value="a@b.c"' in text
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPEN


def test_add_row_keeps_values_without_completing(all_fields, demo, login):
    instance = actions.start("t_all_fields", by=demo["manager1"].user)
    assignment = instance.assignments.get()
    response = login("manager1").post(
        _url(assignment), {"title": "Черновик", "contacts.0.name": "Иванов", "_add_row": "contacts"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="Черновик"' in text and 'name="contacts.2.name"' in text
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPEN


# ------------------------------------------------------------------------------------ completing


def test_completing_moves_the_process_on(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    response = login("sales_head").post(_url(attach), {"document_url": "https://docs.example/1"})
    assert response.status_code == 302 and response["Location"] == "/assignments/"
    attach.refresh_from_db()
    assert attach.status == AssignmentStatus.DONE and attach.completed_by == demo["sales_head"]
    assert instance.assignments.get(status="open").key == "approve_doc"


def test_a_rejection_without_comment_is_refused_beside_the_comment(processes, demo, login):
    instance = _start(demo)
    actions.complete(instance.assignments.get().pk, by=demo["sales_head"].user, data={"document_url": "https://x.io"})
    approve = instance.assignments.get(status="open")
    response = login("director").post(_url(approve), {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert re.search(r'id="f-comment-errors"><li>Обязательное поле', response.content.decode())
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN


def test_a_double_submit_completes_once_and_says_so(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    client = login("sales_head")
    first = client.post(_url(attach), {"document_url": "https://docs.example/1"})
    second = client.post(_url(attach), {"document_url": "https://docs.example/2"})
    assert first.status_code == 302
    assert second.status_code == 409
    text = second.content.decode()
    assert "уже выполнено" in text and "Задание выполнено" in text
    assert "https://docs.example/1" in text and "https://docs.example/2" not in text
    assert History.objects.filter(instance=instance, event=HistoryEvent.COMPLETED).count() == 1
    assert instance.assignments.filter(key="approve_doc").count() == 1


def test_a_closed_assignment_shows_what_was_submitted(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/1"})
    text = login("sales_head").get(_url(attach)).content.decode()
    assert "Задание выполнено" in text and "https://docs.example/1" in text
    assert 'action="/assignments/' not in text  # no form any more


def test_someone_who_may_see_but_not_act_gets_no_form_and_403_on_post(processes, demo, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    director = login("director")  # sales_head reports to the director: the director sees it
    page = director.get(_url(attach))
    assert page.status_code == 200 and '<form method="post" action="/assignments/' not in page.content.decode()
    refused = director.post(_url(attach), {"document_url": "https://docs.example/1"})
    assert refused.status_code == 403
    attach.refresh_from_db()
    assert attach.status == AssignmentStatus.OPEN


def test_an_outsider_gets_404_and_no_data(processes, demo, outsider, login):
    instance = _start(demo)
    attach = instance.assignments.get()
    client = login("outsider")
    for response in (client.get(_url(attach)), client.post(_url(attach), {"document_url": "https://x.io"})):
        assert response.status_code == 404
        assert "Прикрепить документ" not in response.content.decode()
    assert client.get("/assignments/999999/").status_code == 404
    attach.refresh_from_db()
    assert attach.status == AssignmentStatus.OPEN


def test_other_methods_are_refused(processes, demo, login):
    attach = _start(demo).assignments.get()
    assert login("sales_head").put(_url(attach)).status_code == 405
    assert login("sales_head").get(f"{_url(attach)}delegate/").status_code == 405


# ------------------------------------------------------------------------------------ delegating


def test_delegating_hands_it_over_with_a_comment(processes, demo, login):
    attach = _start(demo).assignments.get()
    response = login("sales_head").post(f"{_url(attach)}delegate/", {"to": "manager1", "comment": "Возьми, пожалуйста"})
    assert response.status_code == 302
    attach.refresh_from_db()
    assert attach.assignee == demo["manager1"]
    note = Notification.objects.get(recipient=demo["manager1"], kind=Kind.REASSIGNED)
    assert "Возьми, пожалуйста" in note.text
    page = login("manager1").get(_url(attach)).content.decode()
    assert "Возьми, пожалуйста" in page and 'name="document_url"' in page


def test_delegating_to_nobody_says_so_beside_the_field(processes, demo, login):
    attach = _start(demo).assignments.get()
    response = login("sales_head").post(f"{_url(attach)}delegate/", {"to": "nobody", "comment": ""})
    assert response.status_code == 400
    assert re.search(r'id="delegate-to-errors"><li>Сотрудник не найден', response.content.decode())
    attach.refresh_from_db()
    assert attach.assignee == demo["sales_head"]


def test_delegating_someone_elses_assignment_is_refused(processes, demo, outsider, login):
    attach = _start(demo).assignments.get()
    assert login("director").post(f"{_url(attach)}delegate/", {"to": "manager1"}).status_code == 403
    assert login("outsider").post(f"{_url(attach)}delegate/", {"to": "manager1"}).status_code == 404
    attach.refresh_from_db()
    assert attach.assignee == demo["sales_head"]


# ------------------------------------------------------------------------------------ employee search


def test_employee_search_finds_active_people_in_any_case(demo, login):
    client = login("manager1")
    options = client.get("/employees/search/", {"field": "to", "to": "СМИРНОВ"}).content.decode()
    assert 'value="manager1"' in options and "<option" in options
    boxes = client.get("/employees/search/", {"multi": "1", "field": "recipients", "q": "manager"}).content.decode()
    assert 'type="checkbox" name="recipients" value="manager1"' in boxes
    from org import directory

    directory.deactivate(demo["manager3"])
    gone = client.get("/employees/search/", {"q": "manager3"}).content.decode()
    assert "manager3" not in gone
