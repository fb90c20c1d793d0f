"""At a phone's 390 × 844: the header folds into «Меню», the filters give way to the list, the decision
sits under the thumb, and no page scrolls sideways. Each page's screenshot is kept under
``test-results/phone-*.png`` as the artefact a person looks at."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from engine import actions
from soglasie.tests.browser.conftest import RESULTS

PHONE = {"width": 390, "height": 844}


def _fits_and_keep(page: Any, name: str) -> None:
    """No horizontal scroll, the header within ~15 % of the first screen; the screenshot is kept."""
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, (page.url, width, viewport)
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 0.15 * PHONE["height"], (page.url, header)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"phone-{name}.png"))


def _in_first_screen(page: Any, selector: str) -> bool:
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""",
        selector,
    )


def test_a_director_decides_from_a_phone(ui, sign_in, processes, demo):
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    attach = instance.assignments.get()
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/v1"})
    approve = instance.assignments.get(key="approve_doc")
    ui.set_viewport_size(PHONE)
    sign_in("director")

    # The feed: the navigation is behind «Меню», which opens and closes it.
    menu = ui.get_by_role("button", name="Меню")
    expect(menu).to_be_visible()
    expect(ui.get_by_role("navigation", name="Основная навигация")).to_be_hidden()
    _fits_and_keep(ui, "feed")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(ui.get_by_role("link", name="Автоматизация")).to_be_visible()
    ui.get_by_role("link", name="Автоматизация").click()

    # «Автоматизация»: the filters folded, the list right under them.
    ui.wait_for_url(f"{ui.base}/assignments/")
    expect(ui.locator("#filters-panel")).not_to_have_attribute("open", "")
    expect(ui.get_by_label("Название")).to_be_hidden()
    row = ui.locator(".assignment-row a", has_text="Согласовать")
    expect(row.first).to_be_visible()
    assert _in_first_screen(ui, ".assignment-row")
    _fits_and_keep(ui, "assignments")
    ui.get_by_text("Фильтры", exact=True).click()
    expect(ui.get_by_label("Название")).to_be_visible()

    # The assignment: the decision is on the first screen, at the bottom where the thumb is.
    ui.goto(f"{ui.base}/assignments/{approve.pk}/")
    first = ui.locator(".decision .button.primary")
    expect(first).to_be_visible()
    assert _in_first_screen(ui, ".decision .button.primary")
    box = first.bounding_box()
    assert box is not None and box["y"] > PHONE["height"] / 2, box
    _fits_and_keep(ui, "assignment")

    # The instance page.
    ui.goto(f"{ui.base}/instances/{instance.pk}/")
    expect(ui.get_by_role("heading", level=1)).to_be_visible()
    _fits_and_keep(ui, "instance")


def test_slash_focuses_the_search_and_dates_wait_for_the_range(ui, sign_in, processes, demo):
    actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    sign_in("sales_head")
    ui.goto(f"{ui.base}/assignments/")
    expect(ui.get_by_label("Срок с")).to_be_hidden()
    ui.get_by_label("Срок", exact=True).select_option("range")
    expect(ui.get_by_label("Срок с")).to_be_visible()
    expect(ui.get_by_label("Срок по")).to_be_visible()
    ui.get_by_label("Срок", exact=True).select_option("")
    expect(ui.get_by_label("Срок с")).to_be_hidden()

    ui.locator("h1").click()
    ui.keyboard.press("/")
    search = ui.get_by_role("searchbox", name="Поиск")
    expect(search).to_be_focused()
    ui.keyboard.type("прикрепить")
    ui.keyboard.press("Enter")
    ui.wait_for_url(f"{ui.base}/search/?q=*")
    expect(ui.locator("#found-assignments")).to_contain_text("Прикрепить документ на I квартал 2027 г.")
    # «/» typed inside a field is a character, not a jump
    ui.get_by_label("Что найти: название, ИНН, номер процесса").fill("")
    ui.get_by_label("Что найти: название, ИНН, номер процесса").press("/")
    expect(ui.get_by_label("Что найти: название, ИНН, номер процесса")).to_have_value("/")
