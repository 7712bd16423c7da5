"""What signed-in users do from a fiche: a submitter asks for its renewal, the commission opens
its retrait. Both open a dossier of the procedure and take the user to its first form; who
may is the engine's rule (engine.register.life.entry_actions shows the buttons by the same)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.core.models import WorkItem, WorkItemStatus
from engine.register import life
from web.auth import current_actor, login_required
from web.database import db
from web.registre import bp


@bp.post("/<numero>/renouvellement")
@login_required
def renew(numero: str) -> Response:
    instance = life.start_renewal(db(), current_actor(), numero)
    db().commit()
    flash(
        f"Demande de renouvellement de {numero} créée\u00a0: vérifiez les champs préremplis, "
        "joignez les pièces, puis déposez-la.",
        "success",
    )
    return redirect(url_for("demandes.saisie", instance_id=instance.id))


@bp.post("/<numero>/retrait")
@login_required
def retrait(numero: str) -> Response:
    instance = life.start_retrait(db(), current_actor(), numero)
    db().commit()
    item_id = db().scalar(
        select(WorkItem.id).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    flash(
        f"Retrait de {numero} engagé\u00a0: motivez-le pour en informer le certificateur.",
        "success",
    )
    if item_id is None:
        return redirect(url_for("instruction.dossier", instance_id=instance.id))
    return redirect(url_for("instruction.tache", work_item_id=item_id))
