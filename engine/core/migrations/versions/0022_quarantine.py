"""Uploads refused by the antivirus, kept in quarantine

Revision ID: 0022
Revises: 0021

A new table only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quarantined_file",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("context", sa.String(length=40), nullable=False),
        sa.Column("instance_id", ID, nullable=True),
        sa.Column("uploaded_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_quarantined_file_instance_id_instance"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_quarantined_file_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_file")),
    )
    op.create_index("ix_quarantined_file_at", "quarantined_file", ["at"])


def downgrade() -> None:
    op.drop_index("ix_quarantined_file_at", table_name="quarantined_file")
    op.drop_table("quarantined_file")
