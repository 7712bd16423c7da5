"""Retention of personal data: `instance.retention_avis_at`, `instance.anonymised_at`,
`user.deleted_at`

When an abandoned draft's owner was told it would be deleted, when a closed dossier's personal
data was anonymised, when an account was deleted (kept under a pseudonym). Columns only.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instance") as batch:
        batch.add_column(sa.Column("retention_avis_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("deleted_at")
    with op.batch_alter_table("instance") as batch:
        batch.drop_column("anonymised_at")
        batch.drop_column("retention_avis_at")
