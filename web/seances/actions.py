"""The secretariat's changes to séances, each one transaction with its audit trail: create,
edit or move (its dossiers' waits follow), hold, cancel, carry the agenda over to another
séance, reorder the agenda, and put dossiers on it in bulk (one transaction per dossier)."""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from engine.core.clock import PARIS
from engine.core.errors import Conflict, FormInvalid, InventaireError
from engine.core.models import SeanceStatus, as_id
from engine.workflow import access
from engine.workflow.seances import calendar, common, inscription, ordering
from web.auth import allowed, current_actor
from web.database import db
from web.errors import error_page
from web.seances.views import bp, form_page, seance_page

log = logging.getLogger(__name__)
MAX_BULK = 200


@bp.route("/nouvelle", methods=["GET", "POST"])
@allowed(access.may_manage_seances)
def nouvelle() -> Response | tuple[str, int]:
    names = common.commissions(db())
    page = {"title": "Nouvelle séance", "commissions": names, "seance": None}
    if request.method == "GET":
        return form_page(page | {"data": {"heure": "09:30"}})
    try:
        entered = calendar.read_form(request.form, names)
        seance = calendar.create_seance(db(), current_actor(), entered)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return form_page(page | {"data": _typed(error)}, errors=error.errors, status=422)
    flash(f"Séance créée\u00a0: {common.seance_name(seance)}.", "success")
    return redirect(url_for("seances.seance", seance_id=seance.id))


@bp.route("/<int:seance_id>/modifier", methods=["GET", "POST"])
@allowed(access.may_manage_seances)
def modifier(seance_id: int) -> Response | tuple[str, int]:
    seance = common.get_seance(db(), seance_id)
    if seance.statut != SeanceStatus.PREVUE:
        return error_page(
            409, f"Cette séance est {seance.statut_label.lower()}\u00a0: elle ne change plus."
        )
    names = {seance.commission: common.commissions(db()).get(seance.commission, "")}
    page = {
        "title": f"Modifier la {common.seance_name(seance)}",
        "commissions": names,
        "seance": seance,
    }
    if request.method == "GET":
        local = seance.debut.astimezone(PARIS)
        data = {
            "date": local.date().isoformat(),
            "heure": local.strftime("%H:%M"),
            "lieu": seance.lieu,
            "lien_visio": seance.lien_visio,
        }
        return form_page(page | {"data": data})
    try:
        entered = calendar.read_form(request.form | {"commission": seance.commission}, names)
        moved = calendar.update_seance(db(), current_actor(), seance_id, entered)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return form_page(page | {"data": _typed(error)}, errors=error.errors, status=422)
    except Conflict as error:
        db().rollback()
        return error_page(409, error.user_message)
    message = "Séance modifiée."
    if moved:
        message += f" L'attente de {moved} dossier(s) suit la nouvelle date."
    flash(message, "success")
    return redirect(url_for("seances.seance", seance_id=seance_id))


def _typed(error: FormInvalid) -> dict[str, str]:
    return {key: str(value) for key, value in (error.data or request.form).items()}


@bp.post("/<int:seance_id>/tenue")
@allowed(access.may_manage_seances)
def tenue(seance_id: int) -> Response | tuple[str, int]:
    return _change(seance_id, calendar.mark_held, "Séance marquée comme tenue.")


@bp.post("/<int:seance_id>/annuler")
@allowed(access.may_manage_seances)
def annuler(seance_id: int) -> Response | tuple[str, int]:
    return _change(seance_id, calendar.cancel_seance, "Séance annulée.")


def _change(seance_id: int, action: object, message: str) -> Response | tuple[str, int]:
    try:
        action(db(), current_actor(), seance_id)  # type: ignore[operator]
        db().commit()
    except Conflict as error:
        db().rollback()
        return seance_page(seance_id, errors={"seance": error.user_message}, status=409)
    flash(message, "success")
    return redirect(url_for("seances.seance", seance_id=seance_id))


@bp.post("/<int:seance_id>/reporter")
@allowed(access.may_manage_seances)
def reporter(seance_id: int) -> Response | tuple[str, int]:
    target = as_id(request.form.get("cible")) or 0
    try:
        moved = calendar.transfer_agenda(db(), current_actor(), seance_id, target)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return seance_page(seance_id, errors=error.errors, status=422)
    flash(f"{moved} dossier(s) reporté(s) à l'autre séance.", "success")
    return redirect(url_for("seances.seance", seance_id=seance_id))


@bp.post("/<int:seance_id>/ordre/<int:inscription_id>/<any('monter', 'descendre'):sens>")
@allowed(access.may_manage_seances)
def ordre(seance_id: int, inscription_id: int, sens: str) -> Response:
    seance = common.get_seance(db(), seance_id)
    ordering.move_in_agenda(
        db(), current_actor(), seance, inscription_id, -1 if sens == "monter" else 1
    )
    db().commit()
    return redirect(url_for("seances.seance", seance_id=seance_id, _anchor="ordre-du-jour"))


@bp.post("/<int:seance_id>/inscrire")
@allowed(access.may_manage_seances)
def inscrire(seance_id: int) -> Response | tuple[str, int]:
    """Put the chosen dossiers on the agenda, each in its own transaction; the page then says
    which were put on and which were refused, and why."""
    common.get_seance(db(), seance_id)
    chosen = [key for value in request.form.getlist("dossiers") if (key := as_id(value))]
    if not chosen:
        return seance_page(
            seance_id, errors={"dossiers": "Cochez au moins un dossier à inscrire."}, status=422
        )
    actor = current_actor()
    results = []
    for instance_id in dict.fromkeys(chosen[:MAX_BULK]):
        try:
            outcome = inscription.inscrire_a_la_seance(db(), actor, seance_id, instance_id)
        except (InventaireError, OperationalError) as error:
            log.warning("Bulk inscription of dossier %s refused", instance_id, exc_info=True)
            message = getattr(
                error, "user_message", "Le dossier a changé entre-temps\u00a0: réessayez."
            )
            outcome = inscription.Outcome(instance_id, f"dossier {instance_id}", False, message)
        if outcome.done:
            db().commit()
        else:
            db().rollback()
        results.append(outcome)
    return seance_page(seance_id, results=results)
