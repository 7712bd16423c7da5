"""The jobs of an invitation: the reminder to its expert some days before the deadline, and
at the deadline its expiry (the inviter told). Each does nothing when the invitation no
longer waits (the opinion given, revoked): a revocation also cancels them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import SYSTEM
from engine.core.clock import utcnow
from engine.core.models import Instance, InstanceStatus, InvitationExpert, InvitationStatus, User
from engine.core.settings import settings_of
from engine.emails import experts as emails
from engine.jobs.api import JobRun
from engine.workflow.experts import tokens


def _waiting(session: Session, run: JobRun) -> tuple[InvitationExpert, Instance] | str:
    """The invitation and its dossier, or why there is nothing to do."""
    invitation_id = (run.job.payload or {}).get("invitation_id")
    invitation = (
        session.get(InvitationExpert, invitation_id, with_for_update=True)
        if isinstance(invitation_id, int)
        else None
    )
    if invitation is None:
        return "Invitation introuvable\u00a0: rien à faire."
    if invitation.status != InvitationStatus.ENVOYEE:
        return "L'invitation n'attend plus d'avis (rendu, expiré ou révoqué)\u00a0: rien à faire."
    instance = session.get(Instance, invitation.instance_id)
    if instance is None:
        return "Dossier introuvable\u00a0: rien à faire."
    return invitation, instance


def reminder_job(run: JobRun) -> str:
    session = run.session
    found = _waiting(session, run)
    if isinstance(found, str):
        return found
    invitation, instance = found
    if utcnow() >= invitation.expires_at:
        return "Échéance passée\u00a0: pas de rappel."
    if instance.status == InstanceStatus.COMPLETED:
        return "Dossier clos\u00a0: pas de rappel."
    settings = settings_of(session)
    token = tokens.token_for(settings.link_secret, invitation.id, invitation.nonce)
    if tokens.token_hash(token) != invitation.token_hash:
        # The secret key changed since the invitation: its link is dead, a reminder would
        # carry a link that opens nothing.
        return "La clé secrète a changé depuis l'invitation\u00a0: pas de rappel."
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    jobs.enqueue(
        session,
        [
            emails.to_expert(
                session,
                instance,
                invitation,
                settings.links.avis_expert(token),
                inviter.name if inviter is not None else "",
                reminder=True,
            )
        ],
    )
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "avis_expert",
        f"Rappel envoyé à {invitation.expert_name} ({invitation.expert_email}).",
        details={"invitation_id": invitation.id},
    )
    return "Rappel envoyé à l'expert."


def expiry_job(run: JobRun) -> str:
    session = run.session
    found = _waiting(session, run)
    if isinstance(found, str):
        return found
    invitation, instance = found
    invitation.status = InvitationStatus.EXPIREE
    invitation.ended_at = utcnow()
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "avis_expert",
        f"Invitation de {invitation.expert_name} ({invitation.expert_email}) expirée sans avis.",
        details={"invitation_id": invitation.id},
    )
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    if inviter is not None and inviter.active:
        jobs.enqueue(
            session, [emails.to_inviter(session, instance, invitation, inviter, given=False)]
        )
    return "Invitation expirée\u00a0; son auteur est prévenu."
