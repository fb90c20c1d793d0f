"""Who may see and do what with processes: the one permission check every page and endpoint uses.

An instance is seen by those who took part in it (its starter, anyone who held or completed one of
its assignments, anyone a substitute held one for while they were away, anyone mentioned in its
discussion), their managers up the org chart, and administrators. The absent employee only sees what
was moved: completing it is for its assignee, until the substitute hands it back. An assignment is
completed by its assignee, their deputy, or an administrator.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from base.errors import NotFound
from base.listing import username_of
from discussion import hooks as threads
from discussion.services import joined
from engine.models import Assignment, Instance, ProcessDefinition
from org import directory
from org.access import employee_of, is_administrator, visible_people
from org.models import Employee

#: The discussion's thread kind (and files' owner kind) of an instance: ``instance:12``.
THREAD = "instance"


def visible_instances(user: Any) -> QuerySet[Instance]:
    qs = Instance.objects.all()
    people = visible_people(user)
    if people is None:
        return qs
    return qs.filter(
        Q(started_by__in=people)
        | Q(
            pk__in=Assignment.objects.filter(
                Q(assignee__in=people) | Q(completed_by__in=people) | Q(instead_of__in=people)
            ).values("instance")
        )
        | Q(pk__in=joined(THREAD, people))
    )


def sees_instance(user: Any, field: str = "instance") -> Q:
    """The condition "``user`` may see the instance in ``field``" on the rows of another model (the
    feed's history entries), the same rule as :func:`visible_instances`, but as probes of the row's
    own instance: a list that reads the newest rows first stops after a page of them, where
    ``instance__in=visible_instances(user)`` first gathers every instance the user ever saw."""
    people = visible_people(user)
    if people is None:
        return Q()
    took_part = Assignment.objects.filter(instance=OuterRef(field)).filter(
        Q(assignee__in=people) | Q(completed_by__in=people) | Q(instead_of__in=people)
    )
    return Q(**{f"{field}__started_by__in": people}) | Exists(took_part) | Q(**{f"{field}__in": joined(THREAD, people)})


def visible_assignments(user: Any, *, held_by: str = "") -> QuerySet[Assignment]:
    """The assignments ``user`` may see.

    ``held_by`` (a username, or ``me``) says whose assignments the caller is about to list: when that
    person is in the user's circle, every assignment they hold is visible, so no condition is needed
    and the list reads that person's rows by the ``(assignee, status, due_at)`` index alone, instead
    of testing the four ways of seeing an assignment against everyone's (a million rows, where one
    person holds a hundred thousand). The caller still filters by that assignee. The caller's own
    (``held_by`` names them) are theirs to see without reading the org chart at all.
    """
    qs = Assignment.objects.all()
    if held_by and username_of(held_by, user) == user.get_username() and employee_of(user) is not None:
        return qs
    people = visible_people(user)
    if people is None or (held_by and _holder(user, held_by) in people):
        return qs
    # The starter as a probe of the row's own instance (by its primary key): as a join SQLite read
    # every instance and all their assignments (0.5 s at 1M assignments) instead of the open ones by
    # their index; as ``instance__in=<the starter's instances>`` PostgreSQL hashed those (15,000 of
    # one person's, 7 ms) anew in every query and every «Ответственный» probe.
    started = Instance.objects.filter(pk=OuterRef("instance_id"), started_by__in=people)
    return qs.filter(
        Q(assignee__in=people) | Q(completed_by__in=people) | Q(instead_of__in=people) | Q(Exists(started))
    )


def _holder(user: Any, username: str) -> int | None:
    """The employee id of ``username`` (``me``: the user's own, no query); None for nobody."""
    username = username_of(username, user)
    if username == user.get_username():
        me = employee_of(user)
        return me.pk if me is not None else None
    return Employee.objects.filter(user__username=username).values_list("pk", flat=True).first()


def get_instance_for_user(user: Any, pk: int) -> Instance:
    """The instance, or ``NotFound`` when it does not exist or is not the user's to see."""
    instance = visible_instances(user).select_related("process__definition", "started_by__user").filter(pk=pk).first()
    if instance is None:
        raise NotFound(_("Процесс не найден."))
    return instance


def may_see_instance(user: Any, pk: int | str) -> bool:
    """Whether the user sees the instance ``pk`` (the owner check of its stored documents)."""
    return str(pk).isdigit() and visible_instances(user).filter(pk=int(pk)).exists()


def get_assignment_for_user(user: Any, pk: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related(
            "instance__process__definition", "assignee__user", "completed_by__user", "instead_of__user"
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None or not (
        _took_part(user, assignment)
        or visible_assignments(user).filter(pk=pk).exists()
        or visible_instances(user).filter(pk=assignment.instance_id).exists()
    ):
        raise NotFound(_("Задание не найдено."))
    return assignment


def _took_part(user: Any, assignment: Assignment) -> bool:
    """The usual caller holds, held or started it: visible without the org chart's queries (a subset
    of :func:`visible_assignments`, whose circle of people always holds the caller)."""
    me = employee_of(user)
    return me is not None and me.pk in {
        assignment.assignee_id,
        assignment.completed_by_id,
        assignment.instead_of_id,
        assignment.instance.started_by_id,
    }


def may_complete(user: Any, assignment: Assignment) -> bool:
    if is_administrator(user):
        return True
    me = employee_of(user)
    return me is not None and directory.may_act_for(me, assignment.assignee)


def may_stop(user: Any, instance: Instance) -> bool:
    me = employee_of(user)
    return is_administrator(user) or (me is not None and instance.started_by_id == me.pk)


def may_start(user: Any, definition: ProcessDefinition) -> bool:
    """Manual start: the roles named in the file's ``start_roles`` (``*`` for any employee), or an
    administrator. A process without ``manual_start`` starts only on its schedule."""
    version = definition.current
    if version is None:
        return False
    props = version.properties or {}
    if str(props.get("manual_start", "true")).lower() != "true":
        return False
    if is_administrator(user):
        return True
    me = employee_of(user)
    if me is None or not me.is_active:
        return False
    roles = [r.strip() for r in str(props.get("start_roles", "*")).split(",") if r.strip()]
    return "*" in roles or bool(me.role_codes() & set(roles))


# ------------------------------------------------------------------------------------------ the thread


def may_see_thread(user: Any, owner_id: str) -> bool:
    """An instance's discussion is read (and written) by whoever may see the instance."""
    pk = threads.pk_of(owner_id)
    return pk is not None and visible_instances(user).filter(pk=pk).exists()


def thread_participants(owner_id: str) -> list[Employee]:
    """Who hears of a new comment on an instance: its starter and everyone who held or completed one
    of its assignments so far."""
    pk = threads.pk_of(owner_id)
    if pk is None:
        return []
    took_part = Assignment.objects.filter(instance=pk)
    return list(
        Employee.objects.select_related("user").filter(
            Q(pk__in=Instance.objects.filter(pk=pk).values("started_by"))
            | Q(pk__in=took_part.values("assignee"))
            | Q(pk__in=took_part.filter(completed_by__isnull=False).values("completed_by"))
        )
    )


def thread_title(owner_id: str) -> str:
    pk = threads.pk_of(owner_id)
    instance = Instance.objects.filter(pk=pk).only("title", "process_key").first() if pk else None
    return str(instance) if instance is not None else owner_id


def thread_url(owner_id: str) -> str:
    return f"/instances/{owner_id}/"


def register_thread() -> None:
    """The instance's thread kind (called when the engine's app is ready)."""
    threads.register_thread(
        THREAD, may_see=may_see_thread, participants=thread_participants, url=thread_url, title=thread_title
    )
