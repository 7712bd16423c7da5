"""What the séance pages show: the ordre du jour (the dossiers in order, with their rapporteur,
the category asked and proposed, the *Délibérer* to open, the deliberation once done) and the
procès-verbal (each dossier's opinion, category and duration).

Read from the dossiers' submissions, not from their workflows: one query for the whole agenda,
so that a séance of 40 dossiers shows as fast as a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import (
    Inscription,
    Instance,
    Organisation,
    RoleName,
    Seance,
    Submission,
    User,
    WorkItem,
    WorkItemStatus,
    as_id,
)
from engine.definitions.definition import definition_for
from engine.definitions.forms import choice_value

# The values the agenda reads from the dossiers' forms (the recensement's names).
RAPPORTEUR = "rapporteur_id"
ASKED = "categorie"
PROPOSED = "categorie_proposee"
OPINION = "avis"
CATEGORY = "categorie_retenue"
DURATION = "duree_annees"


@dataclass(frozen=True)
class AgendaRow:
    inscription_id: int
    position: int
    instance_id: int
    reference: str
    title: str
    organisation: str
    rapporteur: str
    categorie: str
    categorie_proposee: str
    status_label: str
    # The open *Délibérer* (a commission's task) of the dossier, when it is open.
    deliberer_id: int | None
    # Once deliberated at this séance: the opinion, category and duration, as their forms say.
    avis: str
    categorie_retenue: str
    duree: str
    delibere_le: datetime | None


def agenda(session: Session, seance: Seance) -> list[AgendaRow]:
    """The séance's dossiers in the agenda's order."""
    pairs = session.execute(
        select(Inscription, Instance)
        .join(Instance, Instance.id == Inscription.instance_id)
        .where(Inscription.seance_id == seance.id)
        .order_by(Inscription.position, Inscription.id)
    ).all()
    if not pairs:
        return []
    ids = [instance.id for _inscription, instance in pairs]
    submissions: dict[int, list[Submission]] = {}
    for row in session.scalars(
        select(Submission)
        .where(Submission.instance_id.in_(ids))
        .order_by(Submission.submitted_at, Submission.id)
    ):
        submissions.setdefault(row.instance_id, []).append(row)
    open_items = {
        item.instance_id: item.id
        for item in session.execute(
            select(WorkItem.instance_id, WorkItem.id).where(
                WorkItem.instance_id.in_(ids),
                WorkItem.status == WorkItemStatus.OPEN,
                # An expression, not the column: read by dossier (ix_work_item_instance), not
                # through the commission's whole queue.
                WorkItem.role.concat("") == RoleName.COMMISSION,
            )
        )
    }
    organisations = _names(
        session, Organisation, {i.organisation_id for _s, i in pairs if i.organisation_id}
    )
    latest = {instance_id: _latest(rows) for instance_id, rows in submissions.items()}
    people = _names(
        session,
        User,
        {key for values in latest.values() if (key := as_id(values.get(RAPPORTEUR)))},
    )
    rows = []
    for inscription, instance in pairs:
        values = latest.get(instance.id, {})
        deliberation = _deliberation(
            session, instance, submissions.get(instance.id, []), inscription
        )
        rapporteur = as_id(values.get(RAPPORTEUR))
        rows.append(
            AgendaRow(
                inscription_id=inscription.id,
                position=inscription.position,
                instance_id=instance.id,
                reference=instance.reference or f"dossier {instance.id}",
                title=instance.title,
                organisation=organisations.get(instance.organisation_id or 0, ""),
                rapporteur=people.get(rapporteur or 0, ""),
                categorie=str(values.get(ASKED) or ""),
                categorie_proposee=str(values.get(PROPOSED) or ""),
                status_label=instance.status_label,
                deliberer_id=open_items.get(instance.id),
                avis=deliberation.get(OPINION, ""),
                categorie_retenue=deliberation.get(CATEGORY, ""),
                duree=deliberation.get(DURATION, ""),
                delibere_le=deliberation.get("_le"),
            )
        )
    return rows


def _latest(rows: list[Submission]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for row in rows:
        values.update(row.data or {})
    return values


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _deliberation(
    session: Session, instance: Instance, rows: list[Submission], inscription: Inscription
) -> dict[str, Any]:
    """The first opinion given after the dossier's inscription on this séance, in words."""
    for row in rows:
        if row.submitted_at < inscription.inscrit_le or OPINION not in (row.data or {}):
            continue
        form = definition_for(session, instance.process_version_id).forms.get(row.form)
        found: dict[str, Any] = {"_le": row.submitted_at}
        for name in (OPINION, CATEGORY, DURATION):
            value = (row.data or {}).get(name)
            if value in (None, ""):
                continue
            labels = dict(form.get_field(name).choices) if form and name in form else {}
            text = labels.get(choice_value(value), str(value))
            found[name] = _years(value) if name == DURATION else text
        return found
    return {}


def _years(value: Any) -> str:
    return f"{value} an" if value == 1 else f"{value} ans"


def counts(rows: list[AgendaRow]) -> dict[str, int]:
    return {
        "inscrits": len(rows),
        "deliberes": sum(1 for row in rows if row.avis),
        "a_deliberer": sum(1 for row in rows if row.deliberer_id is not None),
    }
