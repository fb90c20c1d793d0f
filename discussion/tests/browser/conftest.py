"""The suite's browser fixtures (``soglasie/tests/browser/conftest.py``: Debian's Chromium, the
``ui`` page with its CSP watch, ``sign_in``) for the discussion's browser tests, marked and skipped
the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from soglasie.tests.browser.conftest import (  # noqa: F401  (fixtures, used by name)
    CHROMIUM,
    browser_context_args,
    browser_type_launch_args,
    sign_in,
    ui,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed at /usr/bin/chromium"))
