"""Project middleware: log-in required everywhere (the API answers 401 itself), Russian first, the
pages' answer to a refusal, and sessions that end when left idle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path_info.startswith("/api/"):
            return None  # django-ninja authenticates every endpoint and answers 401 in JSON
        return super().process_view(request, view_func, view_args, view_kwargs)


class LanguageMiddleware:
    """Russian unless the user chose otherwise with the language switch (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a sales manager whose
    browser happens to be set to English would get an English interface without asking for it;
    Soglasie is Russian first.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class RefusalPagesMiddleware:
    """A refusal a page did not show in place (``base.errors``) becomes a page with its sentence and
    status: 404 for what does not exist or is not the user's to see, 403, 409, 429 with the reason.

    The pages' half of "mapped to HTTP once"; the API's half is its exception handler.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        """A query string or a form post with a character no database stores (a NUL: Django
        decodes form posts, so no lone surrogate survives) is refused here, once for every page,
        before a view reads it into a query (PostgreSQL refuses NUL in text)."""
        if request.path_info.startswith("/api/"):
            return None  # the API checks its own input (api.body)
        from base.errors import Invalid
        from base.texts import unstorable

        for values in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for name, items in values.lists():
                problem = next((p for text in (name, *items) if (p := unstorable(text))), None)
                if problem:
                    field = name if not unstorable(name) else "?"
                    message = _("Поле «%(field)s»: %(problem)s") % {"field": field, "problem": problem}
                    return self.process_exception(request, Invalid({field: [problem]}, message=message))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        from django.shortcuts import render

        from base.errors import SoglasieError

        if not isinstance(exception, SoglasieError) or request.path_info.startswith("/api/"):
            return None
        response = render(
            request, "refused.html", {"message": exception.message, "status": exception.status}, status=exception.status
        )
        return exception.add_headers(response)  # Retry-After on a 429


class IdleSessionMiddleware:
    """A signed-in session ends after ``SESSION_IDLE_HOURS`` without a request: that is
    ``SESSION_COOKIE_AGE``, and each request of a signed-in person moves the end forward
    (``org.auth.keep_session_alive``, which saves the session at most once a minute)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        from org.auth import keep_session_alive

        if request.user.is_authenticated:
            keep_session_alive(request)
        return self.get_response(request)
