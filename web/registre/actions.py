"""What signed-in users do from a fiche: a submitter asks for its renewal, the commission opens
its withdrawal. Both open a dossier of the procedure and take the user to its first form."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.core.actor import Actor
from engine.core.models import RegisterStatus, RoleName, WorkItem, WorkItemStatus
from engine.register import life
from web.auth import current_actor, roles_required
from web.database import db
from web.registre import bp


@dataclass(frozen=True)
class FicheActions:
    renew: bool
    withdraw: bool


def fiche_actions(actor: Actor | None, numero: str) -> FicheActions:
    """The buttons a fiche offers this visitor (none to the public)."""
    if actor is None or actor.id is None:
        return FicheActions(False, False)
    entry = life.entry_by_numero(db(), numero)
    withdraw = actor.has(RoleName.COMMISSION) and entry.status == RegisterStatus.ACTIVE
    renew = False
    if actor.has(RoleName.DEMANDEUR) and entry.status != RegisterStatus.WITHDRAWN:
        organisation = life.certifier_organisation(db(), entry)
        renew = organisation is not None and organisation.id == actor.organisation_id
    return FicheActions(renew, withdraw)


@bp.post("/<numero>/renouvellement")
@roles_required(RoleName.DEMANDEUR)
def renew(numero: str) -> Response:
    instance = life.start_renewal(db(), current_actor(), numero)
    db().commit()
    flash(
        f"Demande de renouvellement de {numero} créée : vérifiez les champs préremplis, "
        "joignez les pièces, puis déposez-la.",
        "success",
    )
    return redirect(url_for("demandes.saisie", instance_id=instance.id))


@bp.post("/<numero>/retrait")
@roles_required(RoleName.COMMISSION)
def withdraw(numero: str) -> Response:
    instance = life.start_withdrawal(db(), current_actor(), numero)
    db().commit()
    item_id = db().scalar(
        select(WorkItem.id).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    flash(f"Retrait de {numero} engagé : motivez-le pour en informer le certificateur.", "success")
    if item_id is None:
        return redirect(url_for("instruction.dossier", instance_id=instance.id))
    return redirect(url_for("instruction.tache", work_item_id=item_id))
