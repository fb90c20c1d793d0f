"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) that keeps what it receives.

Loaded as a pytest plugin by the root ``conftest.py``: ``smtp_port`` points Django's mailer at a
free port (and ``SITE_URL`` at ``https://soglasie.example``) with nothing listening yet; ``smtp``
starts the server there and gives its :class:`Inbox`. ``plain_text`` and ``links_in`` read a message.
"""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port(settings: Any) -> int:
    port = _free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    settings.SITE_URL = "https://soglasie.example"
    return port


@pytest.fixture
def smtp(smtp_port: int) -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()


def plain_text(message: Any) -> str:
    """The plain-text body of a received message."""
    return message.get_body(preferencelist=("plain",)).get_content()


def links_in(message: Any) -> dict[str, str]:
    """The decision links of an ``assigned`` e-mail, by the label before each: ``{"Согласовать": url}``."""
    lines = plain_text(message).splitlines()
    return dict(found.groups() for line in lines if (found := re.fullmatch(r"(.+?): (\S+/a/[A-Za-z0-9_-]+)", line)))
