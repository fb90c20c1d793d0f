"""Bad input from outside is a 400 with a sentence naming the field, never a 500 nor a silent cut.

One test (or a few) for each row of issue 13 this part fixes: start variables nested 900 deep, a
lone surrogate in a task title, a bare number as a start body, the analytics period from year 1 to
9999, a megabyte of description or comment, and the rest schemathesis found on the way (a number
read as a Unix time, NUL in a query). The integers past 2^63 are ``test_openapi``'s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.body import MAX_DEPTH
from base.texts import MAX_TEXT, MAX_TITLE
from engine import actions
from engine.models import Assignment, AssignmentStatus, HistoryEvent, Instance
from tasks.models import Task, TaskComment

BIG = 2**63
SURROGATE = "\ud800"
MEGABYTE = "я" * 1_000_000


def _post(client: Client, url: str, body: Any) -> Any:
    """A raw JSON body, so a lone surrogate travels as the ``"\\ud800"`` escape it is in JSON."""
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


def _refused(response: Any, field: str, *, status: int = 400) -> list[str]:
    """The answer is ``status`` with a sentence and messages under ``field``; returns the messages."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    messages = body["errors"][field]
    assert messages and all(isinstance(m, str) and m.strip() for m in messages)
    return messages


def _nested(depth: int) -> Any:
    value: Any = "дно"
    for _ in range(depth):
        value = {"a": value}
    return value


# ---------------------------------------------------------------- start: depth, shape, declared names


def test_start_variables_nested_900_deep_are_400_not_a_recursion_error(processes, api_client):
    response = _post(api_client("manager1"), "/api/v1/processes/t_approval/start", {"variables": _nested(900)})
    path = ".".join(["variables", *["a"] * (MAX_DEPTH - 1)])
    assert "Слишком глубокая вложенность" in _refused(response, path)[0]
    assert not Instance.objects.exists()


def test_nesting_past_the_json_parser_itself_is_400(processes, api_client):
    body = '{"variables": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api_client("manager1").generic(
        "POST", "/api/v1/processes/t_approval/start", body, content_type="application/json"
    )
    assert _refused(response, "__all__")[0].startswith("Тело запроса — не JSON")


def test_nesting_up_to_the_bound_reaches_the_form(processes, api_client, demo):
    """The bound is on nesting, not on honest structure: a card's contacts are 4 deep."""
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    response = _post(
        api_client("sales_head"),
        f"/api/v1/assignments/{attach.pk}/complete",
        {"data": {"document_url": "https://docs.example.com/a", "comment": "ok", "extra": _nested(MAX_DEPTH - 3)}},
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("body", [5, "variables", [None, None], None, True])
def test_a_start_body_that_is_not_an_object_is_400(processes, api_client, body):
    response = _post(api_client("manager1"), "/api/v1/processes/t_approval/start", body)
    assert _refused(response, "__all__") == ["Тело запроса должно быть объектом JSON: {…}."]
    assert not Instance.objects.exists()


def test_every_json_endpoint_refuses_a_bare_number(processes, api_client, demo):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    client = api_client("manager1")
    for url in (f"/api/v1/instances/{instance.pk}/stop", "/api/v1/tasks", "/api/v1/companies/check"):
        _refused(_post(client, url, 5), "__all__")
    assert Instance.objects.get(pk=instance.pk).running


def test_a_body_that_is_not_json_is_400_in_russian(processes, api_client):
    response = api_client("manager1").generic(
        "POST", "/api/v1/processes/t_approval/start", "{variables:", content_type="application/json"
    )
    assert _refused(response, "__all__")[0].startswith("Тело запроса — не JSON")


def test_a_start_variable_the_process_does_not_declare_is_refused_by_name(processes, api_client):
    client = api_client("manager1")
    response = _post(client, "/api/v1/processes/t_approval/start", {"variables": {"quarter": "2027-Q1", "decided": 1}})
    assert _refused(response, "decided") == ["Процесс не принимает переменную «decided» при запуске."]
    assert not Instance.objects.exists()
    accepted = _post(client, "/api/v1/processes/t_approval/start", {"variables": {"quarter": "2027-Q1"}})
    assert accepted.status_code == 201 and accepted.json()["variables"]["quarter"] == "2027-Q1"


def test_a_declared_plain_variable_takes_a_short_scalar_only(processes, api_client):
    client = api_client("manager1")
    for value in ({"q": 1}, ["2027-Q1"], "Q" * 1001):
        _refused(_post(client, "/api/v1/processes/t_approval/start", {"variables": {"quarter": value}}), "quarter")
    assert not Instance.objects.exists()


def test_a_start_pre_fills_form_fields_cleaned_by_their_type(demo, api_client):
    from crm.tests.factories import deploy_counterparty_process

    deploy_counterparty_process()
    client = api_client("manager1")
    url = "/api/v1/processes/add_counterparty/start"
    _refused(_post(client, url, {"variables": {"responsible_manager": "nobody"}}), "responsible_manager")
    _refused(_post(client, url, {"variables": {"name": "Н" * 1001}}), "name")
    _refused(_post(client, url, {"variables": {"contacts": [{"name": ["not", "text"]}]}}), "contacts.0.name")
    assert not Instance.objects.exists()
    started = _post(client, url, {"variables": {"name": "  Заготовка  ", "inn": "7707083893"}})
    assert started.status_code == 201
    assert started.json()["variables"]["name"] == "Заготовка"  # cleaned as the form cleans it


# ---------------------------------------------------------------- characters no database stores


def test_a_lone_surrogate_in_a_task_title_is_400_not_a_unicode_error(demo, api_client):
    body = {"title": f"Позвонить {SURROGATE}", "responsible": "manager2"}
    messages = _refused(_post(api_client("manager1"), "/api/v1/tasks", body), "title")
    assert messages == ["Недопустимый символ: одиночный суррогат UTF-16."]
    assert not Task.objects.exists()


@pytest.mark.parametrize("bad", ["\x00", SURROGATE])
def test_unstorable_text_is_refused_anywhere_in_a_body_with_its_path(processes, api_client, demo, bad):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    response = _post(
        api_client("sales_head"),
        f"/api/v1/assignments/{attach.pk}/complete",
        {"data": {"document_url": "https://docs.example.com/a", "comment": [f"a{bad}"]}},
    )
    _refused(response, "data.comment.0")
    in_a_key = _post(api_client("sales_head"), f"/api/v1/assignments/{attach.pk}/complete", {"data": {bad: 1}})
    _refused(in_a_key, "data")
    assert Assignment.objects.get(pk=attach.pk).is_open


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"document_url": "https://docs.example.com/\x00", "comment": "x"}, "document_url"),
        ({"document_url": "https://docs.example.com/", "comment": "a\x00"}, "comment"),
    ],
)
def test_nul_in_an_engine_form_is_a_field_error_of_the_service(processes, demo, data, field):
    """Whatever door a form comes through, the form dialect refuses a NUL (PostgreSQL's jsonb would
    fail on it) and notes the refusal."""
    from base.errors import Invalid

    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    with pytest.raises(Invalid) as refused:
        actions.complete(attach.pk, by=demo["sales_head"].user, data=data)
    assert refused.value.errors == {field: ["Недопустимый символ NUL (\\u0000)."]}
    assert instance.history.get(event=HistoryEvent.REFUSED).data == {"errors": refused.value.errors}


def test_nul_in_a_page_post_or_query_string_is_a_400_page_naming_the_field(processes, demo, login):
    """One check for every page (``RefusalPagesMiddleware``): a form post is decoded by Django, so no
    lone surrogate survives it, but a NUL does, and PostgreSQL refuses it in a query."""
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    head = login("sales_head")
    posted = head.post(f"/assignments/{attach.pk}/", {"document_url": "https://docs.example.com/", "comment": "a\x00"})
    assert posted.status_code == 400 and "Поле «comment»: Недопустимый символ NUL" in posted.text
    assert Assignment.objects.get(pk=attach.pk).is_open
    for url, parameter in (("/companies/", "q"), ("/assignments/", "name"), ("/employees/search/", "q")):
        response = head.get(url, {parameter: "a\x00"})
        assert response.status_code == 400 and f"Поле «{parameter}»" in response.text, url
    assert head.get("/companies/", {"q": "Авто"}).status_code == 200


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/companies", "q"),
        ("/api/v1/assignments", "assignee"),
        ("/api/v1/instances", "process"),
        ("/api/v1/tasks", "responsible"),
    ],
)
def test_nul_in_a_query_parameter_is_400_naming_it(api_client, url, parameter):
    response = api_client("manager1").get(url, {parameter: "a\x00b"})
    assert _refused(response, parameter) == ["Недопустимый символ NUL (\\u0000)."]


def test_a_process_key_in_the_path_is_an_identifier(processes, api_client):
    response = _post(api_client("manager1"), "/api/v1/processes/t%00approval/start", {"variables": {}})
    _refused(response, "key")


# ---------------------------------------------------------------- dates


def test_the_analytics_period_from_year_1_to_9999_is_400_not_500(demo, api_client):
    response = api_client("director").get("/api/v1/analytics", {"from": "0001-01-01", "to": "9999-12-31"})
    message = "Дата должна быть между 01.01.2000 и 31.12.2099."
    assert _refused(response, "from") == [message] and _refused(response, "to") == [message]
    assert (
        api_client("director").get("/api/v1/analytics", {"from": "2000-01-01", "to": "2099-12-31"}).status_code == 200
    )


def test_the_analytics_page_says_the_same(demo, login):
    response = login("director").get("/analytics/", {"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 200 and "Дата должна быть между 01.01.2000 и 31.12.2099." in response.text
    assert response.context["result"] is None


@pytest.mark.parametrize("value", ["0", "0.5", "1700000000"])
def test_a_number_is_not_read_as_a_unix_time(demo, api_client, value):
    assert "ISO 8601" in _refused(api_client("director").get("/api/v1/analytics", {"from": value}), "from")[0]
    assert (
        "ISO 8601"
        in _refused(api_client("manager1").get("/api/v1/assignments", {"due_before": value}), "due_before")[0]
    )


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_an_instant_past_the_bounds_is_400_not_an_overflow(demo, api_client, value):
    _refused(api_client("manager1").get("/api/v1/assignments", {"due_after": value}), "due_after")
    body = {"title": "Позвонить", "responsible": "manager2", "deadline": value}
    _refused(_post(api_client("manager1"), "/api/v1/tasks", body), "deadline")


def test_a_task_deadline_past_the_bounds_is_refused_on_the_page(demo, login):
    response = login("manager1").post(
        "/tasks/new/", {"title": "Позвонить", "responsible": "manager2", "deadline": "9999-12-31T23:59"}
    )
    assert response.status_code == 400 and "Дата должна быть между" in response.text
    assert not Task.objects.exists()


# ---------------------------------------------------------------- texts: refused past the bound, never cut


def test_a_megabyte_of_description_or_comment_is_refused(demo, api_client):
    client = api_client("manager1")
    task = {"title": "Позвонить", "responsible": "manager2"}
    # A megabyte of Cyrillic in JSON's escapes is past Django's 2.5 MB: refused before it is read.
    assert _refused(_post(client, "/api/v1/tasks", {**task, "description": MEGABYTE}), "__all__") == [
        "Слишком большой запрос: не больше 2.5 МБ."
    ]
    _refused(_post(client, "/api/v1/tasks", {**task, "description": "я" * (MAX_TEXT + 1)}), "description")
    created = _post(client, "/api/v1/tasks", {**task, "description": "я" * MAX_TEXT})
    assert created.status_code == 201 and len(created.json()["description"]) == MAX_TEXT
    comments = f"/api/v1/tasks/{created.json()['id']}/comments"
    _refused(_post(client, comments, {"text": MEGABYTE}), "__all__")
    assert _refused(_post(client, comments, {"text": "я" * (MAX_TEXT + 1)}), "text") == [
        f"Не больше {MAX_TEXT} символов"
    ]
    assert _post(client, comments, {"text": "я" * MAX_TEXT}).status_code == 201
    assert TaskComment.objects.count() == 1


def test_a_title_past_300_is_refused_not_cut(demo, api_client):
    from base.errors import Invalid
    from tasks.services import create_task

    client = api_client("manager1")
    _refused(_post(client, "/api/v1/tasks", {"title": "я" * (MAX_TITLE + 1), "responsible": "manager2"}), "title")
    with pytest.raises(Invalid) as refused:
        create_task(title="я" * (MAX_TITLE + 1), responsible=demo["manager2"], created_by=demo["manager1"])
    assert list(refused.value.errors) == ["title"]
    assert not Task.objects.exists()
    kept = _post(client, "/api/v1/tasks", {"title": "я" * MAX_TITLE, "responsible": "manager2"})
    assert kept.status_code == 201 and kept.json()["title"] == "я" * MAX_TITLE


def test_the_pages_refuse_long_texts_with_the_same_bound(demo, login):
    page = login("manager1")
    too_long = "я" * (MAX_TEXT + 1)
    response = page.post("/tasks/new/", {"title": "Позвонить", "responsible": "manager2", "description": too_long})
    assert response.status_code == 400 and not Task.objects.exists()
    assert f"не более {MAX_TEXT} символов" in response.text
    task = Task.objects.create(title="Позвонить", responsible=demo["manager1"], created_by=demo["manager1"])
    response = page.post(f"/tasks/{task.pk}/comment/", {"text": "я" * (MAX_TEXT + 1)})
    assert response.status_code == 400 and f"Не больше {MAX_TEXT} символов" in response.text
    response = page.post(f"/tasks/{task.pk}/comment/", {"text": "a\x00b"})
    assert response.status_code == 400 and not TaskComment.objects.exists()


def test_a_stop_reason_and_a_delegation_comment_are_bounded(processes, demo, api_client):
    instance = actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    attach = Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)
    head = api_client("sales_head")
    too_long = "я" * (MAX_TEXT + 1)
    _refused(
        _post(head, f"/api/v1/assignments/{attach.pk}/delegate", {"to": "manager2", "comment": too_long}), "comment"
    )
    _refused(_post(api_client("manager1"), f"/api/v1/instances/{instance.pk}/stop", {"reason": too_long}), "reason")
    from base.errors import Invalid

    with pytest.raises(Invalid):
        actions.stop(instance.pk, by=demo["manager1"].user, reason=too_long)
    with pytest.raises(Invalid):
        actions.delegate(attach.pk, by=demo["sales_head"].user, to="manager2", comment="a\x00")
    assert Instance.objects.get(pk=instance.pk).running
    assert not instance.history.filter(event=HistoryEvent.DELEGATED).exists()


def test_an_id_inside_a_body_past_the_largest_is_400(demo, api_client):
    body = {"title": "Позвонить", "responsible": "manager2", "instance": BIG}
    _refused(_post(api_client("manager1"), "/api/v1/tasks", body), "instance")


def test_an_id_past_the_largest_in_a_page_form_is_a_field_error(demo, login):
    response = login("manager1").post("/tasks/new/", {"title": "Позвонить", "responsible": "manager2", "instance": BIG})
    assert response.status_code == 400 and not Task.objects.exists()
    assert "instance" in response.context["form"].errors
