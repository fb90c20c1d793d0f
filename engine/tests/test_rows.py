# ruff: noqa: S608 - the statements name model tables and columns; values are parameters
"""engine.rows writes and reads rows exactly as the ORM would, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import actions, rows
from engine.models import Assignment, AssignmentStatus, Instance, ProcessVersion
from notify.models import Notification, OutboxEmail

pytestmark = pytest.mark.django_db

AWARE = datetime(2027, 3, 15, 6, 30, 15, 123456, tzinfo=UTC)


def orm_values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def read(model, pk: int):
    """The row as engine.rows reads it (the way engine.step reads instances and assignments)."""
    found = rows.fetch(f'SELECT {rows.columns(model, "t")} FROM "{model._meta.db_table}" t WHERE t."id" = %s', [pk])
    return rows.build(model, found[0])


def test_an_inserted_row_reads_back_through_the_orm_unchanged(processes, demo):
    instance = actions.start("t_parallel", by=demo["manager1"].user)
    data = {"comment": "Скидка «Весна», 5 %", "nested": {"list": [1, 2.5, None, True]}, "пусто": ""}
    assignment = Assignment(
        instance=instance,
        task_id="t-1",
        key="check",
        title="Проверить КАРТОЧКУ",
        assignee=demo["findir"],
        created_at=AWARE,
        due_at=None,
        data=data,
    )
    assignment.derive_fields()
    rows.insert([assignment])
    assert assignment.pk is not None and not assignment._state.adding
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.data == data
    assert stored.created_at == AWARE and stored.due_at is None
    assert stored.title_search == "проверить карточку" and stored.process_key == "t_parallel"
    assert stored.assignee == demo["findir"] and stored.status == AssignmentStatus.OPEN


def test_build_gives_what_the_orm_gives_for_every_column(processes, demo):
    instance = actions.start("t_parallel", by=demo["manager1"].user)
    assignment = Assignment.objects.get(instance=instance, key="left")
    actions.complete(assignment.pk, by=demo["sales_admin"].user, data={})
    built = read(Assignment, assignment.pk)
    assert orm_values(built) == orm_values(Assignment.objects.get(pk=assignment.pk))
    # Including the columns the database computes, and the JSON, dates and booleans of other models.
    assert built.duration_minutes is not None
    assert orm_values(read(Instance, instance.pk)) == orm_values(Instance.objects.get(pk=instance.pk))


def test_several_rows_get_their_own_pks_and_a_related_row_takes_the_saved_pk(demo):
    people = ("findir", "director", "manager1")
    notices = [Notification(recipient=demo[name], kind="assigned", text=f"для {name}") for name in people]
    emails = [OutboxEmail(notification=n, to=f"{i}@example.com", subject=n.text) for i, n in enumerate(notices)]
    rows.insert(notices)
    rows.insert(emails, returning=False)
    for notice in notices:
        assert Notification.objects.get(pk=notice.pk).text == notice.text
    assert {e.notification.text: e.to for e in OutboxEmail.objects.select_related("notification")} == {
        "для findir": "0@example.com",
        "для director": "1@example.com",
        "для manager1": "2@example.com",
    }


def test_update_writes_the_named_columns_only(processes, demo):
    instance = actions.start("t_parallel", by=demo["manager1"].user)
    assignment = Assignment.objects.filter(instance=instance).first()
    assignment.status = AssignmentStatus.DONE
    assignment.completed_at = AWARE
    assignment.completed_by = demo["director"]
    assignment.title = "не должно записаться"
    rows.update(assignment, ("status", "completed_at", "completed_by"))
    stored = Assignment.objects.get(pk=assignment.pk)
    assert (stored.status, stored.completed_at, stored.completed_by) == ("done", AWARE, demo["director"])
    assert stored.title != "не должно записаться"


def test_a_deferred_column_is_left_out_and_read_when_first_asked(processes):
    version = ProcessVersion.objects.get(definition__key="t_parallel")
    table = ProcessVersion._meta.db_table
    found = rows.fetch(
        f'SELECT {rows.columns(ProcessVersion, "v", ("xml",))} FROM "{table}" v WHERE v."id" = %s', [version.pk]
    )
    assert len(found[0]) == rows.width(ProcessVersion, ("xml",)) == rows.width(ProcessVersion) - 1
    built = rows.build(ProcessVersion, found[0], defer=("xml",))
    assert built.get_deferred_fields() == {"xml"}
    assert built.properties == version.properties and built.checksum == version.checksum
    assert built.xml == version.xml


def test_more_rows_than_one_statement_may_carry_go_in_batches(demo):
    # SQLite refuses a statement with more than 32,766 parameters; a notification has 9 columns.
    notices = [Notification(recipient=demo["findir"], kind="assigned", text=f"№{i}") for i in range(4000)]
    rows.insert(notices)
    assert len({n.pk for n in notices}) == 4000
    assert dict(Notification.objects.filter(pk__in=[notices[0].pk, notices[-1].pk]).values_list("pk", "text")) == {
        notices[0].pk: "№0",
        notices[-1].pk: "№3999",
    }
