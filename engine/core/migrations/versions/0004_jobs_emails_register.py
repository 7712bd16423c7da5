"""Jobs (labels, per-instance index), the emails sent, the register's life-cycle fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:23:40.780066
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column(
            "instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
            name=op.f("fk_email_instance_id_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_email_idempotency_key")),
    )
    with op.batch_alter_table("email", schema=None) as batch_op:
        batch_op.create_index("ix_email_instance", ["instance_id", "created_at"], unique=False)

    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_job_instance", ["instance_id", "status"], unique=False)

    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("previous_numero", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="inventaire")
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
        batch_op.create_index(
            "ix_register_entry_previous_numero", ["previous_numero"], unique=False
        )
        batch_op.create_index("ix_register_entry_status", ["status", "decision_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_register_entry_status")
        batch_op.drop_index("ix_register_entry_previous_numero")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("source")
        batch_op.drop_column("previous_numero")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("status_changed_at")

    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_instance")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("label")

    with op.batch_alter_table("email", schema=None) as batch_op:
        batch_op.drop_index("ix_email_instance")

    op.drop_table("email")
