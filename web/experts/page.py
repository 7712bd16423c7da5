"""The avis d'experts' part of the staff's dossier page: the invitations and opinions, and the
invitation form given back with what was typed when it was refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.workflow.experts import reading
from web.auth import current_actor
from web.database import db


@dataclass(frozen=True)
class InvitationDraft:
    """The invitation form refused: what was typed (given back) and the errors by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def avis_of(instance_id: int) -> reading.AvisExperts | None:
    """The dossier's avis d'experts as the signed-in user reads them (None: not for them)."""
    return reading.avis_view(db(), current_actor(), instance_id)
