"""Indexes for the statistics pages

The public figures per year (requests filed, decisions by outcome, median time to decision) and
the secretariat's median delays per step read these covering indexes instead of the dossiers'
rows (whose stored state is large).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_instance_depot", "instance", ["date_depot"])
    op.create_index(
        "ix_instance_decisions", "instance", ["status", "updated_at", "date_depot", "status_label"]
    )
    op.create_index(
        "ix_work_item_completed",
        "work_item",
        ["status", "completed_at", "task_title", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_work_item_completed", table_name="work_item")
    op.drop_index("ix_instance_decisions", table_name="instance")
    op.drop_index("ix_instance_depot", table_name="instance")
