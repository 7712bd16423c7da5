"""Who renews a register entry or starts its retrait."""

from __future__ import annotations

from collections.abc import Callable

from engine.core.actor import Actor
from engine.core.errors import Conflict, Forbidden
from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_DE,
    RegisterEntry,
    RegisterStatus,
    RoleName,
    registre_of,
)
from engine.definitions.definition import ProcessDefinition
from engine.workflow.access.dossiers import refusal_to_start
from engine.workflow.access.refusals import Refusal


def refusal_to_renew(
    actor: Actor, entry: RegisterEntry, certifier_organisation_id: int | None
) -> Refusal | None:
    """*Demander le renouvellement*: a submitter of the entry's certifier, unless the entry was
    *Retirée* from the register."""
    if (
        not actor.has(RoleName.DEMANDEUR)
        or certifier_organisation_id is None
        or certifier_organisation_id != actor.organisation_id
    ):
        return Refusal(
            Forbidden,
            "Seul le certificateur de cette certification peut en demander le renouvellement.",
        )
    if entry.statut == RegisterStatus.RETIREE:
        # Its own register: an RS entry was never in the Inventaire.
        where = REGISTRE_DE[registre_of(entry.registre)]
        return Refusal(
            Conflict,
            f"{entry.numero} a été retirée {where}\u00a0: elle ne peut être renouvelée.",
        )
    return None


def refusal_to_start_retrait(
    actor: Actor,
    entry: RegisterEntry,
    retrait: ProcessDefinition,
    running_retrait: Callable[[], str | None],
) -> Refusal | None:
    """*Engager un retrait*: whoever may open the retrait process (the commission), for an
    active entry with no retrait in progress (`running_retrait`: its reference, if any,
    looked up only when the rest allows)."""
    refused = refusal_to_start(actor, retrait)
    if refused is not None:
        return refused
    if entry.statut != RegisterStatus.ACTIVE:
        label = REGISTER_STATUS_LABELS[RegisterStatus(entry.statut)]
        return Refusal(
            Conflict,
            f"Seule une certification active peut être retirée\u202f; {entry.numero} est {label}.",
        )
    if running_retrait() is not None:
        return Refusal(Conflict, f"Un retrait de {entry.numero} est déjà en cours.")
    return None
