"""What the staff read of a dossier's avis d'experts on its page: each invitation with its
status (*Envoyée*, *Rendue*, *Expirée*, *Révoquée*), the opinion and its pieces jointes, and
whether the reader may invite or revoke. A submitter gets None: not even the section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import (
    INVITATION_STATUS_LABELS,
    AvisExpertPiece,
    InstanceStatus,
    InvitationExpert,
    InvitationStatus,
)
from engine.people.accounts import user_names
from engine.workflow import access
from engine.workflow.experts.invitations import paris_today
from engine.workflow.lookup import get_instance
from engine.workflow.messagerie.reading import PieceJointeView


@dataclass(frozen=True)
class InvitationView:
    id: int
    expert_name: str
    expert_email: str
    message: str
    deadline: date
    status: str
    status_label: str
    invited_by: str
    invited_at: datetime
    ended_at: datetime | None
    revoked_by: str | None
    opinion: str | None
    pieces: list[PieceJointeView]
    may_revoke: bool


@dataclass(frozen=True)
class AvisExperts:
    instance_id: int
    invitations: list[InvitationView]
    may_invite: bool
    # The earliest deadline the form takes (tomorrow, in Paris).
    earliest: date
    # Why the form is not offered, when it is not (a closed dossier, not their dossier…).
    refusal: str | None


CLOSED_WITH_DOSSIER = "Close avec le dossier"


def effective_status(invitation: InvitationExpert) -> str:
    """Its status as of now: one past its deadline reads *Expirée* before its job runs."""
    if invitation.status == InvitationStatus.ENVOYEE and utcnow() >= invitation.expires_at:
        return InvitationStatus.EXPIREE
    return invitation.status


def avis_view(session: Session, actor: Actor, instance_id: int) -> AvisExperts | None:
    instance = get_instance(session, actor, instance_id)
    if not access.may_read_expert_opinions(actor, instance):
        return None
    rows = list(
        session.scalars(
            select(InvitationExpert)
            .where(InvitationExpert.instance_id == instance.id)
            .order_by(InvitationExpert.id)
        )
    )
    names = user_names(
        session,
        {row.invited_by_id for row in rows} | {row.revoked_by_id for row in rows},
    )
    pieces: dict[int, list[PieceJointeView]] = {}
    if rows:
        for piece in session.scalars(
            select(AvisExpertPiece)
            .where(AvisExpertPiece.invitation_id.in_([row.id for row in rows]))
            .order_by(AvisExpertPiece.id)
        ):
            pieces.setdefault(piece.invitation_id, []).append(
                PieceJointeView(piece.id, piece.name, piece.size, piece.content_type)
            )
    views = []
    dossier_open = instance.status == InstanceStatus.RUNNING
    for row in rows:
        status = effective_status(row)
        label = INVITATION_STATUS_LABELS[InvitationStatus(status)]
        if status == InvitationStatus.ENVOYEE and not dossier_open:
            # The link died with the dossier (expert_side refuses it): say so, not "Envoyée".
            label = CLOSED_WITH_DOSSIER
        views.append(
            InvitationView(
                id=row.id,
                expert_name=row.expert_name,
                expert_email=row.expert_email,
                message=row.message,
                deadline=row.echeance,
                status=status,
                status_label=label,
                invited_by=names.get(row.invited_by_id or 0, "—"),
                invited_at=row.created_at,
                ended_at=row.ended_at,
                revoked_by=names.get(row.revoked_by_id) if row.revoked_by_id else None,
                opinion=row.avis if status == InvitationStatus.RENDUE else None,
                pieces=pieces.get(row.id, []),
                may_revoke=status == InvitationStatus.ENVOYEE
                and dossier_open
                and access.may_revoke(actor, instance, row),
            )
        )
    refusal = access.refusal_to_invite(session, actor, instance)
    return AvisExperts(
        instance_id=instance.id,
        invitations=views,
        may_invite=refusal is None,
        earliest=paris_today() + timedelta(days=1),
        refusal=refusal.message if refusal is not None else None,
    )
