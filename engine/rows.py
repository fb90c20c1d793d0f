# ruff: noqa: S608 - statements are built from model table/column names only; every value is a parameter
"""Plain SQL for the rows one engine step reads and writes.

Why this exists: a step (complete an assignment, advance the workflow, open the next assignment)
touches about ten rows. Through the ORM each statement spent 0.1–0.25 ms compiling the query in
Python, four to six times what SQLite then took to run it, and all of them together cost more than
SpiffWorkflow itself (``bench/engine``). These helpers build each statement once per model and column
list and keep it; values still go through the model fields' own ``get_db_prep_save`` and rows come
back through the fields' own converters, so what is stored and read is exactly what the ORM would
store and read, on SQLite and PostgreSQL alike.

Not a second ORM: no queries are composed here. It inserts and updates model instances and turns
result rows into model instances; the few SELECTs the engine needs are written where they are used,
with :func:`columns` naming the columns. No model signals are sent: no receiver listens to the
models written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class _Shape:
    """What the statements for one model need to know, read once from its ``_meta``."""

    table: str
    pk: models.Field
    writable: tuple[models.Field, ...]  # every concrete column but the primary key and generated ones
    readable: tuple[models.Field, ...]  # every concrete column, in the order ``Model.from_db`` takes


@cache
def _shape(model: type[models.Model]) -> _Shape:
    meta = model._meta
    writable = tuple(f for f in meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False))
    return _Shape(table=meta.db_table, pk=meta.pk, writable=writable, readable=tuple(meta.concrete_fields))


def _connection() -> BaseDatabaseWrapper:
    # The wrapper itself, not ``django.db.connection``: that proxy looks the connection up again on
    # every attribute read, and the fields' conversions read a few per value.
    return connections[DEFAULT_DB_ALIAS]


def qn(name: str) -> str:
    """A table or column name quoted for the database in use."""
    return _connection().ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table name, quoted."""
    return qn(model._meta.db_table)


# --------------------------------------------------------------------------- writing


@cache
def _insert_sql(vendor: str, model: type[models.Model], count: int, returning: bool) -> str:
    shape = _shape(model)
    row = "(" + ", ".join(["%s"] * len(shape.writable)) + ")"
    sql = (
        f"INSERT INTO {qn(shape.table)} ({', '.join(qn(f.column) for f in shape.writable)}) "
        f"VALUES {', '.join([row] * count)}"
    )
    return sql + f" RETURNING {qn(shape.pk.column)}" if returning else sql


def insert(objs: Sequence[models.Model], *, returning: bool = True) -> None:
    """Insert new instances of one model, one statement per batch the database accepts (one, for a
    step's rows); with ``returning``, set their pks.

    Like ``bulk_create``: field defaults were set when the instances were made, ``pre_save`` runs
    (``auto_now_add``), and a related object saved meanwhile lends its pk to the foreign key.
    """
    if not objs:
        return
    model = type(objs[0])
    connection = _connection()
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35
        model._default_manager.bulk_create(objs)
        return
    shape = _shape(model)
    size = max(1, connection.ops.bulk_batch_size(list(shape.writable), objs))  # SQLite's variable limit
    for first in range(0, len(objs), size):
        batch = objs[first : first + size]
        params: list[Any] = []
        for obj in batch:
            obj._prepare_related_fields_for_save(operation_name="insert")
            params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in shape.writable)
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor, model, len(batch), returning), params)
            pks = [row[0] for row in cursor.fetchall()] if returning else []
        for index, obj in enumerate(batch):
            if returning:
                setattr(obj, shape.pk.attname, pks[index])
            obj._state.adding = False
            obj._state.db = connection.alias


@cache
def _update_sql(vendor: str, model: type[models.Model], names: tuple[str, ...]) -> str:
    shape = _shape(model)
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    return f"UPDATE {qn(shape.table)} SET {assignments} WHERE {qn(shape.pk.column)} = %s"


def update(obj: models.Model, names: Sequence[str]) -> None:
    """``UPDATE`` the named fields of a saved instance from its attributes (``save(update_fields=)``
    without the signals and the query compilation)."""
    model = type(obj)
    meta = model._meta
    connection = _connection()
    params = [
        field.get_db_prep_save(field.pre_save(obj, False), connection)
        for field in (meta.get_field(name) for name in names)
    ]
    params.append(obj.pk)
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor, model, tuple(names)), params)


# --------------------------------------------------------------------------- reading


@cache
def _readable(model: type[models.Model], defer: tuple[str, ...]) -> tuple[models.Field, ...]:
    return tuple(f for f in _shape(model).readable if f.name not in defer)


@cache
def columns(model: type[models.Model], alias: str, defer: tuple[str, ...] = ()) -> str:
    """``"alias"."column", …`` for every column of ``model`` but the ``defer``red fields, in the
    order :func:`build` reads them."""
    return ", ".join(f"{qn(alias)}.{qn(f.column)}" for f in _readable(model, defer))


def width(model: type[models.Model], defer: tuple[str, ...] = ()) -> int:
    """How many result columns :func:`columns` names (so a caller can find what follows them)."""
    return len(_readable(model, defer))


@cache
def _converters(
    vendor: str, model: type[models.Model], defer: tuple[str, ...]
) -> tuple[tuple[Any, tuple[Any, ...]], ...]:
    connection = _connection()
    result = []
    for field in _readable(model, defer):
        col = field.get_col(model._meta.db_table)
        result.append((col, tuple(connection.ops.get_db_converters(col) + col.get_db_converters(connection))))
    return tuple(result)


@cache
def _attnames(model: type[models.Model], defer: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f.attname for f in _readable(model, defer))


def build[M: models.Model](model: type[M], row: Sequence[Any], start: int = 0, defer: tuple[str, ...] = ()) -> M:
    """A model instance from ``row[start:]`` (columns as :func:`columns` named them), with every value
    converted by the field's own converters, as the ORM would return it. Deferred fields load on
    first access, as after ``QuerySet.defer()``."""
    connection = _connection()
    values = []
    for offset, (col, converters) in enumerate(_converters(connection.vendor, model, defer)):
        value = row[start + offset]
        for converter in converters:
            value = converter(value, col, connection)
        values.append(value)
    return model.from_db(connection.alias, _attnames(model, defer) if defer else None, values)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
