"""The pages of stored files: the upload (a plain form that works without JavaScript, and the
address ``static/js/uploads.js`` posts to with a progress bar) and the download.

Who may see a file is ``files.services.get_file_for_user`` (the API uses the same check); a refusal
of an upload is shown in place, next to the file input (or as JSON to the script), with its status.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from base.errors import Forbidden, SoglasieError
from files import services
from files.http import describe, download_response, uploaded_file
from files.models import StoredFile
from org.access import employee_of


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """``GET``: the upload form. ``POST`` (field ``file``, optional ``name``): the stored file's id and
    name — JSON (201) when the script asks for it (``Accept: application/json``), else the page."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "GET":
        return _page(request)
    try:
        me = employee_of(request.user)
        if me is None:
            raise Forbidden(_("Загружать файлы могут только сотрудники."))
        upload = uploaded_file(request)
        stored = services.store(upload, by=me, name=request.POST.get("name") or None)
    except SoglasieError as error:
        if wants_json:
            return JsonResponse({"detail": error.message, "errors": error.errors}, status=error.status)
        return _page(request, error=error.errors.get("file", [error.message])[0], status=error.status)
    if wants_json:
        return JsonResponse(describe(stored, download=stored.get_absolute_url()), status=201)
    return _page(request, stored=stored, status=201)


def _page(request: HttpRequest, *, stored: StoredFile | None = None, error: str = "", status: int = 200) -> Any:
    context = {"title": _("Загрузка файла"), "stored": stored, "error": error}
    return render(request, "files/upload.html", context, status=status)


@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file as an attachment; 404 for whoever may not see it."""
    return download_response(services.get_file_for_user(request.user, pk))
