"""The API's docs page in a real browser with every outside address unreachable, as on a machine
without Internet: Swagger UI comes from our own static files and lists the operations."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_the_docs_page_works_offline(ui, demo):
    outside: list[str] = []

    def only_loopback(route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ui.route("**/*", only_loopback)
    errors: list[str] = []
    ui.on("pageerror", lambda error: errors.append(str(error)))
    ui.goto(f"{ui.base}/api/v1/docs")
    expect(ui.locator(".swagger-ui .info .title")).to_contain_text("Soglasie API")
    expect(ui.locator(".opblock-summary-path", has_text="/api/v1/assignments").first).to_be_visible()
    assert outside == [] and errors == []
