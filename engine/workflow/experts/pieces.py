"""The pieces jointes of the experts' opinions, served to the staff (`access.
may_read_expert_opinions`): anyone else gets NotFound, as for a piece that does not exist."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import NotFound
from engine.core.models import AvisExpertPiece, Instance, InvitationExpert
from engine.workflow import access
from engine.workflow.documents import DocumentStore
from engine.workflow.messagerie.pieces import stored_file

NOT_FOUND = "Pièce jointe introuvable."


def opinion_piece(
    session: Session, store: DocumentStore, actor: Actor, piece_id: int
) -> tuple[AvisExpertPiece, Path]:
    found = session.execute(
        select(AvisExpertPiece, Instance)
        .join(InvitationExpert, InvitationExpert.id == AvisExpertPiece.invitation_id)
        .join(Instance, Instance.id == InvitationExpert.instance_id)
        .where(AvisExpertPiece.id == piece_id)
    ).first()
    if found is None or not access.may_read_expert_opinions(actor, found[1]):
        raise NotFound(NOT_FOUND)
    return found[0], stored_file(store, found[0].storage_key)
