"""Indexes for a million dossiers: the lists read in order, the steps found by a loose scan

*Tous les dossiers* shows the most recently changed dossiers first, with or without a status
filter: read in the order of `ix_instance_updated` (updated_at, id), or of
`ix_instance_status_updated` (status_label, updated_at, id) which replaces
`ix_instance_status_label` (the statistics count the statuses from it as well), it stops at the
page instead of sorting every dossier. The steps the filter offers (the distinct steps of the
open work items) are found one index descent per step in `ix_work_item_steps`
(engine/workflow/worklists/steps.py) instead of reading every open work item.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_instance_updated", "instance", ["updated_at", "id"])
    op.create_index("ix_instance_status_updated", "instance", ["status_label", "updated_at", "id"])
    op.drop_index("ix_instance_status_label", table_name="instance")
    op.create_index("ix_work_item_steps", "work_item", ["status", "task_spec", "task_title"])


def downgrade() -> None:
    op.drop_index("ix_work_item_steps", table_name="work_item")
    op.create_index("ix_instance_status_label", "instance", ["status_label"])
    op.drop_index("ix_instance_status_updated", table_name="instance")
    op.drop_index("ix_instance_updated", table_name="instance")
