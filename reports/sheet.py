"""The approval sheet (лист согласования) of an instance: who decided what, when, on which documents.

What an auditor asks for ("who approved these conditions, when, on which version") on one page:
the process and its version, the starter, the company, every step in order with its assignee,
who completed it (and instead of whom), the decision in words, the comment, the times in the
site's time zone and whether it was late, and every version of every document with its SHA-256.
:func:`build` reads it once; :func:`pdf` and :func:`xlsx` lay the same rows out, so the two files
never disagree. Who may have it is the caller's check (``engine.access.get_instance_for_user``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponse
from django.utils.translation import gettext as _

from base import clock, words
from crm.services import company_of
from engine.definitions import model_for
from engine.forms import DECISION_FIELDS
from engine.models import Assignment, AssignmentStatus, Instance, Outcome
from files import hooks as file_hooks
from files import services as file_services
from notify.handlers import local_time
from reports.workbook import PDF, XLSX, attachment, workbook


@dataclass
class StepRow:
    """One assignment of the instance as the sheet prints it: every value already text."""

    number: int
    title: str
    assignee: str
    completed_by: str
    outcome: str
    comment: str
    created: str
    completed: str
    due: str
    late: str

    def cells(self) -> list[str]:
        return [
            str(self.number),
            self.title,
            self.assignee,
            self.completed_by,
            self.outcome,
            self.comment,
            self.created,
            self.completed,
            self.due,
            self.late,
        ]


@dataclass
class DocumentRow:
    """One version of one document of the instance."""

    document: str
    version: str
    name: str
    sha256: str
    uploaded: str

    def cells(self) -> list[str]:
        return [self.document, self.version, self.name, self.sha256, self.uploaded]


@dataclass
class Sheet:
    """Everything the sheet shows, in the order it shows it."""

    instance_id: int
    heading: str
    facts: list[tuple[str, str]]
    steps: list[StepRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    generated: str = ""

    @property
    def filename(self) -> str:
        return f"sheet-{self.instance_id}"


def step_columns() -> list[str]:
    return [
        "№",
        _("Шаг"),
        _("Исполнитель"),
        _("Выполнил"),
        _("Итог"),
        _("Комментарий"),
        _("Создано"),
        _("Выполнено"),
        _("Срок"),
        _("Просрочено"),
    ]


def document_columns() -> list[str]:
    return [_("Документ"), _("Версия"), _("Файл"), "SHA-256", _("Загружен")]


# ------------------------------------------------------------------------------------------ reading


def _name(person: Any) -> str:
    return person.full_name if person is not None else ""


def _instead(assignment: Assignment) -> str:
    """«вместо <name>» when the assignment went to a substitute. ``Assignment.instead_of`` comes
    with absences; until then, and for an ordinary assignment, there is nobody to name."""
    absent = getattr(assignment, "instead_of", None)
    if absent is None or absent == "":
        return ""
    return _("вместо %(name)s") % {"name": getattr(absent, "full_name", None) or str(absent)}


def _instead_is_a_person() -> bool:
    try:
        return Assignment._meta.get_field("instead_of").is_relation
    except FieldDoesNotExist:
        return False


def _with_instead(name: str, instead: str) -> str:
    return f"{name} ({instead})" if name and instead else name


def outcome_in_words(assignment: Assignment, form: Any) -> str:
    """The decision of a completed step by its option's label (Согласовать, Не согласовать…);
    a step without a decision field, and one not completed, by its state."""
    if assignment.status == AssignmentStatus.DONE:
        for name in DECISION_FIELDS:
            value = (assignment.data or {}).get(name)
            if value in (None, ""):
                continue
            declared = form.field(name) if form is not None else None
            label = next((o.label for o in declared.options if o.id == str(value)), None) if declared else None
            return _(label) if label else str(value)
    return str(assignment.get_status_display())


def _step(number: int, assignment: Assignment, model: Any, now: Any) -> StepRow:
    task = model.user_tasks.get(assignment.key)
    instead = _instead(assignment)
    completer = assignment.completed_by
    by_assignee = completer is not None and completer.pk == assignment.assignee_id
    comment = (assignment.data or {}).get("comment")
    return StepRow(
        number=number,
        title=words.quarters_in(assignment.title),
        assignee=_with_instead(_name(assignment.assignee), instead),
        completed_by=_with_instead(_name(completer), instead if by_assignee else ""),
        outcome=outcome_in_words(assignment, task.form if task else None),
        comment=comment if isinstance(comment, str) else "",
        created=local_time(assignment.created_at),
        completed=local_time(assignment.completed_at) if assignment.completed_at else "",
        due=local_time(assignment.due_at) if assignment.due_at else "",
        late=_("да") if assignment.is_overdue(now) else _("нет"),
    )


def _documents(instance: Instance) -> list[DocumentRow]:
    rows = []
    for document in file_services.versions(file_hooks.owner("instance", instance.pk)):
        for stored in document.versions.all():
            rows.append(
                DocumentRow(
                    document=document.title or document.slot,
                    version=str(stored.version or ""),
                    name=stored.name,
                    sha256=stored.sha256,
                    uploaded=f"{_name(stored.uploaded_by)}, {local_time(stored.uploaded_at)}",
                )
            )
    return rows


def build(instance: Instance) -> Sheet:
    """The sheet of an instance as it stands now (a running one shows its open steps too)."""
    now = clock.now()
    definition = instance.process.definition
    model = model_for(instance.process)
    company = company_of(instance)
    state = str(instance.get_status_display())
    if instance.outcome:
        state += f" — {Outcome.label_of(instance.outcome)}"
    facts = [
        (_("Процесс"), f"{_(definition.name)}, " + _("версия %(v)s") % {"v": instance.process.version}),
        (_("Экземпляр"), f"№ {instance.pk}" + (f" — {words.quarters_in(instance.title)}" if instance.title else "")),
        (_("Состояние"), state),
        (_("Запустил"), _name(instance.started_by) or _("по расписанию")),
        (_("Запущен"), local_time(instance.started_at)),
    ]
    if instance.finished_at:
        facts.append((_("Завершён"), local_time(instance.finished_at)))
    if company is not None:
        facts.append((_("Контрагент"), company.name))
    steps = instance.assignments.select_related("assignee", "completed_by").order_by("created_at", "pk")
    if _instead_is_a_person():
        steps = steps.select_related("instead_of")
    return Sheet(
        instance_id=instance.pk,
        heading=_("Лист согласования"),
        facts=facts,
        steps=[_step(n, a, model, now) for n, a in enumerate(steps, start=1)],
        documents=_documents(instance),
        generated=_("Сформирован %(when)s") % {"when": local_time(now)},
    )


# ------------------------------------------------------------------------------------------ XLSX


def xlsx(sheet: Sheet) -> bytes:
    """The sheet as a workbook: the facts, the steps and the documents, one sheet each."""
    documents = [row.cells() for row in sheet.documents] or [[_("Документов нет"), "", "", "", ""]]
    return workbook(
        [
            (sheet.heading, [_("Что"), _("Значение")], [*sheet.facts, ("", sheet.generated)]),
            (_("Шаги"), step_columns(), [row.cells() for row in sheet.steps]),
            (_("Документы"), document_columns(), documents),
        ]
    )


# ------------------------------------------------------------------------------------------ PDF

#: PT Sans (ParaType, OFL-1.1), made for Russian, from the ``fontpkg-pt-sans`` wheel: embedded in
#: every sheet, so any viewer shows the Cyrillic without fonts of its own and nothing is fetched.
FONT = "PTSans"


@cache
def _font_files() -> dict[str, Path]:
    import fontpkg_pt_sans

    files = Path(fontpkg_pt_sans.ROOT) / "files"
    return {"": files / "PT_Sans-Web-Regular.ttf", "B": files / "PT_Sans-Web-Bold.ttf"}


#: Relative widths of the step columns on a landscape A4 page (277 mm between the margins).
STEP_WIDTHS = (6, 35, 44, 44, 27, 36, 22, 22, 22, 19)
DOCUMENT_WIDTHS = (50, 14, 60, 113, 40)


def pdf(sheet: Sheet) -> bytes:
    """The sheet as a PDF: landscape A4, the font embedded, tables that break
    across pages with their heading repeated; a short process fits one page."""
    from fpdf import FPDF

    doc = FPDF(orientation="landscape", format="A4")
    doc.set_margins(10, 10, 10)
    doc.set_auto_page_break(auto=True, margin=10)
    for style, path in _font_files().items():
        doc.add_font(FONT, style=style, fname=str(path))
    doc.set_title(f"{sheet.heading} № {sheet.instance_id}")
    doc.set_creator("Soglasie")
    doc.add_page()
    doc.set_font(FONT, "B", 15)
    doc.cell(0, 8, f"{sheet.heading} № {sheet.instance_id}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FONT, "", 10)
    for label, value in sheet.facts:
        doc.set_font(FONT, "B", 10)
        doc.cell(32, 5.5, f"{label}:")
        doc.set_font(FONT, "", 10)
        doc.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    _section(doc, _("Шаги"))
    doc.set_font(FONT, "", 7.5)
    _table(doc, STEP_WIDTHS, step_columns(), [step.cells() for step in sheet.steps])
    doc.ln(3)
    _section(doc, _("Документы"))
    doc.set_font(FONT, "", 8)
    if sheet.documents:
        _table(doc, DOCUMENT_WIDTHS, document_columns(), [row.cells() for row in sheet.documents])
    else:
        doc.cell(0, 5, _("Документов нет"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font(FONT, "", 8)
    doc.cell(0, 4, sheet.generated, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def _table(doc: Any, widths: tuple[int, ...], header: list[str], rows: list[list[str]]) -> None:
    """A bordered table in the current font, its heading shaded and repeated on every page."""
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="BOLD", fill_color=(230, 233, 240))
    with doc.table(col_widths=widths, headings_style=heading, line_height=4.2, padding=1, text_align="LEFT") as table:
        for cells in [header, *rows]:
            table.row(cells)


def _section(doc: Any, title: str) -> None:
    doc.set_font(FONT, "B", 11)
    doc.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")


def download(instance: Instance, kind: str) -> HttpResponse:
    """The sheet of an instance the caller may see as a file: ``kind`` is ``pdf`` or ``xlsx``."""
    built = build(instance)
    write, content_type = {"pdf": (pdf, PDF), "xlsx": (xlsx, XLSX)}[kind]
    return attachment(write(built), f"{built.filename}.{kind}", content_type)
