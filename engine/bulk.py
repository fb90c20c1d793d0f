"""Several assignments at once: complete them with one decision, or hand them all to one person.

The sales administrator's forty identical confirmations: each goes through the ordinary action
(:func:`engine.actions.complete` or :func:`~engine.actions.delegate`) in its own transaction under
its own row lock, so one that cannot be done (someone else's, already closed, refused by its form)
changes nothing of the others and is reported with its status and sentence, exactly as the
single call would have answered. An id the caller may not see fails with 404 like a missing one.
Safe to run beside anyone else's work on the same assignments: whoever comes second gets 409.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from base.errors import Invalid, NotFound, SoglasieError
from engine import access, actions
from engine.models import Assignment
from org import directory

#: The most assignments one request may name: a day's work of a department, not a table scan.
MAX_IDS = 500


@dataclass
class Failure:
    id: int
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


@dataclass
class BulkResult:
    """What happened to each id: done, or failed with the answer the single action gave."""

    done: list[int] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def checked_ids(ids: Iterable[int]) -> list[int]:
    """The ids once each, in the order given; ``Invalid`` for none or more than :data:`MAX_IDS`."""
    unique = list(dict.fromkeys(int(i) for i in ids))
    if not unique:
        raise Invalid({"ids": [_("Выберите хотя бы одно задание.")]})
    if len(unique) > MAX_IDS:
        raise Invalid({"ids": [_("За один раз — не больше %(n)s заданий.") % {"n": MAX_IDS}]})
    return unique


def visible(user: Any, ids: list[int]) -> tuple[list[Assignment], list[Failure]]:
    """The assignments among ``ids`` the user sees (in order), and a 404 for each of the others."""
    found: list[Assignment] = []
    failed: list[Failure] = []
    for pk in ids:
        try:
            found.append(access.get_assignment_for_user(user, pk))
        except NotFound as error:
            failed.append(Failure(pk, error.status, error.message))
    return found, failed


def common_form(assignments: list[Assignment]) -> Assignment | None:
    """One of the assignments, standing for the form they all share (the same step of the same
    process version); ``Invalid`` when they span several forms, since one decision cannot fill two."""
    forms = {(a.instance.process_id, a.key) for a in assignments}
    if len(forms) > 1:
        raise Invalid(
            {"ids": [_("Выбраны задания с разными формами: одним решением можно выполнить только одинаковые.")]}
        )
    return assignments[0] if assignments else None


def _each(user: Any, ids: Iterable[int], act: Callable[[int], Any], *, same_form: bool) -> BulkResult:
    wanted = checked_ids(ids)
    found, failed = visible(user, wanted)
    if same_form:
        common_form(found)
    result = BulkResult(failed=failed)
    for assignment in found:
        try:
            act(assignment.pk)
        except SoglasieError as error:  # the result table shows it; the next assignment goes on
            result.failed.append(Failure(assignment.pk, error.status, error.message, error.errors or None))
        else:
            result.done.append(assignment.pk)
    position = {pk: n for n, pk in enumerate(wanted)}
    result.failed.sort(key=lambda failure: position[failure.id])
    return result


def complete_many(ids: Iterable[int], *, by: Any, data: dict[str, Any], confirm_warnings: bool = True) -> BulkResult:
    """Complete every one of ``ids`` with the same form data; refused whole (``Invalid``) when the
    ones the caller sees are of different forms."""
    return _each(
        by,
        ids,
        lambda pk: actions.complete(pk, by=by, data=dict(data), confirm_warnings=confirm_warnings),
        same_form=True,
    )


def delegate_many(ids: Iterable[int], *, by: Any, to: str, comment: str = "") -> BulkResult:
    """Hand every one of ``ids`` to the colleague ``to`` (a username), with one comment; someone
    unknown or inactive is refused once for all (``Invalid`` on ``to``), not once per assignment."""
    if directory.employee_by_username(to or "") is None:
        raise Invalid({"to": [_("Сотрудник не найден или неактивен")]})
    return _each(by, ids, lambda pk: actions.delegate(pk, by=by, to=to, comment=comment), same_form=False)
