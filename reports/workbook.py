"""Spreadsheets and downloads: one way to write an XLSX workbook and to answer with a file."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from files.http import content_disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

Table = tuple[Any, Sequence[Any], Iterable[Sequence[Any]]]
"""One sheet of a workbook: its title, its header row and its rows."""


def _cell(value: Any) -> Any:
    """Numbers stay numbers; an instant becomes local time without a zone (a spreadsheet keeps
    none, and people read Moscow time); anything else (lazy translations too) is text."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return str(value)


def workbook(tables: Iterable[Table]) -> bytes:
    """An XLSX file with one sheet per table: a bold header, columns as wide as their text (up to
    60 characters), dates shown as ``dd.mm.yyyy hh:mm``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in tables:
        sheet = book.create_sheet(str(title)[:31])
        sheet.append([str(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd.mm.yyyy hh:mm"
                elif isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for column in sheet.columns:
            width = max(16 if isinstance(c.value, datetime) else len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def attachment(content: bytes, name: str, content_type: str) -> HttpResponse:
    """A built document as a download under ``name`` (RFC 6266, Cyrillic kept); never cached."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
