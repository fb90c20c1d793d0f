"""Server-side validation of user task forms."""

import pytest

from engine import forms
from engine.forms import FieldDef, FormDefinition, Option, check_form, initial_values, to_api, validate

ACTIVE = {"director", "manager1", "manager2"}


def exists(username):
    return username in ACTIVE


DECISION = FormDefinition([
    FieldDef("decision", "enum", "Решение", required=True,
             options=[Option("approve", "Согласовать"), Option("reject", "Не согласовать")]),
    FieldDef("comment", "textarea", "Комментарий", required_if="decision == 'reject'"),
])
DOCUMENT = FormDefinition([
    FieldDef("document_url", "url", "Ссылка", required=True, default="document_url"),
    FieldDef("comment", "text", "Комментарий"),
])


def test_decision_approve_needs_no_comment():
    cleaned, errors = validate(DECISION, {"decision": "approve"}, employee_exists=exists)
    assert errors == {}
    assert cleaned == {"decision": "approve", "comment": None}


def test_decision_reject_requires_comment():
    _, errors = validate(DECISION, {"decision": "reject", "comment": "  "}, employee_exists=exists)
    assert errors == {"comment": ["Обязательное поле"]}
    cleaned, errors = validate(DECISION, {"decision": "reject", "comment": "Пересчитать"}, employee_exists=exists)
    assert errors == {} and cleaned["comment"] == "Пересчитать"


def test_required_and_enum():
    _, errors = validate(DECISION, {}, employee_exists=exists)
    assert errors == {"decision": ["Обязательное поле"]}
    _, errors = validate(DECISION, {"decision": "maybe"}, employee_exists=exists)
    assert errors == {"decision": ["Выберите один из вариантов"]}


def test_unknown_keys_are_dropped():
    cleaned, errors = validate(DECISION, {"decision": "approve", "is_admin": True}, employee_exists=exists)
    assert errors == {} and "is_admin" not in cleaned


@pytest.mark.parametrize("url", ["ftp://x.ru/a", "javascript:alert(1)", "http://", "example.com/x", "https:///a",
                                 "http://exa mple.com", 42])
def test_bad_urls(url):
    _, errors = validate(DOCUMENT, {"document_url": url}, employee_exists=exists)
    assert errors == {"document_url": ["Укажите ссылку, начинающуюся с http:// или https://"]}


def test_good_url():
    cleaned, errors = validate(DOCUMENT, {"document_url": " https://disk.example.ru/d/1?x=1 "},
                               employee_exists=exists)
    assert errors == {} and cleaned["document_url"] == "https://disk.example.ru/d/1?x=1"


def test_url_list():
    form = FormDefinition([FieldDef("signed_urls", "url_list", "Ссылки", required=True)])
    _, errors = validate(form, {"signed_urls": []}, employee_exists=exists)
    assert errors == {"signed_urls": ["Обязательное поле"]}
    _, errors = validate(form, {"signed_urls": ["http://a.ru/1", "nope"]}, employee_exists=exists)
    assert list(errors) == ["signed_urls"] and "2" in errors["signed_urls"][0]
    cleaned, errors = validate(form, {"signed_urls": "http://a.ru/1\nhttps://b.ru/2"}, employee_exists=exists)
    assert errors == {} and cleaned["signed_urls"] == ["http://a.ru/1", "https://b.ru/2"]


def test_date_and_boolean():
    form = FormDefinition([FieldDef("created_on", "date", "Дата"), FieldDef("ok", "boolean", "Да?")])
    cleaned, errors = validate(form, {"created_on": "2027-02-28", "ok": "on"}, employee_exists=exists)
    assert errors == {} and cleaned == {"created_on": "2027-02-28", "ok": True}
    _, errors = validate(form, {"created_on": "2027-02-30"}, employee_exists=exists)
    assert errors == {"created_on": ["Такой даты нет"]}
    _, errors = validate(form, {"created_on": "28.02.2027", "ok": "maybe"}, employee_exists=exists)
    assert set(errors) == {"created_on", "ok"}
    cleaned, _ = validate(form, {}, employee_exists=exists)
    assert cleaned == {"created_on": None, "ok": False}


def test_employee_and_employees():
    form = FormDefinition([
        FieldDef("responsible", "employee", "Ответственный", required=True),
        FieldDef("recipients", "employees", "Получатели", required=True),
    ])
    _, errors = validate(form, {"responsible": "ghost", "recipients": []}, employee_exists=exists)
    assert errors == {"responsible": ["Сотрудник не найден или неактивен"], "recipients": ["Обязательное поле"]}
    _, errors = validate(form, {"responsible": "director", "recipients": ["manager1", "manager1", "fired"]},
                         employee_exists=exists)
    assert len(errors["recipients"]) == 2
    cleaned, errors = validate(form, {"responsible": "director", "recipients": ["manager1", "manager2"]},
                               employee_exists=exists)
    assert errors == {} and cleaned["recipients"] == ["manager1", "manager2"]


def test_list_of_objects_errors_are_keyed_by_row():
    form = FormDefinition([FieldDef("contacts", "list", "Контакты", min_items=1, fields=[
        FieldDef("name", "text", "Имя", required=True),
        FieldDef("email", "url", "Сайт"),
    ])])
    _, errors = validate(form, {"contacts": []}, employee_exists=exists)
    assert list(errors) == ["contacts"]
    data = {"contacts": [{"name": "Иван", "email": "http://a.ru"}, {"name": "", "email": "bad", "x": 1}]}
    cleaned, errors = validate(form, data, employee_exists=exists)
    assert set(errors) == {"contacts.1.name", "contacts.1.email"}
    data["contacts"][1] = {"name": "Пётр"}
    cleaned, errors = validate(form, data, employee_exists=exists)
    assert errors == {}
    assert cleaned["contacts"] == [{"name": "Иван", "email": "http://a.ru"}, {"name": "Пётр", "email": None}]


def test_to_api_and_initial_values():
    values = initial_values(DOCUMENT, {"document_url": "http://old.ru/doc"})
    assert values == {"document_url": "http://old.ru/doc", "comment": None}
    assert initial_values(DOCUMENT, {}) == {"document_url": None, "comment": None}
    api = to_api(DECISION, {"decision": "approve"})
    assert api[0] == {"id": "decision", "type": "enum", "label": "Решение", "required": True,
                      "options": [{"id": "approve", "label": "Согласовать"},
                                  {"id": "reject", "label": "Не согласовать"}],
                      "value": "approve"}
    assert api[1]["required_if"] == "decision == 'reject'"
    listed = to_api(FormDefinition([FieldDef("docs", "list", "Документы", fields=[FieldDef("url", "url", "Ссылка")])]))
    assert listed[0]["fields"][0]["id"] == "url"


def test_check_form_reports_problems():
    form = FormDefinition([
        FieldDef("money", "currency", "Сумма"),
        FieldDef("choice", "enum", "Выбор"),
        FieldDef("x", "text", "X", required_if="__import__('os')"),
        FieldDef("x", "text", "X again"),
        FieldDef("_bad", "text", "Bad"),
    ])
    problems = dict(check_form(form))
    assert set(problems) == {"money", "choice", "x", "_bad"}


# --- a choice of outcomes (decisions from the e-mail) ------------------------------------------------


def _choice_form(*extra: forms.FieldDef) -> forms.FormDefinition:
    decision = forms.FieldDef(
        "decision", "enum", "Решение", required=True,
        options=[forms.Option("approve", "Согласовать"), forms.Option("reject", "Не согласовать")],
    )
    return forms.FormDefinition([decision, *extra])


def test_a_choice_with_a_comment_for_the_send_back_is_a_choice_of_outcomes():
    form = _choice_form(forms.FieldDef("comment", "textarea", required_if="decision == 'reject'"))
    assert forms.choice_of_outcomes(form).id == "decision"
    assert forms.needed_for(form, "approve", {}) == []
    assert [f.id for f in forms.needed_for(form, "reject", {})] == ["comment"]


def test_a_required_comment_is_needed_for_every_outcome():
    form = _choice_form(forms.FieldDef("comment", "textarea", required=True), forms.FieldDef("note", "text"))
    assert forms.choice_of_outcomes(form) is not None
    assert [f.id for f in forms.needed_for(form, "approve", {})] == ["comment"]


@pytest.mark.parametrize(
    "extra",
    [
        forms.FieldDef("document_url", "url", required=True),
        forms.FieldDef("recipients", "employees", required_if="decision == 'approve'"),
        forms.FieldDef("consent", "boolean", required=True),
    ],
)
def test_a_form_that_needs_more_than_a_text_is_no_choice_of_outcomes(extra):
    assert forms.choice_of_outcomes(_choice_form(extra)) is None


def test_a_form_without_a_decision_field_is_no_choice_of_outcomes():
    status = forms.FieldDef("status", "enum", options=[forms.Option("a", "А")])
    assert forms.choice_of_outcomes(forms.FormDefinition([status])) is None
