"""Who sees a dossier, its staff side and its pieces, and who starts a process."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from engine.core.actor import Actor
from engine.core.errors import Forbidden
from engine.core.models import (
    Instance,
    RoleName,
)
from engine.definitions.definition import ProcessDefinition
from engine.workflow.access.refusals import Refusal
from engine.workflow.access.spaces import may_read_all_dossiers


def may_see_dossier(actor: Actor, instance: Instance) -> bool:
    """CNCP staff see every dossier; a submitter only those of their organisation."""
    if may_read_all_dossiers(actor):
        return True
    return (
        actor.has(RoleName.DEMANDEUR)
        and actor.organisation_id is not None
        and instance.organisation_id == actor.organisation_id
    )


def may_read_staff_side(actor: Actor) -> bool:
    """Within a dossier one sees: CNCP staff read all of it (the whole trail, every filed form,
    the agents' names, the process's errors); a submitter reads their side of it."""
    return actor.is_staff


def visible_dossiers(actor: Actor) -> ColumnElement[bool]:
    """`may_see_dossier` as a condition on `instance` rows (the lists of dossiers)."""
    if may_read_all_dossiers(actor):
        return true()
    if not actor.has(RoleName.DEMANDEUR) or actor.organisation_id is None:
        return false()
    return Instance.organisation_id == actor.organisation_id


def refusal_to_start(actor: Actor, definition: ProcessDefinition) -> Refusal | None:
    """Who opens a dossier of a process: a submitter attached to an organisation (their own
    request), or the role the process names (the commission opens a retrait)."""
    if definition.start_role == RoleName.DEMANDEUR:
        if not actor.has(RoleName.DEMANDEUR) or actor.organisation_id is None:
            return Refusal(
                Forbidden, "Seul un demandeur rattaché à une organisation peut créer une demande."
            )
        return None
    if not actor.has(definition.start_role):
        return Refusal(
            Forbidden,
            f"Seul le rôle «\u00a0{definition.start_role}\u00a0» peut engager\u00a0: "
            f"{definition.title}.",
        )
    return None


# --- pieces -----------------------------------------------------------------------------------


def may_see_piece(
    actor: Actor,
    instance: Instance,
    uploaded_by_organisation_id: int | None,
    *,
    generated: bool = False,
) -> bool:
    """A piece is read by whoever sees its dossier, except that a submitter reads only the
    pieces filed by people of the dossier's organisation (those of the CNCP stay internal) and
    the documents generated for the dossier (`generated`: letters and attestations, addressed
    to its submitter)."""
    if not may_see_dossier(actor, instance):
        return False
    if may_read_staff_side(actor) or generated:
        return True
    return (
        uploaded_by_organisation_id is not None
        and uploaded_by_organisation_id == instance.organisation_id
    )
