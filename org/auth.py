"""Log-in with lock-outs: after too many recent failures, wait.

Three counts over the last ``LOGIN_LOCKOUT_MINUTES``, each a lock of its own:

- one username from one address (``LOGIN_FAILURE_LIMIT``, 5): someone guessing a password. It locks
  only that pair, so the owner still logs in from their own desk;
- one username from any address (``LOGIN_USERNAME_FAILURE_LIMIT``): the same guessing spread over
  many addresses. Higher, because it locks the owner out too;
- one address over any usernames (``LOGIN_ADDRESS_FAILURE_LIMIT``): spraying one password over
  many usernames.

The web page and the API's token endpoint both go through ``authenticate_throttled`` so a lock
cannot be side-stepped by switching from one to the other (the admin's log-in page sends people to
the same page). Failures are rows, not memory, so the locks hold across the web server's worker
processes. The address is the client's as ``client_address`` finds it behind ``TRUSTED_PROXIES``:
keyed on the proxy's own address, five wrong passwords would lock an account for everyone.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from base import clock
from base.errors import TooManyRequests
from org.models import LoginFailure


class LoginLocked(TooManyRequests):
    """Too many failed attempts; the message says how long to wait (rounded up to a minute)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(
            _("Слишком много неудачных попыток входа. Повторите через %(minutes)d мин.")
            % {"minutes": math.ceil(seconds / 60)},
            retry_after=seconds,
        )


def client_address(request: HttpRequest) -> str:
    """The client's address, as the key of the lock-outs.

    ``REMOTE_ADDR`` unless ``TRUSTED_PROXIES`` (N) says the server stands behind N reverse proxies:
    then the Nth address from the right of ``X-Forwarded-For``. Each proxy appends the address it
    got the request from, so only the last N entries were written by proxies we trust; anything to
    their left is whatever the client sent. With fewer than N entries (the request did not come
    through all the proxies) or a value that is no address, ``REMOTE_ADDR`` is used.

    An IPv6 client is keyed on its /64 network: one host or household gets a whole /64 and could
    otherwise start afresh with each of its 2^64 addresses.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= proxies and (found := _address_key(hops[-proxies])):
            return found
    return _address_key(remote) or (remote[:64] or "unknown")


def _address_key(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


#: When a signed-in session was last saved for being used (a Unix time): see ``keep_session_alive``.
SESSION_ACTIVE = "_soglasie_active"


def keep_session_alive(request: HttpRequest, every_seconds: int = 60) -> None:
    """Move the end of a signed-in session ``SESSION_COOKIE_AGE`` (``SESSION_IDLE_HOURS``) past now.

    As ``SESSION_SAVE_EVERY_REQUEST`` would, but the session is saved at most once every
    ``every_seconds``: a write on every page and htmx fragment would serialise them on SQLite, and
    a minute is nothing against twelve hours.
    """
    now = int(clock.now().timestamp())
    if now - request.session.get(SESSION_ACTIVE, 0) >= every_seconds:
        request.session[SESSION_ACTIVE] = now  # modified: the session middleware saves it


def session_started(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """On log-in (``user_logged_in``): the log-in saves the session anyway, so the next minute's
    pages need not save it again."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ACTIVE] = int(clock.now().timestamp())


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lock_wait(username: str, address: str) -> int:
    """Seconds until ``username`` may try again from ``address``; 0 when it may now.

    One query while nothing is locked. A lock lifts when the failure that reached its limit
    (the limit-th most recent one) leaves the window, so ``Retry-After`` is exact.
    """
    now = clock.now()
    recent = LoginFailure.objects.filter(at__gte=now - _window()).filter(Q(username=username) | Q(address=address))
    limits = [
        (Q(username=username, address=address), settings.LOGIN_FAILURE_LIMIT),
        (Q(username=username), settings.LOGIN_USERNAME_FAILURE_LIMIT),
        (Q(address=address), settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]
    counts = recent.aggregate(**{f"n{i}": Count("pk", filter=which) for i, (which, _limit) in enumerate(limits)})
    wait = 0
    for i, (which, limit) in enumerate(limits):
        if counts[f"n{i}"] >= limit:
            reached = recent.filter(which).order_by("-at").values_list("at", flat=True)[limit - 1]
            wait = max(wait, math.ceil((reached + _window() - now).total_seconds()))
    return wait


def authenticate_throttled(request: HttpRequest, username: str, password: str) -> AbstractBaseUser | None:
    """Authenticate, or raise ``LoginLocked``; returns None for wrong credentials.

    While locked, even the right password is refused: otherwise the lock would tell an attacker
    when they guessed right.
    """
    address = client_address(request)
    key = (username or "").strip().lower()[:150]
    if wait := lock_wait(key, address):
        raise LoginLocked(wait)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=key, address=address, at=clock.now())
        LoginFailure.objects.filter(at__lt=clock.now() - _window()).delete()
        return None
    # Only this pair's failures are forgiven: those from other addresses still count against the
    # username, and this address's failures for other usernames against the address.
    LoginFailure.objects.filter(username=key, address=address).delete()
    return user
