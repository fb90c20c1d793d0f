"""An index for the title search of the assignment lists («Автоматизация», ``GET /api/v1/assignments?name=``).

``title_search`` is matched with ``LIKE '%…%'``, which no B-tree can answer by its order. Each
database gets what it can use, so the migration is written per vendor and is not part of the
model's state (``makemigrations`` does not see it):

* PostgreSQL: a trigram GIN index (``pg_trgm``), which answers ``LIKE '%…%'`` directly, for one
  person's assignments (with the assignee index, a BitmapAnd) or for everyone's. When the extension
  cannot be created (not installed, or not the owner's to create), nothing is added and the search
  works as before, unindexed.
* SQLite: ``(assignee, status, title_search)``, so a search within one person's assignments (the
  lists always narrow to a person first when they can) reads that index alone and not each row.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, migrations, transaction

SQLITE_INDEX = "assignment_title_search"
POSTGRESQL_INDEX = "assignment_title_trigram"


def add_index(apps: Any, schema_editor: Any) -> None:
    """Why per vendor: see the module's docstring."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {SQLITE_INDEX} ON engine_assignment (assignee_id, status, title_search)"
        )
    elif vendor == "postgresql":
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return  # no trigram extension here: the search stays unindexed
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {POSTGRESQL_INDEX} ON engine_assignment USING gin (title_search gin_trgm_ops)"
        )


def drop_index(apps: Any, schema_editor: Any) -> None:
    """The extension stays: other database objects may have come to use it."""
    vendor = schema_editor.connection.vendor
    if vendor in ("sqlite", "postgresql"):
        name = SQLITE_INDEX if vendor == "sqlite" else POSTGRESQL_INDEX
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("engine", "0004_assignment_instead_of")]

    operations = [migrations.RunPython(add_index, drop_index, elidable=False)]
