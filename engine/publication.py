"""Publication of a recensed certification in the register (idempotent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.counter import next_value
from engine.models import Instance, Organisation, OrganisationKind, RegisterEntry, Submission

MAX_YEARS = 6
CATEGORY_LABELS = {
    "A": "A – obligation réglementaire",
    "B": "B – norme de marché",
    "C": "C – utilité économique ou sociale",
}
PUBLIC_FIELDS = (
    "objectifs_contexte",
    "competences_attestees",
    "modalites_evaluation",
    "prerequis",
    "voies_acces",
    "codes_rome",
    "formacodes",
    "codes_nsf",
    "public_vise",
)


def publish(session: Session, instance: Instance, data: dict[str, Any]) -> RegisterEntry:
    """Create the register entry of a recensed dossier; a second call returns the same entry."""
    existing = session.scalar(select(RegisterEntry).where(RegisterEntry.instance_id == instance.id))
    if existing is not None:
        return existing
    filed = dossier_values(session, instance.id)
    now = utcnow()
    years = _bounded_years(data.get("duree_annees"))
    organisation = (
        session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
    )
    entry = RegisterEntry(
        numero=f"INV{next_value(session, 'register'):05d}",
        intitule=str(filed.get("intitule") or instance.title)[:500],
        categorie=str(data.get("categorie_retenue") or filed.get("categorie") or "C")[:1],
        certificateurs={
            "certificateurs": [
                {
                    "nom": filed.get("certificateurs") or "",
                    "siret": filed.get("siret_certificateur"),
                }
            ]
        },
        autorite_legitime=_legitimate_authority(organisation),
        content={key: filed[key] for key in PUBLIC_FIELDS if filed.get(key)}
        | {"mandat": bool(filed.get("depot_par_mandataire"))},
        decision_at=now,
        start_at=now,
        end_at=_add_years(now, years),
        instance_id=instance.id,
    )
    session.add(entry)
    session.flush()
    return entry


def dossier_values(session: Session, instance_id: int) -> dict[str, Any]:
    """Every value filed on the dossier, the latest submission of each form winning."""
    values: dict[str, Any] = {}
    rows = session.scalars(
        select(Submission).where(Submission.instance_id == instance_id).order_by(Submission.id)
    )
    for row in rows:
        values.update(row.data)
    return values


def _legitimate_authority(organisation: Organisation | None) -> str | None:
    if organisation is None:
        return None
    if organisation.kind == OrganisationKind.CERTIFICATEUR and organisation.mandant is not None:
        return f"{organisation.mandant.name} (mandat donné à {organisation.name})"
    return organisation.name


def _bounded_years(value: Any) -> int:
    try:
        years = int(value)
    except (TypeError, ValueError):
        years = MAX_YEARS
    return max(1, min(MAX_YEARS, years))


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)
