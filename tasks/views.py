"""Pages of the Tasks section (задачи): my tasks, one task with its complete button and comments, a
new task.

Views stay thin: who may see a task is ``tasks.access`` (the API uses the same check), every change
is a ``tasks.services`` call, and a refusal is shown as the service words it. Plain HTML forms: the
pages work without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from base import clock, listing
from base.errors import SoglasieError
from engine import access as engine_access
from org.access import employee_of
from tasks import access
from tasks.forms import TaskForm
from tasks.models import Task, TaskStatus
from tasks.queries import TaskFilter
from tasks.services import add_comment, complete_task, create_task

#: The list's views of the tasks: mine to do, the ones I gave, everything I may see.
SHOWS = {
    "mine": gettext_lazy("Мне"),
    "given": gettext_lazy("Поручил я"),
    "all": gettext_lazy("Все, что я вижу"),
}
STATUSES = {
    "open": gettext_lazy("Открытые"),
    "done": gettext_lazy("Выполненные"),
    "any": gettext_lazy("Все"),
}


@dataclass
class Filters:
    show: str = "mine"
    status: str = "open"

    @classmethod
    def from_query(cls, request: HttpRequest) -> Filters:
        show = request.GET.get("show", "mine")
        status = request.GET.get("status", "open")
        return cls(show=show if show in SHOWS else "mine", status=status if status in STATUSES else "open")

    def spec(self) -> TaskFilter:
        """The filter the tabs stand for (``tasks.queries``, which the API applies too)."""
        return TaskFilter(
            responsible="me" if self.show == "mine" else "",
            created_by="me" if self.show == "given" else "",
            status="" if self.status == "any" else self.status,
        )

    def query(self, **changes: str) -> str:
        values = {"show": self.show, "status": self.status, **changes}
        return urlencode(values)


@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """My tasks: open ones first, the nearest deadline first; overdue ones marked."""
    filters = Filters.from_query(request)
    page = listing.page(filters.spec().apply(request.user), request.GET.get("page"))
    now = clock.now()
    rows = [(task, _overdue(task, now)) for task in page.items]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "title": _("Задачи"),
        "query": filters.query(),
        "columns": [_("Задача"), _("Ответственный"), _("Автор"), _("Срок"), _("Состояние")],
        "show_tabs": [
            {"value": v, "label": label, "query": filters.query(show=v), "active": v == filters.show}
            for v, label in SHOWS.items()
        ],
        "status_tabs": [
            {"value": v, "label": label, "query": filters.query(status=v), "active": v == filters.status}
            for v, label in STATUSES.items()
        ],
    }
    return render(request, "tasks/list.html", context)


@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _get_task(request, pk))


@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    """A new task for a colleague (or oneself); ``?instance=`` links it to a process instance."""
    author = employee_of(request.user)
    if author is None:
        return render(
            request, "refused.html", {"message": _("Создавать задачи могут только сотрудники.")}, status=403
        )
    if request.method == "POST":
        form = TaskForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                task = create_task(created_by=author, **form.cleaned_data)
            except SoglasieError as error:
                for field, problems in error.errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, _("Задача «%(title)s» создана.") % {"title": task.title})
                return redirect("task", pk=task.pk)
        return render(request, "tasks/new.html", {"form": form}, status=400)
    initial: dict[str, Any] = {"responsible": author}
    if (request.GET.get("instance") or "").isdigit():
        initial["instance"] = int(request.GET["instance"])
    return render(request, "tasks/new.html", {"form": TaskForm(initial=initial, user=request.user)})


@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The complete button. Pressed twice (or on a page left open), the task is found done: 409."""
    task = _get_task(request, pk)
    try:
        complete_task(task.pk, by=request.user)
    except SoglasieError as error:
        task.refresh_from_db()
        return _task_page(request, task, notice=error.message, status=error.status)
    messages.success(request, _("Задача «%(title)s» выполнена.") % {"title": task.title})
    return redirect("task", pk=task.pk)


@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    author = employee_of(request.user)
    if author is None:
        return _task_page(request, task, notice=_("Комментировать могут только сотрудники."), status=403)
    text = request.POST.get("text", "")
    try:
        add_comment(task, author=author, text=text)
    except SoglasieError as error:
        return _task_page(request, task, comment_errors=error.errors.get("text", []), comment_text=text, status=400)
    return redirect(f"{task.get_absolute_url()}#comments")


# ------------------------------------------------------------------------------------------ helpers


def _get_task(request: HttpRequest, pk: int) -> Task:
    return access.get_task_for_user(request.user, pk)


def _overdue(task: Task, now: Any) -> bool:
    return bool(task.status == TaskStatus.OPEN and task.deadline and task.deadline <= now)


def _task_page(
    request: HttpRequest,
    task: Task,
    *,
    notice: str = "",
    comment_errors: list[str] | None = None,
    comment_text: str = "",
    status: int = 200,
) -> HttpResponse:
    instance_visible = bool(
        task.instance_id and engine_access.visible_instances(request.user).filter(pk=task.instance_id).exists()
    )
    context = {
        "task": task,
        "overdue": _overdue(task, clock.now()),
        "may_complete": access.may_complete(request.user, task),
        "instance_visible": instance_visible,
        "comments": task.comments.select_related("author"),
        "notice": notice,
        "comment_errors": comment_errors or [],
        "comment_text": comment_text,
    }
    return render(request, "tasks/detail.html", context, status=status)
