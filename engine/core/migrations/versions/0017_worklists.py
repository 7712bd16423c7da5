"""Worklists: the dossiers' search index, saved views and background exports

`dossier_search` holds, per dossier, what the worklists filter and sort on beyond the instance
row (category, rapporteur, due date) and its words for the full-text search: on SQLite in the
FTS5 table `dossier_search_text` (rowid = instance id; unicode61 without diacritics), on
PostgreSQL in the tsvector `document` (French stems and the plain words; GIN index). The
application keeps it up to date in each dossier's transaction
(engine/workflow/worklists/index.py); the rows of the dossiers already there are built here.

`saved_view`: a user's named filters. `export_file`: the exports built by a job.

Revision ID: 0017
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP TABLE IF EXISTS dossier_search_text")
    op.execute("DROP TABLE IF EXISTS dossier_search")
    document = ", document tsvector NOT NULL" if postgresql else ""
    moment = "TIMESTAMP WITH TIME ZONE" if postgresql else "DATETIME"
    op.execute(
        "CREATE TABLE dossier_search ("
        "instance_id BIGINT NOT NULL PRIMARY KEY REFERENCES instance (id) ON DELETE CASCADE, "
        f"categorie VARCHAR(8), rapporteur_id BIGINT, echeance {moment}{document})"
    )
    op.execute("CREATE INDEX ix_dossier_search_echeance ON dossier_search (echeance)")
    op.execute("CREATE INDEX ix_dossier_search_categorie ON dossier_search (categorie)")
    op.execute("CREATE INDEX ix_dossier_search_rapporteur ON dossier_search (rapporteur_id)")
    if postgresql:
        op.execute("CREATE INDEX ix_dossier_search_document ON dossier_search USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE dossier_search_text USING fts5("
            "words, tokenize = 'unicode61 remove_diacritics 2')"
        )
    op.create_table(
        "saved_view",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("liste", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name="fk_saved_view_owner_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_saved_view"),
        sa.UniqueConstraint("owner_id", "liste", "name", name="uq_saved_view_owner_id"),
    )
    op.create_table(
        "export_file",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=True),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name="fk_export_file_owner_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_export_file"),
    )
    op.create_index("ix_export_file_owner", "export_file", ["owner_id", "created_at"])
    # The dossiers already there: the same function as every later change (imported here, so
    # this step follows the code that keeps the index; it only reads tables it knows).
    from engine.workflow.worklists.index import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_export_file_owner", table_name="export_file")
    op.drop_table("export_file")
    op.drop_table("saved_view")
    op.execute("DROP TABLE IF EXISTS dossier_search_text")
    op.execute("DROP TABLE IF EXISTS dossier_search")
