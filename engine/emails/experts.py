"""The emails of the avis d'experts: the invitation and its reminder to the expert (the link to
their invitation, never the dossier's content), and to the agent who invited them, the opinion
given or the deadline passed without one (a link to the dossier, never the opinion)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.models import Instance, InvitationExpert, User
from engine.core.settings import settings_of
from engine.core.typography import date_filter
from engine.emails.notifications import service_values
from engine.emails.templates import render, template
from engine.jobs import JobKind, NewJob

INVITATION = "avis_expert_invitation"
REMINDER = "avis_expert_rappel"
EXPIRED = "avis_expert_expiration"
GIVEN = "avis_expert_rendu"


def _context(session: Session, instance: Instance, invitation: InvitationExpert) -> dict[str, Any]:
    return {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "expert": invitation.expert_name,
        "expert_courriel": invitation.expert_email,
        "echeance": date_filter(invitation.echeance),
        "invitee_le": date_filter(invitation.created_at),
        "aujourdhui": date_filter(utcnow()),
    } | service_values(session, instance)


def _job(
    instance: Instance,
    invitation: InvitationExpert,
    name: str,
    to: str,
    context: dict[str, Any],
    cause: str,
) -> NewJob:
    subject, body = render(template(name), context)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:{instance.id}:avis-expert-{invitation.id}:{cause}:{name}",
        label=f"Courriel «\u00a0{subject}\u00a0» à {to}",
        instance_id=instance.id,
        payload={"template": name, "to": to, "subject": subject, "body": body},
    )


def to_expert(
    session: Session,
    instance: Instance,
    invitation: InvitationExpert,
    link: str,
    inviter: str,
    *,
    reminder: bool = False,
    cause: str = "",
) -> NewJob:
    """The invitation (or its reminder): the expert's link, the deadline, the inviter's message."""
    context = _context(session, instance, invitation) | {
        "lien": link,
        "inviteur": inviter,
        "message": invitation.message,
        "destinataire": invitation.expert_name,
    }
    name = REMINDER if reminder else INVITATION
    return _job(instance, invitation, name, invitation.expert_email, context, cause or name)


def to_inviter(
    session: Session,
    instance: Instance,
    invitation: InvitationExpert,
    inviter: User,
    *,
    given: bool,
) -> NewJob:
    """The inviter is told the opinion was given (`given`), or that the deadline passed."""
    page = settings_of(session).links.dossier(instance.id, submitter=False)
    context = _context(session, instance, invitation) | {
        "lien": f"{page}#avis-experts" if page else "",
        "destinataire": inviter.name,
    }
    name = GIVEN if given else EXPIRED
    return _job(instance, invitation, name, inviter.email, context, name)
