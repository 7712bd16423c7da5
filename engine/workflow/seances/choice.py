"""The `seances` list of a form (*Inscrire à l'ordre du jour*): the séances of the procedure's
commission a dossier may be put on, the process variables the chosen one gives, and the
dossier's inscription on its ordre du jour."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import Inscription, Instance, Seance, SeanceStatus, as_id
from engine.core.typography import long_moment
from engine.definitions.definition import ProcessDefinition
from engine.workflow.seances.common import commission_of, paris_values

REFUSED = (
    "Choisissez une séance de la liste\u00a0: celle-ci n'est plus proposée (annulée, "
    "déplacée dans le passé ou d'une autre commission)."
)
# The séances tenues offered (to record a deliberation already held), the latest first.
HELD_OFFERED = 12


def options(session: Session, definition: ProcessDefinition) -> list[tuple[str, str]]:
    """The séances prévues to come, soonest first, then the latest séances tenues."""
    commission = commission_of(definition)
    coming = session.scalars(
        select(Seance)
        .where(
            Seance.commission == commission,
            Seance.statut == SeanceStatus.PREVUE,
            Seance.debut > utcnow(),
        )
        .order_by(Seance.debut, Seance.id)
    ).all()
    held = session.scalars(
        select(Seance)
        .where(Seance.commission == commission, Seance.statut == SeanceStatus.TENUE)
        .order_by(Seance.debut.desc(), Seance.id.desc())
        .limit(HELD_OFFERED)
    ).all()
    return [(str(seance.id), label(seance)) for seance in [*coming, *held]]


def label(seance: Seance) -> str:
    """« 12 mars 2027 à 14 h 00 — Salle 3 » (« (tenue : … ») for a séance already held)."""
    where = seance.lieu or ("visioconférence" if seance.lien_visio else "")
    text = long_moment(seance.debut) + (f" — {where}" if where else "")
    if seance.statut == SeanceStatus.TENUE:
        text += " (tenue\u00a0: «\u00a0Délibérer\u00a0» s'ouvre aussitôt)"
    return text


def describe(session: Session, value: Any) -> str | None:
    key = as_id(value)
    seance = session.get(Seance, key) if key is not None else None
    return label(seance) if seance is not None else None


def offered_seance(session: Session, definition: ProcessDefinition, value: Any) -> Seance | None:
    key = as_id(value)
    seance = session.get(Seance, key) if key is not None else None
    if seance is None or seance.commission != commission_of(definition):
        return None
    if seance.statut == SeanceStatus.TENUE:
        return seance
    if seance.statut == SeanceStatus.PREVUE and seance.debut > utcnow():
        return seance
    return None


def derive(session: Session, definition: ProcessDefinition, value: Any) -> dict[str, Any] | None:
    seance = offered_seance(session, definition, value)
    if seance is None:
        return None
    return paris_values(seance.debut) | {"seance_tenue": seance.statut == SeanceStatus.TENUE}


def record(session: Session, actor: Actor, instance: Instance, value: Any) -> None:
    """The dossier goes last on the séance's ordre du jour."""
    key = as_id(value)
    if key is None:
        return
    known = session.scalar(
        select(Inscription).where(
            Inscription.seance_id == key, Inscription.instance_id == instance.id
        )
    )
    if known is not None:
        return
    last = session.scalar(
        select(func.max(Inscription.position)).where(Inscription.seance_id == key)
    )
    session.add(
        Inscription(
            seance_id=key,
            instance_id=instance.id,
            position=(last or 0) + 1,
            inscrit_le=utcnow(),
            inscrit_par_id=actor.id,
        )
    )
