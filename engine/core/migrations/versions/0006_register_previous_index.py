"""The register's renewal chain indexed (a fiche's next entries; deleting entries)

Revision ID: 0006
Revises: 0005

A plain CREATE INDEX, not a batch operation: on SQLite a batch migration recreates the table and
would drop the search triggers of 0005.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_register_entry_previous_id", "register_entry", ["previous_id"])


def downgrade() -> None:
    op.drop_index("ix_register_entry_previous_id", table_name="register_entry")
