"""The suite's browser fixtures (``soglasie/tests/browser/conftest.py``: Debian's Chromium, the
``ui`` page with its CSP watch, ``sign_in``) for the discussion's browser tests, marked and skipped
the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from soglasie.tests.browser.conftest import (  # noqa: F401  (fixtures, used by name)
    browser_context_args,
    browser_type_launch_args,
    mark_browser_tests,
    sign_in,
    ui,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_browser_tests(items, Path(__file__).parent)
