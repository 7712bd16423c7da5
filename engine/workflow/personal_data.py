"""What we hold about a person, for them to download (RGPD art. 15 and 20), and an account's
deletion by an administrator (art. 17): kept under a pseudonym, so that its trail and its
dossiers stay whole (the trail is evidence of the administration's acts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.audit_chain import utc_text
from engine.core.clock import utcnow
from engine.core.errors import Conflict, NotFound
from engine.core.models import (
    Absence,
    AuditEvent,
    Email,
    Instance,
    Message,
    Submission,
    User,
    WorkItem,
    WorkItemStatus,
)
from engine.people import accounts

M = TypeVar("M", Instance, Submission, Message, AuditEvent, Email, Absence)

# How a deleted account is named from its deletion on (its id makes it distinct).
PSEUDONYM = "Compte supprimé n° {id}"


def pseudonym(user_id: int) -> str:
    return PSEUDONYM.format(id=user_id)


def delete_account(session: Session, actor: Actor, user_id: int) -> User:
    """The account loses its name, address, password, roles and sessions; its open tasks go
    back to their team; its dossiers, what it filed and the trail of its acts stay, under its
    pseudonym. The caller commits."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("Ce compte n'existe pas ou a déjà été supprimé.")
    if user.id == actor.id:
        raise Conflict("Vous ne pouvez pas supprimer votre propre compte.")
    user.name = pseudonym(user.id)
    user.email = f"compte-supprime-{user.id}@supprime.invalid"
    user.password_hash = "!"  # no password matches it
    accounts.set_active(user, False)  # its sessions end
    accounts.set_roles(session, user, [])
    user.deleted_at = utcnow()
    session.execute(
        update(WorkItem)
        .where(WorkItem.claimed_by_id == user.id, WorkItem.status == WorkItemStatus.OPEN)
        .values(claimed_by_id=None, claimed_at=None)
    )
    session.execute(
        update(WorkItem)
        .where(WorkItem.assignee_id == user.id, WorkItem.status == WorkItemStatus.OPEN)
        .values(assignee_id=None)
    )
    audit.record(
        session,
        None,
        actor,
        "compte_supprime",
        f"Compte supprimé\u00a0: désormais «\u00a0{user.name}\u00a0».",
        details={"compte": user.id},
    )
    session.flush()
    return user


def held_about(session: Session, user: User) -> dict[str, Any]:
    """Everything the platform holds about `user`, as JSON-ready values."""
    dossiers = _rows(session, Instance, Instance.created_by_id == user.id)
    filed = _rows(session, Submission, Submission.submitted_by_id == user.id)
    messages = _rows(session, Message, Message.author_id == user.id)
    acts = _rows(session, AuditEvent, AuditEvent.actor_id == user.id)
    emails = _rows(session, Email, Email.recipient == user.email)
    absences = _rows(session, Absence, Absence.user_id == user.id)
    return {
        "genere_le": utc_text(utcnow()),
        "compte": {
            "id": user.id,
            "nom": user.name,
            "courriel": user.email,
            "organisation": user.organisation.name if user.organisation else None,
            "roles": sorted(user.role_names),
            "actif": user.active,
            "cree_le": utc_text(user.created_at),
        },
        "dossiers_crees": [
            {
                "id": dossier.id,
                "reference": dossier.reference,
                "intitule": dossier.title,
                "statut": dossier.status_label,
                "cree_le": utc_text(dossier.created_at),
                "depose_le": utc_text(dossier.date_depot) if dossier.date_depot else None,
                "courriel_de_contact": dossier.contact_courriel,
            }
            for dossier in dossiers
        ],
        "saisies_deposees": [
            {
                "dossier": row.instance_id,
                "etape": row.task_title,
                "le": utc_text(row.submitted_at),
                "valeurs": row.data,
            }
            for row in filed
        ],
        "messages_ecrits": [
            {"dossier": row.instance_id, "le": utc_text(row.created_at), "texte": row.body}
            for row in messages
        ],
        "actes_journalises": [
            {
                "dossier": row.instance_id,
                "le": utc_text(row.at),
                "type": row.kind,
                "resume": row.summary,
            }
            for row in acts
        ],
        "courriels_recus": [
            {"le": utc_text(row.created_at), "objet": row.subject, "modele": row.template}
            for row in emails
        ],
        "absences": [
            {
                "debut": row.debut.isoformat(),
                "fin": row.fin.isoformat(),
                "suppleant": row.suppleant_id,
                "annulee_le": utc_text(row.cancelled_at) if row.cancelled_at else None,
            }
            for row in absences
        ],
    }


def _rows(session: Session, model: type[M], condition: ColumnElement[bool]) -> Sequence[M]:
    """The rows of `model` that meet `condition`, oldest first."""
    return session.scalars(select(model).where(condition).order_by(model.id)).all()
