"""Putting a dossier on a séance's ordre du jour from the séance's page, one dossier at a time:
the engine completes its *Inscrire à l'ordre du jour* with that séance, as the secretariat would
on the task's page. Each dossier is its own transaction (the caller commits a dossier done and
rolls back a dossier refused), so that a bulk inscription never half-writes a dossier.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.errors import FormInvalid, InventaireError
from engine.core.models import (
    Instance,
    InstanceStatus,
    ProcessVersion,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.definition import definition_for
from engine.workflow.actions import claims, completing
from engine.workflow.seances.common import SOURCE, commission_of, get_seance


@dataclass(frozen=True)
class Outcome:
    instance_id: int
    reference: str
    done: bool
    # Why a dossier was refused (French), or what became of it.
    message: str


def inscription_item(session: Session, instance: Instance) -> tuple[WorkItem, str] | None:
    """The dossier's open task whose form chooses a séance, with that field's name."""
    if instance.status != InstanceStatus.RUNNING:
        return None
    definition = definition_for(session, instance.process_version_id)
    items = session.scalars(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    ).all()
    for item in items:
        form = definition.forms.get(item.form or "")
        if form is None:
            continue
        for name, source in form.choice_fields().items():
            if source == SOURCE:
                return item, name
    return None


def inscrire_a_la_seance(
    session: Session, actor: Actor, seance_id: int, instance_id: int
) -> Outcome:
    """Put one dossier on the séance's agenda; refused (with its reason) when the dossier no
    longer waits for its inscription, the séance is not offered, or the actor may not act."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        return Outcome(instance_id, f"dossier {instance_id}", False, "Dossier introuvable.")
    reference = instance.reference or f"dossier {instance.id}"
    found = inscription_item(session, instance)
    if found is None:
        return Outcome(
            instance.id,
            reference,
            False,
            "Le dossier n'attend plus son inscription à l'ordre du jour (statut\u00a0: "
            f"{instance.status_label}).",
        )
    item, field = found
    seance = get_seance(session, seance_id)
    definition = definition_for(session, instance.process_version_id)
    if seance.commission != commission_of(definition):
        return Outcome(instance.id, reference, False, "Ce dossier relève d'une autre commission.")
    try:
        if item.claimed_by_id is None:
            claims.claim(session, actor, item.id)
        completing.complete_work_item(session, actor, item.id, {field: seance.id})
    except FormInvalid as error:
        return Outcome(instance.id, reference, False, " ".join(error.errors.values()))
    except InventaireError as error:
        return Outcome(instance.id, reference, False, error.user_message)
    return Outcome(instance.id, reference, True, "Inscrit à l'ordre du jour.")


def ready_dossiers(session: Session, commission: str, limit: int = 200) -> list[Instance]:
    """The dossiers of the commission whose open task is their inscription, ready first first:
    their open work items on the forms that choose a séance, read in the order of
    ix_work_item_form (no sort of every ready dossier)."""
    versions: list[int] = []
    forms: set[str] = set()
    for version_id in session.scalars(select(ProcessVersion.id)):
        definition = definition_for(session, version_id)
        if commission_of(definition) != commission:
            continue
        names = {
            name
            for name, form in definition.forms.items()
            if SOURCE in form.choice_fields().values()
        }
        if names:
            versions.append(version_id)
            forms |= names
    if not versions:
        return []
    return list(
        session.scalars(
            select(Instance)
            .join(WorkItem, WorkItem.instance_id == Instance.id)
            .where(
                WorkItem.status == WorkItemStatus.OPEN,
                WorkItem.form.in_(sorted(forms)),
                Instance.process_version_id.in_(versions),
                Instance.status == InstanceStatus.RUNNING,
            )
            .order_by(WorkItem.created_at, WorkItem.id)
            .limit(limit)
        ).unique()
    )
