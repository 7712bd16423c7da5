"""Index of the open work items by form, in their order of arrival

The séance's page lists the dossiers ready for inscription (their open task's form chooses a
séance) oldest first: read in this index's order, it stops at the page's limit instead of
sorting every ready dossier.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_item_form", "work_item", ["status", "form", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_work_item_form", table_name="work_item")
