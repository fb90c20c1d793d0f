"""Browser tests: Playwright (sync API) driving Debian's Chromium against Django's live server.

Skipped cleanly when /usr/bin/chromium is missing (``scripts/ensure-chromium`` installs it during
``make test``). A failing test leaves a full-page screenshot under ``test-results/``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[3] / "test-results"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytest.importorskip("playwright.sync_api")

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls there
# unless told otherwise; the test database is set up and flushed while that loop exists, so this
# has to hold for the whole session, not just inside a fixture.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def mark_browser_tests(items: list[pytest.Item], folder: Path) -> None:
    """Mark the tests below ``folder`` ``browser``, and skip them when Chromium is missing (a room's
    own browser tests call it from their conftest, with these fixtures imported)."""
    here = str(folder)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed at /usr/bin/chromium"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_browser_tests(items, Path(__file__).parent)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, headless, with nothing reaching out to the network."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "ru-RU", "timezone_id": "Europe/Moscow"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def ui(live_server: Any, page: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The Playwright page, pointed at the live server; on failure a screenshot is kept.

    Every walk also checks the Content-Security-Policy: whatever the browser refused to run or load
    on the way (an inline script, an on…= attribute, htmx's eval) fails the test that met it.
    """
    page.set_default_timeout(5_000)
    page.base = live_server.url
    page.csp_violations = []
    page.on("console", lambda message: _note_csp_violation(page, message))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        # The page may be gone already; the test's own failure is what matters.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    elif report is not None:
        assert page.csp_violations == [], "the Content-Security-Policy refused something on the way"


def _note_csp_violation(page: Any, message: Any) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        page.csp_violations.append(f"{page.url}: {message.text}")


@pytest.fixture
def sign_in(ui: Any) -> Callable[[str], Any]:
    """``sign_in("director")`` logs that person in through the log-in page (after logging out)."""

    def _sign_in(username: str) -> Any:
        ui.context.clear_cookies()
        ui.goto(f"{ui.base}/login/")
        ui.get_by_label("Имя пользователя").fill(username)
        ui.get_by_label("Пароль").fill("demo")
        ui.get_by_role("button", name="Войти").click()
        ui.wait_for_url(f"{ui.base}/")
        return ui

    return _sign_in


# ------------------------------------------------------------------------------- accessibility checks

UNLABELLED_JS = (Path(__file__).parent / "unlabelled.js").read_text(encoding="utf-8")
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")


def check_accessibility(page: Any) -> None:
    """Every input has a label, text has readable contrast (WCAG AA), the page fits a 360 px phone."""
    assert page.evaluate(UNLABELLED_JS) == [], page.url
    assert page.evaluate(CONTRAST_JS) == [], page.url
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, (page.url, width, viewport)


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus: it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab on {page.url}")
