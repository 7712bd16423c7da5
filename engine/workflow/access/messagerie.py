"""The messagerie and the annotations privées (and their pieces jointes)."""

from __future__ import annotations

from engine.core.actor import Actor
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.core.models import (
    Instance,
    InstanceStatus,
)
from engine.workflow.access.dossiers import may_read_staff_side, may_see_dossier
from engine.workflow.access.refusals import Refusal


def may_read_messages(actor: Actor, instance: Instance) -> bool:
    """The messagerie: whoever sees the dossier (its organisation's submitters, the staff)."""
    return may_see_dossier(actor, instance)


def may_write_messages(actor: Actor) -> bool:
    """The staff side of the messageries is written by the agents who instruct the dossiers
    (reviewers), never by administrators nor process owners: the dossier's form and the bulk
    action *Envoyer un message* both ask this rule."""
    return actor.is_reviewer


def refusal_to_write_message(actor: Actor, instance: Instance) -> Refusal | None:
    """Its organisation's submitters and the staff who work on dossiers (not administrators
    nor process owners), on a filed dossier with a submitter's side, until it is closed."""
    if not may_read_messages(actor, instance):
        return Refusal(NotFound, "Dossier introuvable.")
    if may_read_staff_side(actor) and not may_write_messages(actor):
        return Refusal(
            Forbidden, "Seuls les agents qui instruisent les dossiers écrivent dans la messagerie."
        )
    if instance.organisation_id is None:
        return Refusal(
            Conflict, "Le certificateur n'a pas de compte\u00a0: ce dossier n'a pas de messagerie."
        )
    if instance.reference is None:
        return Refusal(Conflict, "La messagerie s'ouvre au dépôt de la demande.")
    if instance.status == InstanceStatus.COMPLETED:
        return Refusal(
            Conflict,
            f"Ce dossier est clos ({instance.status_label})\u00a0: sa messagerie ne reçoit plus "
            "de messages.",
        )
    return None


def may_write_message(actor: Actor, instance: Instance) -> bool:
    return refusal_to_write_message(actor, instance) is None


def may_read_annotations(actor: Actor, instance: Instance) -> bool:
    """Annotations privées: the staff (the commission included), never a submitter."""
    return may_see_dossier(actor, instance) and may_read_staff_side(actor)


def refusal_to_write_annotation(actor: Actor, instance: Instance) -> Refusal | None:
    """The staff who work on dossiers, on a filed dossier (closed or not); 404 to the rest."""
    if not may_read_annotations(actor, instance):
        return Refusal(NotFound, "Dossier introuvable.")
    if not actor.is_reviewer:
        return Refusal(
            Forbidden, "Seuls les agents qui instruisent les dossiers écrivent des annotations."
        )
    if instance.reference is None:
        return Refusal(Conflict, "Les annotations s'ouvrent au dépôt de la demande.")
    return None


def may_write_annotation(actor: Actor, instance: Instance) -> bool:
    return refusal_to_write_annotation(actor, instance) is None
