"""Log-in required everywhere, except the API, which answers 401 itself instead of redirecting."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None  # django-ninja authenticates every endpoint and answers 401 in JSON
        return super().process_view(request, view_func, view_args, view_kwargs)
