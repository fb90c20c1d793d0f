"""Authentication for the API: a bearer token, or the browser session (with CSRF)."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from api.models import ApiToken
from base import clock
from base.errors import TooManyRequests
from base.ratelimit import TokenBuckets

#: ``API_RATE_LIMIT`` requests a second per token, bursts up to ``API_RATE_BURST``; per process.
#: django-ninja's own throttles keep every request's time in the cache: too dear at 300 a second.
_per_token = TokenBuckets()


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.find(token)
        if found is None:
            return None
        _limit(found)
        now = clock.now()
        # Touch at most once a minute: a write per request would serialise every API call on SQLite.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


def _limit(token: ApiToken) -> None:
    """Refuse the request (429) when its token has sent more than its rate: a script in a loop.

    Keyed by the token's hash, so a new token (a new log-in) starts with a full bucket.
    """
    rate = settings.API_RATE_LIMIT
    if not rate:
        return
    wait = _per_token.take(token.key_hash, rate=rate, burst=settings.API_RATE_BURST)
    if wait:
        raise TooManyRequests(
            _("Слишком много запросов с одним токеном: больше %(rate)d в секунду. Повторите позже.") % {"rate": rate},
            retry_after=math.ceil(wait),
        )


#: Every endpoint but the token one uses this list.
AUTH = [BearerToken(), SessionAuth()]
