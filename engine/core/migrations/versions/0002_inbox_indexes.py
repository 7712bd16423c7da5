"""inbox indexes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.drop_index("ix_work_item_inbox")
        batch_op.create_index(
            "ix_work_item_queue", ["status", "role", "claimed_by_id", "created_at", "id"]
        )
        batch_op.create_index(
            "ix_work_item_counts",
            [
                "status",
                "role",
                "claimed_by_id",
                "task_spec",
                "task_title",
                "assignee_id",
                "organisation_id",
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.drop_index("ix_work_item_counts")
        batch_op.drop_index("ix_work_item_queue")
        batch_op.create_index("ix_work_item_inbox", ["status", "role", "created_at"])
