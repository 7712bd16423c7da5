"""Domain words in French where they are stored (docs/glossary.md)

register_entry's domain columns (`decision_at` → `date_decision`…), the register's statuts
(`expired` → `echue`, `withdrawn` → `retiree`), the job kinds that are mechanisms in English
(`minuterie` → `timer`, `courriel` → `email`), the date of the dépôt (`deposited_at` →
`date_depot`), and the columns of the search index that copy them.

Columns are renamed in place (ALTER TABLE … RENAME COLUMN), never by a batch operation: on
SQLite a batch recreates the table and would drop the search triggers of 0005, while RENAME
COLUMN (SQLite ≥ 3.25) rewrites the triggers that name the column. PostgreSQL keeps a trigger's
column list by number, but the trigger function of 0005 names the columns in its body: it is
created again with the new names. The statuts are updated after the renames, so the triggers
carry them into the search index.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlite3

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, former name, new name)
COLUMNS = (
    ("register_entry", "decision_at", "date_decision"),
    ("register_entry", "start_at", "debut_validite"),
    ("register_entry", "end_at", "fin_validite"),
    ("register_entry", "status", "statut"),
    ("register_entry", "status_changed_at", "statut_change_le"),
    ("register_entry", "withdrawal_reason", "motif_retrait"),
    ("register_entry", "previous_numero", "numero_precedent"),
    ("register_entry", "previous_id", "precedente_id"),
    ("register_search", "status", "statut"),
    ("register_search", "decision_at", "date_decision"),
    ("instance", "deposited_at", "date_depot"),
)
# (former name, new name, columns under the new names) of register_entry's indexes.
INDEXES = (
    ("ix_register_entry_status", "ix_register_entry_statut", ("statut", "date_decision")),
    (
        "ix_register_entry_previous_numero",
        "ix_register_entry_numero_precedent",
        ("numero_precedent",),
    ),
    ("ix_register_entry_previous_id", "ix_register_entry_precedente_id", ("precedente_id",)),
)
# PostgreSQL only: SQLite keeps a foreign key's name in the table's text, unused.
FOREIGN_KEYS = (
    (
        "fk_register_entry_previous_id_register_entry",
        "fk_register_entry_precedente_id_register_entry",
    ),
)
# (table, column, former value, new value)
VALUES = (
    ("register_entry", "statut", "expired", "echue"),
    ("register_entry", "statut", "withdrawn", "retiree"),
    ("job", "kind", "minuterie", "timer"),
    ("job", "kind", "courriel", "email"),
)
RENAME_COLUMN_SINCE = (3, 25, 0)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql and sqlite3.sqlite_version_info < RENAME_COLUMN_SINCE:
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} ne sait pas renommer une colonne : la migration "
            "0008 demande SQLite 3.25 ou plus récent."
        )
    for table, former, new in COLUMNS:
        _rename_column(table, former, new)
    for former, new, columns in INDEXES:
        _rename_index(former, new, columns, postgresql)
    if postgresql:
        for former, new in FOREIGN_KEYS:
            op.execute(f"ALTER TABLE register_entry RENAME CONSTRAINT {former} TO {new}")
        op.execute(_search_sync_function(statut="statut", decision="date_decision"))
    for table, column, former, new in VALUES:
        _replace_value(table, column, former, new)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, former, new in VALUES:
        _replace_value(table, column, new, former)
    for table, former, new in COLUMNS:
        _rename_column(table, new, former)
    for former, new, columns in INDEXES:
        _rename_index(new, former, tuple(_former_name(column) for column in columns), postgresql)
    if postgresql:
        for former, new in FOREIGN_KEYS:
            op.execute(f"ALTER TABLE register_entry RENAME CONSTRAINT {new} TO {former}")
        op.execute(_search_sync_function(statut="status", decision="decision_at"))


def _rename_column(table: str, former: str, new: str) -> None:
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {former} TO {new}")


def _rename_index(former: str, new: str, columns: tuple[str, ...], postgresql: bool) -> None:
    if postgresql:
        op.execute(f"ALTER INDEX {former} RENAME TO {new}")
    else:  # SQLite cannot rename an index: the same index again, under its new name
        op.execute(f"DROP INDEX {former}")
        op.execute(f"CREATE INDEX {new} ON register_entry ({', '.join(columns)})")


def _former_name(column: str) -> str:
    return next(former for table, former, new in COLUMNS if new == column)


def _replace_value(table: str, column: str, former: str, new: str) -> None:
    op.execute(f"UPDATE {table} SET {column} = '{new}' WHERE {column} = '{former}'")


def _search_sync_function(statut: str, decision: str) -> str:
    """0005's trigger function, naming the statut and decision date columns (the same names in
    register_entry and register_search) as given."""
    return (
        "CREATE OR REPLACE FUNCTION register_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE found_head tsvector; found_body tsvector; BEGIN "
        # Only the filters changed (a retrait, a fin de validité): the words stay as they are.
        "IF TG_OP = 'UPDATE' AND NEW.numero = OLD.numero AND NEW.intitule = OLD.intitule "
        "  AND NEW.certificateurs::text = OLD.certificateurs::text "
        "  AND NEW.content::text = OLD.content::text THEN "
        f"  UPDATE register_search SET categorie = NEW.categorie, {statut} = NEW.{statut}, "
        f"    autorite = NEW.autorite_legitime, {decision} = NEW.{decision} "
        "  WHERE entry_id = NEW.id; "
        "  IF FOUND THEN RETURN NULL; END IF; "
        "END IF; "
        "BEGIN "
        "  found_head := register_search_head(NEW.numero, NEW.intitule, NEW.certificateurs); "
        "  found_body := register_search_body(NEW.content); "
        "EXCEPTION WHEN OTHERS THEN "
        "  found_head := register_search_head(NEW.numero, NEW.intitule, NULL); "
        "  found_body := ''::tsvector; "
        "END; "
        "INSERT INTO register_search "
        f"  (entry_id, categorie, {statut}, autorite, {decision}, head, document) "
        f"VALUES (NEW.id, NEW.categorie, NEW.{statut}, NEW.autorite_legitime, NEW.{decision}, "
        "  found_head, strip(found_head || found_body)) "
        "ON CONFLICT (entry_id) DO UPDATE SET categorie = EXCLUDED.categorie, "
        f"  {statut} = EXCLUDED.{statut}, autorite = EXCLUDED.autorite, "
        f"  {decision} = EXCLUDED.{decision}, head = EXCLUDED.head, "
        "  document = EXCLUDED.document; "
        "RETURN NULL; END $$"
    )
