"""Generated documents among a dossier's pieces: `document.modele` and `document.libelle`

A letter or an attestation the platform produces (engine/pdf) is kept like an uploaded piece;
these two columns say which template made it and what it is (« Lettre de décision »). Both are
empty for the pieces already there, which people uploaded.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("modele", sa.String(60), nullable=True))
    op.add_column("document", sa.Column("libelle", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("document", "libelle")
    op.drop_column("document", "modele")
