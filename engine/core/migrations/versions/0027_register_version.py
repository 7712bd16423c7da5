"""The register's change counter, moved by triggers

`register_version` holds one row: a number that every committed change of `register_entry`
moves forward (insert, update, delete; TRUNCATE on PostgreSQL), and when it moved. The public
register's validators (ETag, Last-Modified) and the search's per-process cache are keyed by it:
reading one row tells whether anything a page shows may have changed.

Triggers, as for the search index (0005): every writer is covered (publication, import,
expiry, withdrawal, a bulk INSERT, SQL typed by hand) without calling anything.

- SQLite: a row trigger per change; writes are serialised by the database anyway.
- PostgreSQL: a deferred constraint trigger, fired at commit, moves the row once per
  transaction (a transaction-local setting remembers it): the row's lock is then the last one a
  writer takes and is held only while it commits, so two writers of the register never wait on
  each other for it in the middle of their work (no deadlock), and an import of 50,000 fiches
  moves it once.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SQLITE_EVENTS = ("insert", "update", "delete")
# SQLAlchemy reads SQLite's moments as text with six digits of microseconds.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
PG_SETTING = "inventaire.register_version_moved"


def upgrade() -> None:
    # A database whose tables were dropped without their triggers (tests/conftest.py's
    # drop_all on a reused SQLite file) would keep the old ones.
    _drop_triggers()
    op.create_table(
        "register_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_version")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("INSERT INTO register_version VALUES (1, 0, clock_timestamp())")
        _upgrade_postgresql()
    else:
        op.execute(f"INSERT INTO register_version VALUES (1, 0, {SQLITE_NOW})")
        _upgrade_sqlite()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table("register_version")


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS register_version_rows ON register_entry")
        op.execute("DROP TRIGGER IF EXISTS register_version_truncate ON register_entry")
        op.execute("DROP FUNCTION IF EXISTS register_version_move()")
        op.execute("DROP FUNCTION IF EXISTS register_version_move_once()")
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS register_version_{event}")


def _upgrade_sqlite() -> None:
    for event in SQLITE_EVENTS:
        op.execute(
            f"CREATE TRIGGER register_version_{event} AFTER {event.upper()} ON register_entry "
            "BEGIN UPDATE register_version SET version = version + 1, "
            f"changed_at = {SQLITE_NOW} WHERE id = 1; END"
        )


def _upgrade_postgresql() -> None:
    op.execute(
        "CREATE FUNCTION register_version_move() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE register_version SET version = version + 1, changed_at = clock_timestamp() "
        "WHERE id = 1; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE FUNCTION register_version_move_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF current_setting('{PG_SETTING}', true) = 'on' THEN RETURN NULL; END IF; "
        f"PERFORM set_config('{PG_SETTING}', 'on', true); "
        "UPDATE register_version SET version = version + 1, changed_at = clock_timestamp() "
        "WHERE id = 1; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER register_version_rows "
        "AFTER INSERT OR UPDATE OR DELETE ON register_entry "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION register_version_move_once()"
    )
    # TRUNCATE has no row trigger (and no constraint trigger): it takes the table's strongest
    # lock anyway, the counter's row can wait with it.
    op.execute(
        "CREATE TRIGGER register_version_truncate AFTER TRUNCATE ON register_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION register_version_move()"
    )
