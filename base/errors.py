"""The one error tree of Soglasie: a refusal a person reads, and the HTTP status it answers with.

Services raise these; nothing else decides what a refusal means over HTTP. The API turns every
:class:`SoglasieError` into ``{"detail", "errors"}`` with :attr:`~SoglasieError.status`
(``api.api``), the pages into a page with the same sentence and status
(``soglasie.middleware.RefusalPagesMiddleware``); a view catches one only to show it in place,
next to the form that caused it.
"""

from __future__ import annotations

from django.http import HttpResponseBase
from django.utils.translation import gettext as _


class SoglasieError(Exception):
    """A refusal: ``message`` is a sentence for a person, ``errors`` the messages by field."""

    status = 400

    def __init__(self, message: str = "", errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def __str__(self) -> str:
        return self.message

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer to this refusal carries, on a page and in the API alike."""
        return {}

    def add_headers(self, response: HttpResponseBase) -> HttpResponseBase:
        """Put :attr:`headers` on the answer that shows this refusal; returns it."""
        for name, value in self.headers.items():
            response[name] = value
        return response


class Invalid(SoglasieError):
    """Input refused field by field; nothing was changed. ``warnings`` may be confirmed and sent again."""

    status = 400

    def __init__(
        self,
        errors: dict[str, list[str]],
        warnings: dict[str, list[str]] | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or _("Проверьте введённые данные."), errors)
        self.warnings = warnings or {}


class Forbidden(SoglasieError):
    """The caller sees the object but may not do this with it."""

    status = 403


class NotFound(SoglasieError):
    """No such object, or not the caller's to see: the two answer alike, so ids reveal nothing."""

    status = 404


class Conflict(SoglasieError):
    """The object is no longer in a state that allows this (done, stopped, taken by someone else)."""

    status = 409


class TooLarge(SoglasieError):
    """An upload over the size limit (413); the sentence names the limit, and nothing was stored."""

    status = 413


class TooManyRequests(SoglasieError):
    """Too many attempts; ``retry_after`` says in how many whole seconds (at least one) to try again.

    It is required: a client told only "too many" retries at once and makes it worse; the answer
    carries it as ``Retry-After``.
    """

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(SoglasieError):
    """A service Soglasie relies on is not configured or not answering (503); the sentence says
    which, and ``retry_after`` (seconds, optional) when to try again."""

    status = 503

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after)))} if self.retry_after else {}
