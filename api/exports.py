"""Files built from the records (api.md, "Approval sheet, bulk work, export"): the approval sheet of
an instance as PDF or XLSX, and the «Автоматизация» list as XLSX. Thin over ``reports``, which the
pages serve from too; who may see an instance is ``engine.access`` as everywhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from api.processes import AssignmentFilters
from api.schemas import Id, binary_answer, refusals
from engine import access
from reports import assignments, sheet
from reports.workbook import PDF, XLSX, attachment

router = Router(tags=["exports"])


def _sheet_endpoint(kind: str, content_type: str, description: str) -> None:
    """``GET /instances/{id}/sheet.<kind>``: the approval sheet; 404 for an instance the caller may not see."""

    @router.get(
        f"/instances/{{instance_id}}/sheet.{kind}",
        summary=f"Лист согласования ({kind.upper()})",
        operation_id=f"api_exports_instance_sheet_{kind}",
        response={200: None, **refusals(400, 404)},
        openapi_extra=binary_answer(content_type, description),
    )
    def instance_sheet(request: HttpRequest, instance_id: Id) -> HttpResponse:
        return sheet.download(access.get_instance_for_user(request.user, instance_id), kind)


_sheet_endpoint("pdf", PDF, "Лист согласования: шаги, решения, сроки, версии документов с SHA-256; шрифт встроен.")
_sheet_endpoint("xlsx", XLSX, "Лист согласования: сведения, шаги и документы, по листу на каждое.")


@router.get(
    "/assignments.xlsx",
    summary="Задания (XLSX)",
    response={200: None, **refusals(400)},
    openapi_extra=binary_answer(XLSX, "Задания по тем же условиям, что GET /assignments, все страницы сразу."),
)
def assignments_xlsx(request: HttpRequest, query: Query[AssignmentFilters]) -> HttpResponse:
    """The list of ``GET /assignments`` with the same filters, every row (up to
    ``reports.assignments.EXPORT_LIMIT``; 400 beyond), with the columns of the page."""
    return attachment(assignments.export(request.user, query.spec()), "assignments.xlsx", XLSX)
