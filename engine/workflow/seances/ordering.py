"""The order of a séance's agenda: the secretariat moves a dossier up or down (its position
swapped with its neighbour's), audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.errors import NotFound
from engine.core.models import Inscription, Instance, Seance


def move_in_agenda(
    session: Session, actor: Actor, seance: Seance, inscription_id: int, step: int
) -> None:
    """`step` -1 moves the dossier up one place, +1 down; at an end, nothing moves."""
    rows = list(
        session.scalars(
            select(Inscription)
            .where(Inscription.seance_id == seance.id)
            .order_by(Inscription.position, Inscription.id)
        )
    )
    index = next((i for i, row in enumerate(rows) if row.id == inscription_id), None)
    if index is None:
        raise NotFound("Ce dossier n'est pas à l'ordre du jour de cette séance.")
    other = index + step
    if not 0 <= other < len(rows):
        return
    for number, row in enumerate(rows, start=1):
        row.position = number
    rows[index].position, rows[other].position = rows[other].position, rows[index].position
    instance = session.get(Instance, rows[index].instance_id)
    audit.record(
        session,
        rows[index].instance_id,
        actor,
        "ordre_du_jour",
        f"Ordre du jour\u00a0: {instance.reference if instance else 'dossier'} passe en "
        f"position {rows[index].position}.",
        details={"seance_id": seance.id},
    )
