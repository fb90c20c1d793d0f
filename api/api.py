"""The REST API v1 (django-ninja). Endpoints stay thin and call the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from api.auth import AUTH
from api.errors import validation_errors
from api.models import ApiToken
from base.errors import Invalid, SoglasieError, TooManyRequests
from org.access import is_administrator
from org.auth import authenticate_throttled

api = NinjaAPI(
    title="Soglasie API",
    version="1",
    description="Бизнес-процессы отдела продаж: процессы, задания, задачи, контрагенты, показатели.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(SoglasieError)
def _refused(request: HttpRequest, exc: SoglasieError) -> HttpResponse:
    """Every refusal of a service, with its status and sentence (and the fields, for input)."""
    body: dict[str, Any] = {"detail": exc.message}
    if exc.errors or isinstance(exc, Invalid):
        body["errors"] = exc.errors
    if isinstance(exc, Invalid) and exc.warnings:
        body["warnings"] = exc.warnings
    response = api.create_response(request, body, status=exc.status)
    if isinstance(exc, TooManyRequests) and exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    body = {"detail": _("Проверьте введённые данные."), "errors": validation_errors(exc.errors)}
    return api.create_response(request, body, status=400)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _("Требуется вход в систему.")}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class Detail(Schema):
    detail: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    is_administrator: bool


@api.post("/auth/token", auth=None, response={200: TokenOut, 401: Detail, 429: Detail}, tags=["auth"])
def issue_token(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password for a bearer token (locked after repeated failures)."""
    user = authenticate_throttled(request, payload.username, payload.password)
    if user is None:
        return Status(401, {"detail": _("Неверное имя пользователя или пароль.")})
    _token, raw = ApiToken.issue(user)
    return Status(200, {"token": raw})


@api.get("/me", response=MeOut, tags=["auth"])
def me(request: HttpRequest):
    """Who the caller is: handy to check a token."""
    employee = getattr(request.user, "employee", None)
    return {
        "username": request.user.get_username(),
        "full_name": employee.full_name if employee else request.user.get_full_name(),
        "roles": sorted(employee.role_codes()) if employee else [],
        "is_administrator": is_administrator(request.user),
    }


from api import analytics, companies, notifications, processes, tasks  # noqa: E402

for _module in (processes, notifications, tasks, companies, analytics):
    api.add_router("/", _module.router)
