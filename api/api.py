"""The REST API v1 (django-ninja). Endpoints stay thin and call the same services as the pages."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from api.auth import AUTH
from api.body import JsonParser, too_big
from api.errors import validation_errors
from api.models import DEFAULT_CLIENT, ApiToken
from api.schemas import Error, FieldMessages, refusals
from base.errors import Invalid, SoglasieError
from org.access import is_administrator
from org.auth import authenticate_throttled

#: The interactive docs page runs Swagger UI from django-ninja's own static files ("ninja" is an
#: installed app for them: no CDN, so it works offline). Its scripts are files of ours to the policy;
#: Swagger UI sets inline styles and draws data: images, which this page's policy allows and no other.
DOCS_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

api = NinjaAPI(
    title="Soglasie API",
    version="1",
    description="Бизнес-процессы отдела продаж: процессы, задания, задачи, контрагенты, показатели.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=csp_override(DOCS_CSP),
    openapi_url="/openapi.json",
    parser=JsonParser(),
)


def _error(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: FieldMessages | None = None,
    warnings: FieldMessages | None = None,
) -> HttpResponse:
    """An error answer, built by the :class:`~api.schemas.Error` schema every endpoint declares."""
    body = Error(detail=detail, errors=errors, warnings=warnings).model_dump()
    return api.create_response(request, body, status=status)


@api.exception_handler(SoglasieError)
def _refused(request: HttpRequest, exc: SoglasieError) -> HttpResponse:
    """Every refusal of a service, with its status and sentence (and the fields, for input)."""
    invalid = isinstance(exc, Invalid)
    response = _error(
        request,
        exc.status,
        exc.message,
        errors=exc.errors if exc.errors or invalid else None,
        warnings=exc.warnings if invalid and exc.warnings else None,
    )
    return exc.add_headers(response)  # Retry-After on a 429


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Input the declared types refuse (a bound, a choice, a missing field): 400 with the fields."""
    return _error(request, 400, _("Проверьте введённые данные."), errors=validation_errors(exc.errors))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _refused(request, too_big())


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """An upload whose multipart body Django cannot read (no boundary, cut short): 400, not 500."""
    return _error(request, 400, _("Загрузка не прочитана: тело запроса multipart/form-data повреждено."))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Требуется вход в систему."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, SoglasieError):
        # ninja wraps whatever the body parser raises ("Cannot parse request body"): our parser
        # (api.body) raises its refusal with the field and the sentence, so that is the answer.
        return _refused(request, exc.__cause__)
    return _error(request, exc.status_code, exc.message)


#: A client name: letters, digits, spaces and a few signs, as people name their scripts.
_CLIENT_NAME = re.compile(r"[\w][\w .:@/+-]*")


class TokenIn(Schema):
    username: str
    password: str
    client: str = Field(
        DEFAULT_CLIENT,
        max_length=100,
        description="Имя программы, которой нужен токен: новый токен для неё заменяет прежний.",
    )


class TokenOut(Schema):
    token: str
    client: str
    expires_at: datetime


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    is_administrator: bool


@api.post("/auth/token", auth=None, response={200: TokenOut, 400: Error, 401: Error, 429: Error}, tags=["auth"])
def issue_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Exchange a username and password for a bearer token for one client program (``client``,
    default ``api``), valid ``API_TOKEN_DAYS`` days: asking again for the same client replaces its
    token. 401 for wrong credentials, 429 (with ``Retry-After``) while the log-in is locked after
    repeated failures."""
    client = payload.client.strip()
    if not _CLIENT_NAME.fullmatch(client):
        message = _("Имя программы: буквы, цифры, пробелы и знаки _ . : @ / + - (не больше 100 знаков).")
        raise Invalid({"client": [message]})
    user = authenticate_throttled(request, payload.username, payload.password)
    if user is None:
        return Status(401, {"detail": _("Неверное имя пользователя или пароль.")})
    token, raw = ApiToken.issue(user, client)
    return Status(200, {"token": raw, "client": token.client, "expires_at": token.expires_at})


@api.get("/me", response={200: MeOut, **refusals()}, tags=["auth"])
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the caller is: handy to check a token."""
    employee = getattr(request.user, "employee", None)
    return {
        "username": request.user.get_username(),
        "full_name": employee.full_name if employee else request.user.get_full_name(),
        "roles": sorted(employee.role_codes()) if employee else [],
        "is_administrator": is_administrator(request.user),
    }


from api import absences, analytics, companies, discussion, exports, files, notifications, processes, tasks  # noqa: E402

for _module in (processes, exports, notifications, tasks, companies, analytics, files, absences, discussion):
    api.add_router("/", _module.router)
