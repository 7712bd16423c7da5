"""The events a subscriber may want, and the body each sends.

A body names what changed and where to read it, nothing more: ids, the dossier's reference and
status label, the task's title and role, the register entry's number and status, the pages'
links. Never a person's name, email or what a form holds: a receiver that needs them reads them
through the API with its own rights (docs/webhooks.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.core.models import Instance, RegisterEntry, WorkItem
from engine.core.settings import EngineSettings


class EventType(StrEnum):
    DOSSIER_STATUT = "dossier.statut_modifie"
    TACHE_OUVERTE = "tache.ouverte"
    FICHE_PUBLIEE = "registre.fiche_publiee"
    FICHE_ECHUE = "registre.fiche_echue"
    FICHE_RETIREE = "registre.fiche_retiree"


EVENT_LABELS = {
    EventType.DOSSIER_STATUT: "Le statut d'un dossier a changé",
    EventType.TACHE_OUVERTE: "Une tâche attend (nouvelle tâche ouverte)",
    EventType.FICHE_PUBLIEE: "Une fiche est publiée au registre",
    EventType.FICHE_ECHUE: "Une fiche est échue (fin de validité)",
    EventType.FICHE_RETIREE: "Une fiche est retirée du registre",
}

# Events about a dossier: limited to its organisation for an organisation's subscription.
DOSSIER_EVENTS = frozenset({EventType.DOSSIER_STATUT, EventType.TACHE_OUVERTE})


def dossier_resource(settings: EngineSettings, instance: Instance) -> dict[str, Any]:
    return {
        "dossier": {
            "id": instance.id,
            "reference": instance.reference,
            "processus": instance.process_version.key if instance.process_version else None,
            "statut": instance.status_label,
            "etat": instance.status,
        },
        "liens": {"page": settings.links.dossier(instance.id, submitter=False) or None},
    }


def task_resource(settings: EngineSettings, instance: Instance, item: WorkItem) -> dict[str, Any]:
    found = dossier_resource(settings, instance)
    found["tache"] = {
        "id": item.id,
        "element": item.task_spec,
        "titre": item.task_title,
        "role": item.role,
        "organisation_id": item.organisation_id,
    }
    return found


def entry_resource(settings: EngineSettings, entry: RegisterEntry) -> dict[str, Any]:
    return {
        "fiche": {
            "numero": entry.numero,
            "registre": entry.registre,
            "statut": entry.statut,
            "debut_validite": _iso(entry.debut_validite),
            "fin_validite": _iso(entry.fin_validite),
            "dossier_id": entry.instance_id,
        },
        "liens": {"page": settings.links.fiche(entry.numero) or None},
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
