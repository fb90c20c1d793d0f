"""Authentication for the API: a bearer token, or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from api.models import ApiToken
from base import clock


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.find(token)
        if found is None:
            return None
        now = clock.now()
        # Touch at most once a minute: a write per request would serialise every API call on SQLite.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


#: Every endpoint but the token one uses this list.
AUTH = [BearerToken(), SessionAuth()]
