"""What the séance modules share: the commissions, a séance's wording, reading a séance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS
from engine.core.errors import NotFound
from engine.core.models import ProcessVersion, Seance
from engine.core.typography import long_moment
from engine.definitions.definition import ProcessDefinition, definition_for
from engine.definitions.rules import ProcessService

SOURCE = "seances"


def uses_seances(definition: ProcessDefinition) -> bool:
    """Whether a procedure inscribes its dossiers on séances (a `choix` field of that source)."""
    return any(SOURCE in form.choice_fields().values() for form in definition.forms.values())


def commission_of(definition: ProcessDefinition) -> str:
    return definition.service.id


def commission_services(session: Session) -> dict[str, ProcessService]:
    """The commissions that sit: the services of the deployed procedures that use séances."""
    latest = select(ProcessVersion.key, func.max(ProcessVersion.id).label("id")).group_by(
        ProcessVersion.key
    )
    found: dict[str, ProcessService] = {}
    for row in session.execute(latest):
        definition = definition_for(session, row.id)
        if uses_seances(definition):
            found[commission_of(definition)] = definition.service
    return found


def commissions(session: Session) -> dict[str, str]:
    """The commissions that sit, by id, with their name (« Commission de la CNCP »)."""
    return {
        key: f"Commission {service.de_autorite}"
        for key, service in commission_services(session).items()
    }


def get_seance(session: Session, seance_id: int) -> Seance:
    seance = session.get(Seance, seance_id)
    if seance is None:
        raise NotFound("Séance introuvable.")
    return seance


def seance_name(seance: Seance) -> str:
    """« séance du 12 mars 2027 à 14 h 00 »."""
    return f"séance du {long_moment(seance.debut)}"


def paris_values(moment: datetime) -> dict[str, Any]:
    """The process variables a séance's moment gives: `date_seance` (ISO date, Paris) and
    `heure_seance` (« 14:00 »)."""
    local = moment.astimezone(PARIS)
    return {"date_seance": local.date().isoformat(), "heure_seance": local.strftime("%H:%M")}
