"""Inviting an outside expert to give an opinion on a dossier, and revoking the invitation. One
action, one transaction (the caller commits): the invitation, its audit event, the email with
the expert's link, the reminder's and the deadline's jobs; a revocation cancels those jobs (and
they find nothing to do if one ran meanwhile)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import PARIS, utcnow
from engine.core.errors import FormInvalid, NotFound
from engine.core.models import InvitationExpert, InvitationStatus
from engine.core.settings import settings_of
from engine.core.typography import date_filter
from engine.emails import experts as emails
from engine.jobs import JobKind, NewJob
from engine.workflow.access import enforce, refusal_to_invite, refusal_to_revoke
from engine.workflow.experts import tokens
from engine.workflow.lookup import get_instance

# The form's fields, named in the errors.
NAME_FIELD = "nom"
EMAIL_FIELD = "courriel"
DEADLINE_FIELD = "echeance"
MESSAGE_FIELD = "message"
MAX_NAME = 200
MAX_EMAIL = 254
MAX_MESSAGE = 5_000
# How far ahead a deadline may be set: an opinion is not awaited for more than a year.
MAX_DAYS_AHEAD = 366
# When the reminder goes, on its day (Paris).
REMINDER_HOUR = time(9, 0)
EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}")


@dataclass(frozen=True)
class InvitationForm:
    """What the inviter typed, as posted."""

    name: str
    email: str
    deadline: str
    message: str


def expiry_of(deadline: date) -> datetime:
    """The moment an invitation dies: the end of its last day, in Paris."""
    return datetime.combine(deadline + timedelta(days=1), time(0, 0), tzinfo=PARIS)


def paris_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(PARIS).date()


def invite(
    session: Session, actor: Actor, instance_id: int, form: InvitationForm
) -> InvitationExpert:
    """An invitation (`access.refusal_to_invite`); FormInvalid (French, per field) when what
    was typed is not acceptable: nothing written."""
    instance = get_instance(session, actor, instance_id)
    enforce(session, refusal_to_invite(session, actor, instance))
    name, email, deadline, message = _checked(form)
    settings = settings_of(session)
    nonce = tokens.new_nonce()
    invitation = InvitationExpert(
        instance_id=instance.id,
        expert_name=name,
        expert_email=email,
        message=message,
        echeance=deadline,
        expires_at=expiry_of(deadline),
        nonce=nonce,
        # Replaced once the id is known (the token is derived from it).
        token_hash=tokens.token_hash(nonce),
        status=InvitationStatus.ENVOYEE,
        invited_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(invitation)
    session.flush()
    token = tokens.token_for(settings.link_secret, invitation.id, nonce)
    invitation.token_hash = tokens.token_hash(token)
    audit.record(
        session,
        instance.id,
        actor,
        "avis_expert",
        f"Avis sollicité de {name} ({email}), attendu au plus tard le {date_filter(deadline)}.",
        details={"invitation_id": invitation.id},
    )
    jobs.enqueue(
        session,
        [
            emails.to_expert(
                session, instance, invitation, settings.links.avis_expert(token), actor.name
            ),
            *_deadline_jobs(invitation, settings.expert_reminder_days),
        ],
    )
    session.flush()
    return invitation


def _deadline_jobs(invitation: InvitationExpert, reminder_days: int) -> list[NewJob]:
    """At the deadline the invitation expires; `reminder_days` before it (at 9 h, Paris) its
    expert is reminded, unless that moment is already past."""
    found = [
        NewJob(
            kind=JobKind.AVIS_EXPERT_ECHEANCE,
            key=f"avis-expert:{invitation.id}:echeance",
            label=f"Échéance de l'avis de {invitation.expert_name}",
            instance_id=invitation.instance_id,
            payload={"invitation_id": invitation.id},
            run_at=invitation.expires_at,
        )
    ]
    if reminder_days > 0:
        day = invitation.echeance - timedelta(days=reminder_days)
        moment = datetime.combine(day, REMINDER_HOUR, tzinfo=PARIS)
        if moment > utcnow():
            found.append(
                NewJob(
                    kind=JobKind.AVIS_EXPERT_RAPPEL,
                    key=f"avis-expert:{invitation.id}:rappel",
                    label=f"Rappel à {invitation.expert_name}",
                    instance_id=invitation.instance_id,
                    payload={"invitation_id": invitation.id},
                    run_at=moment,
                )
            )
    return found


def _checked(form: InvitationForm) -> tuple[str, str, date, str]:
    """Every fault at once, before anything is written."""
    errors: dict[str, str] = {}
    name = " ".join(form.name.split())
    if not name:
        errors[NAME_FIELD] = "Indiquez le nom de l'expert."
    elif len(name) > MAX_NAME:
        errors[NAME_FIELD] = f"Le nom compte {MAX_NAME} caractères au plus."
    email = form.email.strip()
    if not email:
        errors[EMAIL_FIELD] = "Indiquez l'adresse électronique de l'expert."
    elif len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        errors[EMAIL_FIELD] = (
            "Cette adresse électronique n'est pas valide (attendue sous la forme "
            "prenom.nom@exemple.fr)."
        )
    deadline = _deadline(form.deadline.strip(), errors)
    message = form.message.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(message) > MAX_MESSAGE:
        errors[MESSAGE_FIELD] = (
            f"Votre message compte {len(message)} caractères, pour 5\u202f000 au plus."
        )
    if errors or deadline is None:
        raise FormInvalid(errors)
    return name, email, deadline, message


def _deadline(text: str, errors: dict[str, str]) -> date | None:
    if not text:
        errors[DEADLINE_FIELD] = "Indiquez la date limite de l'avis."
        return None
    day = _parsed(text)
    if day is None:
        errors[DEADLINE_FIELD] = "Cette date n'est pas valide (attendue au format jj/mm/aaaa)."
        return None
    today = paris_today()
    if day <= today:
        errors[DEADLINE_FIELD] = (
            "La date limite doit être postérieure à aujourd'hui\u00a0: laissez à l'expert au "
            "moins une journée."
        )
        return None
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        errors[DEADLINE_FIELD] = "La date limite ne peut être fixée à plus d'un an."
        return None
    return day


def _parsed(text: str) -> date | None:
    """A date as the browser's date field posts it (2026-12-31), or as typed (31/12/2026)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def revoke(session: Session, actor: Actor, instance_id: int, invitation_id: int) -> None:
    """*Révoquer* (`access.refusal_to_revoke`): the link dies at once, the reminder's and the
    deadline's jobs are cancelled."""
    instance = get_instance(session, actor, instance_id)
    invitation = session.get(InvitationExpert, invitation_id, with_for_update=True)
    if invitation is None:
        raise NotFound("Invitation introuvable.")
    enforce(session, refusal_to_revoke(actor, instance, invitation))
    invitation.status = InvitationStatus.REVOQUEE
    invitation.ended_at = utcnow()
    invitation.revoked_by_id = actor.id
    for kind in (JobKind.AVIS_EXPERT_RAPPEL, JobKind.AVIS_EXPERT_ECHEANCE):
        for job in jobs.pending_for(session, instance.id, kind):
            if (job.payload or {}).get("invitation_id") == invitation.id:
                jobs.cancel(job, "invitation révoquée")
    audit.record(
        session,
        instance.id,
        actor,
        "avis_expert",
        f"Invitation de {invitation.expert_name} ({invitation.expert_email}) révoquée.",
        details={"invitation_id": invitation.id},
    )
    session.flush()
