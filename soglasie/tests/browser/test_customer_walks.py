"""Walks through the browser over the three customer processes, person by person, as they are used:
«Добавление контрагента» (processes.md §2), «Торговые условия» (§1) and «Бонусные соглашения» (§3).

Each walk starts from a page (the feed or «Процессы»), finds every assignment the way its assignee
would (the feed, «Автоматизация», «Задачи»), and ends by checking the outcome on the pages and in
the database. The live server's database is flushed after every test, so the production process
files are deployed again for each walk.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from base import words
from crm.demo import bank, inn10, ogrn13
from crm.models import Company
from engine.models import Instance, InstanceStatus
from notify.models import Kind, Notification
from processes.apps import deploy_files
from processes.quarters import previous_quarter


@pytest.fixture
def customer_processes(demo: dict[str, Any]) -> dict[str, Any]:
    """The demo company with the production files of processes/ deployed (the flush removed them)."""
    deploy_files()
    return demo


def open_from_feed(ui: Any, title: str) -> None:
    """One click: the assignment is in «Мои задания» on the feed the person lands on."""
    ui.get_by_role("link", name=title).click()
    expect(ui.get_by_role("heading", level=1)).to_have_text(re.compile(re.escape(title)))


def submit_and_see_done(ui: Any, button: str = "Выполнить") -> None:
    ui.get_by_role("button", name=button, exact=True).click()
    expect(ui.locator(".message-success")).to_contain_text("выполнено")


# ------------------------------------------------------------------------------ «Добавление контрагента»

NAME = "Северный Ветер"
INN = inn10("773412987")
WRONG_INN = INN[:-1] + str((int(INN[-1]) + 1) % 10)
OGRN = ogrn13("117774634987")
BANK = bank("044525225", "ПАО Сбербанк", tail="38000077777")


def fill_card(ui: Any) -> None:
    """What a sales manager types into the card (the defaults — date, country, people — are kept)."""

    def field(key: str) -> Any:
        return ui.locator(f"#card-{key}")

    field("name").fill(NAME)
    field("kind").select_option("client")
    field("legal_form").select_option("ooo")
    field("business_group").fill("Северный Ветер")
    field("short_name").fill(f"ООО «{NAME}»")
    field("full_name").fill(f"Общество с ограниченной ответственностью «{NAME}»")
    field("region").fill("Москва")
    field("city").fill("Москва")
    field("legal_address").fill("125009, г. Москва, ул. Тверская, д. 7")
    field("inn").fill(WRONG_INN)
    field("kpp").fill("773401001")
    field("ogrn").fill(OGRN)
    for key, value in BANK.items():
        field(key).fill(value)
    field("contacts-0-name").fill("Орлова Анна Викторовна")
    field("contacts-0-position").fill("Главный бухгалтер")
    field("contacts-0-phone").fill("+7 495 222-33-44")
    field("contacts-0-email").fill("orlova@veter.example")


def test_adding_a_counterparty_with_a_wrong_inn_and_a_rejection(ui, sign_in, customer_processes):
    assert not Company.objects.filter(inn=INN).exists()  # not one of the demo companies
    assert not Company.objects.filter(name=NAME).exists()

    # The manager starts the process from the feed and lands on the card, defaults filled in.
    sign_in("manager1")
    ui.get_by_role("button", name="Запустить «Добавление контрагента»").click()
    expect(ui.get_by_role("heading", level=1)).to_have_text("Заполнить карточку контрагента")
    expect(ui.locator("#card-country")).to_have_value("Россия")
    expect(ui.locator("#card-responsible")).to_have_value("manager1")
    expect(ui.locator("#card-responsible_manager")).to_have_value("sales_head")
    fill_card(ui)

    # A wrong control digit: the card comes back with the error beside the ИНН, values kept.
    ui.get_by_role("button", name="Отправить на согласование").click()
    expect(ui.locator(".form-errors")).to_be_visible()
    expect(ui.locator("#card-err-inn")).to_contain_text("Неверное контрольное число ИНН")
    expect(ui.locator("#card-inn")).to_have_attribute("aria-invalid", "true")
    expect(ui.locator("#card-name")).to_have_value(NAME)
    expect(ui.locator("#card-contacts-0-email")).to_have_value("orlova@veter.example")
    instance = Instance.objects.get(process_key="add_counterparty")
    assert instance.assignments.get().status == "open"

    ui.locator("#card-inn").fill(INN)
    ui.locator("#card-kpp").focus()  # leaving the field checks it at once: the error goes away
    expect(ui.locator("#card-err-inn")).not_to_contain_text("ИНН")
    submit_and_see_done(ui, "Отправить на согласование")

    # The head of sales (manager1's line manager) finds it within two clicks and rejects.
    sign_in("sales_head")
    ui.get_by_role("link", name="Автоматизация").click()
    ui.get_by_role("link", name="Согласовать контрагента (руководитель)").click()
    expect(ui.get_by_text(INN).first).to_be_visible()
    ui.get_by_label("Комментарий", exact=True).fill("Уточните юридический адрес: нужен офис")
    ui.get_by_role("button", name="На доработку").click()
    expect(ui.locator(".message-success")).to_be_visible()

    # The manager sees the comment above the card, already filled with the last submission.
    sign_in("manager1")
    open_from_feed(ui, "Внести правки в карточку контрагента")
    comments = ui.locator(".review-comments")
    expect(comments).to_contain_text("Уточните юридический адрес: нужен офис")
    expect(comments).to_contain_text("Морозов Дмитрий Алексеевич")
    assert comments.bounding_box()["y"] < ui.locator(".card-form").bounding_box()["y"]
    expect(ui.locator("#card-inn")).to_have_value(INN)
    ui.locator("#card-legal_address").fill("125009, г. Москва, ул. Тверская, д. 7, офис 12")
    submit_and_see_done(ui, "Отправить на согласование")

    sign_in("sales_head")
    open_from_feed(ui, "Согласовать контрагента (руководитель)")
    expect(ui.get_by_text("офис 12").first).to_be_visible()
    submit_and_see_done(ui, "Согласовать")

    sign_in("findir")
    open_from_feed(ui, "Согласовать контрагента (финансовый директор)")
    submit_and_see_done(ui, "Согласовать")

    # The company is in the list, its card has the checked requisites; the process is approved.
    ui.get_by_role("link", name="Контрагенты").click()
    ui.get_by_label("Название или ИНН").fill("северный")
    ui.get_by_role("link", name=NAME).click()
    expect(ui.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(ui.get_by_text(INN).first).to_be_visible()
    expect(ui.get_by_text("Орлова Анна Викторовна")).to_be_visible()
    company = Company.objects.get(inn=INN)
    assert company.kpp == "773401001" and company.responsible == customer_processes["manager1"]
    assert company.legal_address.endswith("офис 12")

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FINISHED and instance.outcome == "approved"
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    expect(ui.locator(".facts").first).to_contain_text("согласовано")


# ------------------------------------------------------------------------------ «Торговые условия»

QUARTER = "2031-Q2"


def test_trade_conditions_with_one_rejection(ui, sign_in, customer_processes):
    # The sales administrator starts the quarter by hand on «Процессы» and picks who is told.
    sign_in("sales_admin")
    ui.get_by_role("link", name="Процессы").click()
    section = ui.locator("#process-trade_conditions")
    section.get_by_label("Квартал").fill(QUARTER)
    section.get_by_role("button", name="Запустить «Торговые условия»").click()
    expect(ui.get_by_role("heading", level=1)).to_have_text("Выбрать получателей уведомления о запуске процесса")
    instance = Instance.objects.get(process_key="trade_conditions")
    assert instance.variables["quarter"] == QUARTER and instance.title == f"Торговые условия на {QUARTER}"

    ui.get_by_label("Найти сотрудника").fill("васильева")
    results = ui.locator("#f-recipients-results")
    expect(results.get_by_text("Васильева Мария Андреевна")).to_have_count(1)
    expect(results.get_by_text("Смирнов Алексей Петрович")).to_have_count(0)
    results.get_by_label("Васильева Мария Андреевна").check()
    expect(ui.locator("#f-recipients-chosen")).to_contain_text("Васильева Мария Андреевна")
    submit_and_see_done(ui)
    assert Notification.objects.filter(recipient=customer_processes["manager2"], instance=instance).count() == 1

    # The head of sales attaches the base discounts; the director rejects them with a comment.
    sign_in("sales_head")
    open_from_feed(ui, words.quarters_in(f"Прикрепить ссылку на реестр базовых скидок на {QUARTER}"))
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/base-discounts/v1")
    submit_and_see_done(ui)

    sign_in("director")
    open_from_feed(ui, "Согласовать реестр базовых скидок")
    expect(ui.get_by_role("link", name="https://docs.example/base-discounts/v1").first).to_be_visible()
    ui.get_by_label("Комментарий", exact=True).fill("Скидка сетям выше 12 % — обоснуйте")
    ui.get_by_role("button", name="На доработку").click()
    expect(ui.locator(".message-success")).to_be_visible()

    # The revision shows the director's comment and the link being revised.
    sign_in("sales_head")
    open_from_feed(ui, "Доработать реестр базовых скидок")
    expect(ui.get_by_text("Скидка сетям выше 12 % — обоснуйте")).to_be_visible()
    expect(ui.get_by_label("Ссылка на документ")).to_have_value("https://docs.example/base-discounts/v1")
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/base-discounts/v2")
    submit_and_see_done(ui)

    sign_in("director")
    open_from_feed(ui, "Согласовать реестр базовых скидок")
    expect(ui.get_by_role("link", name="https://docs.example/base-discounts/v2").first).to_be_visible()
    submit_and_see_done(ui, "Согласовать")

    # The registry: the sales administrator forms it, the director approves.
    sign_in("sales_admin")
    open_from_feed(ui, "Сформировать реестр скидок, отсрочек и кредитных лимитов")
    expect(ui.get_by_label("Ссылка на документ")).to_have_value("")  # not the base discounts' link
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/registry/2031-q2")
    submit_and_see_done(ui)

    sign_in("director")
    open_from_feed(ui, "Согласовать реестр скидок, отсрочек и кредитных лимитов")
    submit_and_see_done(ui, "Согласовать")

    # The finish recipients start as the start's; one more is added.
    sign_in("sales_admin")
    open_from_feed(ui, "Выбрать получателей уведомления о завершении процесса")
    chosen = ui.locator("#f-recipients-chosen")
    expect(chosen.get_by_label("Васильева Мария Андреевна")).to_be_checked()
    ui.get_by_label("Найти сотрудника").fill("новиков")
    results = ui.locator("#f-recipients-results")
    expect(results.get_by_text("Соколов Андрей Викторович")).to_have_count(0)  # the search has answered
    results.get_by_label("Новиков Игорь Сергеевич").check()
    expect(chosen).to_contain_text("Новиков Игорь Сергеевич")
    submit_and_see_done(ui)

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FINISHED and instance.outcome == "approved"
    assert instance.variables["finish_recipients"] == ["manager2", "manager3"]

    # A recipient informed at the start and at the end finds both notices behind the bell. The start
    # only informs (a sales manager outside the process gets no link to a page he may not open); the
    # finish sends him the approved documents, so it makes him a reader and links to the instance.
    sign_in("manager2")
    expect(ui.locator("#bell .bell-count")).to_have_text("2")
    ui.locator("#bell").click()
    started = ui.locator(".notification").filter(has_text="Запущен процесс")
    finished = ui.locator(".notification").filter(has_text="завершён")
    expect(started).to_contain_text(words.quarters_in(f"Торговые условия на {QUARTER}"))
    expect(finished).to_contain_text(words.quarters_in(f"Торговые условия на {QUARTER}"))
    expect(finished).to_contain_text("https://docs.example/base-discounts/v2")
    expect(finished).to_contain_text("https://docs.example/registry/2031-q2")
    expect(started.get_by_role("link")).to_have_count(0)
    finished.get_by_role("link").click()
    expect(ui.get_by_role("heading", level=1)).to_contain_text(words.quarters_in(f"Торговые условия на {QUARTER}"))
    late = Notification.objects.filter(recipient=customer_processes["manager3"], instance=instance)
    assert [n.kind for n in late] == [Kind.PROCESS_FINISHED]


# ------------------------------------------------------------------------------ «Бонусные соглашения»


def test_bonus_agreements_to_the_end(ui, sign_in, customer_processes):
    # Started from the feed: no quarter typed, so it is the quarter just ended.
    quarter = previous_quarter(timezone.localdate())
    sign_in("sales_admin")
    ui.get_by_role("button", name="Запустить «Бонусные соглашения»").click()
    open_title = "Подготовить дополнительные соглашения и акты о выплате бонуса"
    expect(ui.get_by_role("heading", level=1)).to_have_text(open_title)
    instance = Instance.objects.get(process_key="bonus_agreements")
    assert instance.title == f"Бонусные соглашения за {quarter}"
    expect(ui.locator(".facts").first).to_contain_text(words.quarter(quarter))
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/bonus/agreements")
    submit_and_see_done(ui)

    sign_in("findir")
    open_from_feed(ui, "Определить очерёдность предоставления бонусов")
    expect(ui.get_by_role("link", name="https://docs.example/bonus/agreements").first).to_be_visible()
    ui.get_by_label("Ссылка на документ").fill("https://docs.example/bonus/order")
    submit_and_see_done(ui)

    # «Да» takes the sales administrator straight to attaching the signed agreements.
    sign_in("sales_admin")
    open_from_feed(ui, "Отправить документы клиентам на согласование и подписание")
    ui.get_by_role("button", name="Да", exact=True).click()
    expect(ui.get_by_role("heading", level=1)).to_have_text(
        "Прикрепить ссылки на подписанные дополнительные соглашения"
    )
    ui.locator("#f-signed_urls-1").fill("https://docs.example/bonus/signed-1")
    ui.get_by_role("button", name="Ещё ссылка").click()
    expect(ui.locator("#f-signed_urls-1")).to_have_value("https://docs.example/bonus/signed-1")
    ui.locator("#f-signed_urls-2").fill("https://docs.example/bonus/signed-2")
    submit_and_see_done(ui)

    # The director signs on paper and marks the task done in «Задачи».
    sign_in("director")
    ui.get_by_role("link", name="Задачи", exact=True).click()
    ui.get_by_role("link", name="Подпишите бонусные соглашения с клиентами").click()
    expect(ui.get_by_text(words.quarters_in(f"Бонусные соглашения за {quarter}")).first).to_be_visible()
    ui.get_by_role("button", name="Выполнено").click()
    expect(ui.locator(".message-success")).to_contain_text("выполнена")

    sign_in("sales_admin")
    open_from_feed(ui, "Получите оригиналы соглашений и передайте их в архив")
    submit_and_see_done(ui)

    sign_in("accountant")
    open_from_feed(ui, "Примите оригиналы соглашений по контрагенту")
    submit_and_see_done(ui)

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FINISHED and instance.outcome == "completed"
    assert instance.variables["signed_urls"] == [
        "https://docs.example/bonus/signed-1",
        "https://docs.example/bonus/signed-2",
    ]
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    expect(ui.locator(".facts").first).to_contain_text("выполнено")
