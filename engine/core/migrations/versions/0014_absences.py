"""Absences and suppléants: `absence`

An agent's absence period (Paris calendar days) and the suppléant who takes over their tasks and
reminders meanwhile. A new table only.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("suppleant_id", ID, nullable=False),
        sa.Column("debut", sa.Date(), nullable=False),
        sa.Column("fin", sa.Date(), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_absence_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["suppleant_id"],
            ["user.id"],
            name=op.f("fk_absence_suppleant_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_absence_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    op.create_index("ix_absence_suppleant", "absence", ["suppleant_id", "fin"])
    op.create_index("ix_absence_user", "absence", ["user_id", "fin"])


def downgrade() -> None:
    op.drop_index("ix_absence_user", table_name="absence")
    op.drop_index("ix_absence_suppleant", table_name="absence")
    op.drop_table("absence")
