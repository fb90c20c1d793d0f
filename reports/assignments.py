"""The «Автоматизация» list as a spreadsheet: the rows a filter finds, with the page's columns.

The page (``work.assignment_list``) and ``GET /api/v1/assignments.xlsx`` each build their
:class:`engine.queries.AssignmentFilter` from their own parameters and hand it here, so the file
holds exactly what the list shows, in the same order, all of its pages at once.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from base import clock, words
from base.errors import Invalid
from engine.queries import AssignmentFilter
from engine.titles import instance_title
from reports.workbook import workbook

#: The columns of the list, on the page and in the file.
COLUMNS = [
    gettext_lazy("Задание"),
    gettext_lazy("Процесс"),
    gettext_lazy("Ответственный"),
    gettext_lazy("Срок"),
    gettext_lazy("Состояние"),
]

#: The most rows one file holds; a wider filter is refused rather than cut short.
EXPORT_LIMIT = 10_000


def export(user: Any, spec: AssignmentFilter) -> bytes:
    """The XLSX of what ``spec`` shows ``user``; ``Invalid`` when it is over :data:`EXPORT_LIMIT` rows."""
    now = clock.now()
    rows = spec.apply(user, now).select_related("instance__process__definition", "assignee")
    count = rows.count()
    if count > EXPORT_LIMIT:
        message = _("В выгрузке не больше %(limit)s строк, а по этим условиям их %(count)s: сузьте условия.") % {
            "limit": EXPORT_LIMIT,
            "count": count,
        }
        raise Invalid({"__all__": [message]}, message=message)

    def line(assignment: Any) -> list[Any]:
        instance = assignment.instance
        process = _(instance.process.definition.name)
        state = str(assignment.get_status_display())
        if assignment.is_overdue(now):
            state += ", " + _("просрочено")
        return [
            words.quarters_in(assignment.title),
            instance_title(instance) if instance.title else process,
            assignment.assignee.full_name,
            assignment.due_at,
            state,
        ]

    return workbook([(_("Задания"), COLUMNS, (line(a) for a in rows.iterator(chunk_size=500)))])
