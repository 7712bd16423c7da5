"""Avis d'experts: who invites an outside expert on a dossier, who revokes an invitation, who
reads the opinions, and what an expert's link opens (that dossier's filed side, nothing else)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.core.models import (
    Instance,
    InstanceStatus,
    InvitationExpert,
    InvitationStatus,
    RoleName,
    WorkItem,
    WorkItemStatus,
)
from engine.workflow.access.dossiers import may_read_staff_side, may_see_dossier
from engine.workflow.access.refusals import Refusal
from engine.workflow.access.work_items import may_act


def may_read_expert_opinions(actor: Actor, instance: Instance) -> bool:
    """The invitations and the opinions: the staff (the commission included), never a
    submitter (nor an expert: each reads their own invitation only, through its link)."""
    return may_see_dossier(actor, instance) and may_read_staff_side(actor)


def refusal_to_invite(session: Session, actor: Actor, instance: Instance) -> Refusal | None:
    """The secrétariat (recevabilité) on any filed dossier still open; a rapporteur on a dossier
    one of whose open tasks they may act on (`may_act`: theirs, or their lane's not taken)."""
    if not may_read_expert_opinions(actor, instance):
        return Refusal(NotFound, "Dossier introuvable.")
    if not (actor.has(RoleName.RECEVABILITE) or actor.has(RoleName.RAPPORTEUR)):
        return Refusal(
            Forbidden, "Seuls le secrétariat et les rapporteurs sollicitent l'avis d'un expert."
        )
    if instance.reference is None:
        return Refusal(Conflict, "Un expert ne peut être sollicité qu'après le dépôt.")
    if instance.status == InstanceStatus.COMPLETED:
        return Refusal(
            Conflict,
            f"Ce dossier est clos ({instance.status_label})\u00a0: plus aucun expert ne peut être "
            "sollicité.",
        )
    if actor.has(RoleName.RECEVABILITE):
        return None
    items = session.scalars(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id,
            WorkItem.status == WorkItemStatus.OPEN,
            WorkItem.role == RoleName.RAPPORTEUR,
        )
    )
    if any(may_act(actor, item, instance) for item in items):
        return None
    return Refusal(
        Forbidden,
        "Vous n'instruisez pas ce dossier\u00a0: seul son rapporteur ou le secrétariat peut "
        "solliciter un expert.",
    )


def may_invite(session: Session, actor: Actor, instance: Instance) -> bool:
    return refusal_to_invite(session, actor, instance) is None


def refusal_to_revoke(
    actor: Actor, instance: Instance, invitation: InvitationExpert
) -> Refusal | None:
    """Its inviter or the secrétariat, while the invitation waits for the opinion."""
    if not may_read_expert_opinions(actor, instance) or invitation.instance_id != instance.id:
        return Refusal(NotFound, "Invitation introuvable.")
    if not (actor.has(RoleName.RECEVABILITE) or invitation.invited_by_id == actor.id):
        return Refusal(
            Forbidden, "Seuls l'auteur de l'invitation et le secrétariat peuvent la révoquer."
        )
    if invitation.status != InvitationStatus.ENVOYEE:
        return Refusal(
            Conflict,
            "Cette invitation n'attend plus d'avis (rendu, expiré ou déjà révoqué)\u00a0: elle ne "
            "peut plus être révoquée.",
        )
    return None


def may_revoke(actor: Actor, instance: Instance, invitation: InvitationExpert) -> bool:
    return refusal_to_revoke(actor, instance, invitation) is None


def expert_may_read_piece(
    invitation: InvitationExpert,
    instance: Instance,
    document_instance_id: int,
    uploaded_by_organisation_id: int | None,
    *,
    generated: bool,
) -> bool:
    """An expert reads the pieces of their invitation's dossier that its submitters filed:
    neither the staff's own pieces nor the letters generated for the submitter, and nothing of
    another dossier."""
    if document_instance_id != invitation.instance_id or instance.id != invitation.instance_id:
        return False
    return (
        not generated
        and uploaded_by_organisation_id is not None
        and uploaded_by_organisation_id == instance.organisation_id
    )
