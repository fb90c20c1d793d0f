"""Log-in with a lock-out: after too many failures for one username from one address, wait.

The web page and the API's token endpoint both go through ``authenticate_throttled`` so the
lock-out cannot be side-stepped by switching from one to the other. Failures are rows, not memory,
so the lock holds across the web server's worker processes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from base import clock
from base.errors import TooManyRequests
from org.models import LoginFailure


class LoginLocked(TooManyRequests):
    """Too many failed attempts; the message says how long to wait."""

    def __init__(self) -> None:
        minutes = settings.LOGIN_LOCKOUT_MINUTES
        super().__init__(
            _("Слишком много неудачных попыток входа. Повторите через %(minutes)d минут.") % {"minutes": minutes},
            retry_after=minutes * 60,
        )


def client_address(request: HttpRequest) -> str:
    """The peer address. Headers such as X-Forwarded-For are not trusted: anyone can send them."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _window_start():
    return clock.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked(username: str, address: str) -> bool:
    recent = LoginFailure.objects.filter(username=username.lower(), address=address, at__gte=_window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT


def authenticate_throttled(request: HttpRequest, username: str, password: str) -> AbstractBaseUser | None:
    """Authenticate, or raise ``LoginLocked``; returns None for wrong credentials.

    While locked, even the right password is refused: otherwise the lock would tell an attacker
    when they guessed right.
    """
    address = client_address(request)
    key = (username or "").strip().lower()
    if is_locked(key, address):
        raise LoginLocked
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=key[:150], address=address[:64], at=clock.now())
        LoginFailure.objects.filter(at__lt=_window_start()).delete()
        return None
    LoginFailure.objects.filter(username=key, address=address).delete()
    return user
