"""In a real browser: the Content-Security-Policy is enforced, and what used to be inline script
(the language switch, the employees picker) still works from static/js/soglasie.js."""

from __future__ import annotations

from playwright.sync_api import expect


def test_an_injected_inline_script_does_not_run(ui, sign_in, demo):
    """What an XSS would do: add a script to the page. The policy stops it; without it, it runs."""
    sign_in("manager1")
    ran = ui.evaluate(
        """() => new Promise(resolve => {
            document.addEventListener("securitypolicyviolation", () => resolve(window.injected === true));
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            setTimeout(() => resolve(window.injected === true), 1000);
        })"""
    )
    assert ran is False
    ui.csp_violations.clear()  # refused on purpose


def test_the_language_switch_works_without_inline_script(ui, sign_in, demo):
    sign_in("manager1")
    ui.get_by_label("Язык").select_option("en")
    expect(ui.locator("html")).to_have_attribute("lang", "en")
    expect(ui.get_by_role("link", name="Feed")).to_be_visible()
    ui.get_by_label("Language").select_option("ru")
    expect(ui.locator("html")).to_have_attribute("lang", "ru")


def test_the_admin_works_under_the_policy(ui, sign_in, demo):
    sign_in("admin")
    ui.goto(f"{ui.base}/admin/")
    ui.get_by_role("link", name="Сотрудники").first.click()
    ui.get_by_role("link", name="Смирнов Алексей Петрович").click()
    expect(ui.get_by_label("ФИО")).to_have_value("Смирнов Алексей Петрович")
    ui.goto(f"{ui.base}/admin/api/apitoken/")
    expect(ui.get_by_role("heading", level=1)).to_be_visible()
