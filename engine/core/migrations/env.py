"""Alembic environment: run with a connection handed over by engine.core.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from engine.core.models import Base, UtcDateTime

# The search indexes of the register (migration 0005) and of the dossiers (0017) are the
# database's own: FTS5 tables (and triggers) on SQLite, tsvector tables on PostgreSQL. Not in the
# models, so autogenerate must not touch them.
# NB: on SQLite a batch migration of register_entry recreates the table and drops its triggers:
# such a migration must create them again (see 0005).
SEARCH_INDEX_PREFIXES = ("register_search", "dossier_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (reflected and name is not None and name.startswith(SEARCH_INDEX_PREFIXES))


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Our UtcDateTime is DateTime(timezone=True) in the database: written as such in migrations.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
