"""Cache stamps: a random value per cached table, renewed by a trigger at each change

Revision ID: 0026
Revises: 0025

The absences, the webhook subscriptions and the accounts emails go to are kept in each
process's memory and reloaded when
their stamp moved (engine.core.process_cache). The triggers renew the stamp whoever writes:
the application, a bulk load, an administrator in psql.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TABLES = ("absence", "webhook_subscription", "user", "user_role")

PG_FUNCTION = """
CREATE FUNCTION inventaire_renew_cache_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_stamp SET stamp = md5(random()::text || clock_timestamp()::text)
    WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "cache_stamp",
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_cache_stamp")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(PG_FUNCTION)
    for table in TABLES:
        # Random from the start: a database made anew never shows a process the stamp it kept
        # for another one.
        op.execute(
            sa.text(
                "INSERT INTO cache_stamp (table_name, stamp) VALUES (:table, "
                + ("md5(random()::text)" if postgresql else "lower(hex(randomblob(16)))")
                + ")"
            ).bindparams(table=table)
        )
        if postgresql:
            # Per statement, TRUNCATE included: one renewal however many rows change.
            op.execute(
                f"CREATE TRIGGER {table}_cache_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f' ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION inventaire_renew_cache_stamp()'
            )
            continue
        for change in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f'CREATE TRIGGER {table}_cache_stamp_{change.lower()} AFTER {change} ON "{table}"'
                f" BEGIN UPDATE cache_stamp SET stamp = lower(hex(randomblob(16)))"
                f" WHERE table_name = '{table}'; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.execute(f'DROP TRIGGER {table}_cache_stamp ON "{table}"')
        else:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_cache_stamp_{change}")
    if postgresql:
        op.execute("DROP FUNCTION inventaire_renew_cache_stamp()")
    op.drop_table("cache_stamp")
