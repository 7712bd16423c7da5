"""The dossier's contact address in a column of its own: `instance.contact_courriel`

The filing form's `contact_courriel` (the person to write to about the dossier, who need not
have an account) is stored with the dossier's other values in `submission.data`, out of the
workflow state. Every letter to the submitter's side goes to it too, and finding it meant
reading every submission of the dossier at each email. The latest address filed is now kept
on the dossier itself, set by the completion that files it; this migration copies it from the
submissions of the dossiers already filed.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The field of the filing forms, as engine/emails/recipients.py names it at this version.
CONTACT_FIELD = "contact_courriel"


def upgrade() -> None:
    op.add_column("instance", sa.Column("contact_courriel", sa.String(254), nullable=True))
    bind = op.get_bind()
    latest: dict[int, str] = {}
    rows = bind.execute(
        sa.text("SELECT instance_id, data FROM submission ORDER BY instance_id, id")
    )
    for instance_id, data in rows:
        value = _contact(data)
        if value is not None:
            latest[instance_id] = value
    for instance_id, value in latest.items():
        bind.execute(
            sa.text("UPDATE instance SET contact_courriel = :value WHERE id = :id"),
            {"value": value, "id": instance_id},
        )


def downgrade() -> None:
    op.drop_column("instance", "contact_courriel")


def _contact(data: Any) -> str | None:
    if isinstance(data, str):  # SQLite gives the JSON text
        try:
            data = json.loads(data)
        except ValueError:
            return None
    value = data.get(CONTACT_FIELD) if isinstance(data, dict) else None
    if isinstance(value, str) and "@" in value and len(value.strip()) <= 254:
        return value.strip()
    return None
