"""Routes of *Mes absences*: declare, list, end early, cancel (engine.workflow.absences)."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import Conflict, Forbidden, FormInvalid, NotFound
from engine.core.models import RoleName, User, as_id
from engine.core.typography import date_filter
from engine.workflow import absences, access
from web.absences import bp
from web.auth import allowed, current_actor
from web.database import db
from web.errors import error_page

Page = str | tuple[str, int]


def parse_day(raw: str) -> date | None:
    """A day as the date field sends it (2026-12-24) or as people type it (24/12/2026)."""
    text = raw.strip()
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return None


def _render(values: dict[str, str], errors: dict[str, str]) -> Page:
    actor = current_actor()
    me = db().get(User, actor.id)
    is_admin = actor.has(RoleName.ADMIN)
    agents = absences.agents(db()) if is_admin else []
    if is_admin:
        suppleants = agents
    else:
        suppleants = absences.possible_suppleants(db(), me) if me is not None else []
    page = render_template(
        "absences/index.html",
        rows=absences.listing(db(), actor),
        values=values,
        errors=errors,
        agents=agents,
        suppleants=suppleants,
        may_be_absent=bool(me is not None and absences.agent_roles(me)),
        is_admin=is_admin,
    )
    return (page, 422) if errors else page


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@allowed(access.may_declare_absence)
def index() -> Page | Response:
    actor = current_actor()
    values = {"agent": str(actor.id), "suppleant": "", "debut": "", "fin": ""}
    if request.method == "GET":
        return _render(values, {})
    values = {key: request.form.get(key, "")[:40] for key in values}
    if not actor.has(RoleName.ADMIN):
        values["agent"] = str(actor.id)
    errors: dict[str, str] = {}
    debut = parse_day(values["debut"]) if values["debut"].strip() else None
    fin = parse_day(values["fin"]) if values["fin"].strip() else None
    if values["debut"].strip() and debut is None:
        errors["debut"] = "La date de début n'est pas une date (jj/mm/aaaa)."
    if values["fin"].strip() and fin is None:
        errors["fin"] = "La date de fin n'est pas une date (jj/mm/aaaa)."
    try:
        if errors:
            raise FormInvalid(errors)
        absence = absences.declare(
            db(), actor, as_id(values["agent"]), as_id(values["suppleant"]), debut, fin
        )
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return _render(values, error.errors)
    except Forbidden as error:
        db().rollback()
        return error_page(403, error.user_message)
    suppleant = db().get(User, absence.suppleant_id)
    flash(
        f"Absence enregistrée du {date_filter(absence.debut)} au {date_filter(absence.fin)}\u00a0: "
        f"{suppleant.name if suppleant else 'le suppléant'} reçoit les tâches et les rappels.",
        "success",
    )
    return redirect(url_for("absences.index"))


def _change(absence_id: int, action: str) -> Response | tuple[str, int]:
    actor = current_actor()
    try:
        if action == "terminer":
            absence = absences.end_early(db(), actor, absence_id)
            message = f"Absence écourtée\u00a0: elle se termine le {date_filter(absence.fin)}."
        else:
            absences.cancel(db(), actor, absence_id)
            message = "Absence annulée."
        db().commit()
    except NotFound as error:
        db().rollback()
        return error_page(404, error.user_message)
    except Forbidden as error:
        db().rollback()
        return error_page(403, error.user_message)
    except Conflict as error:
        db().rollback()
        return error_page(409, error.user_message)
    flash(message, "success")
    return redirect(url_for("absences.index"))


@bp.post("/<int:absence_id>/terminer")
@allowed(access.may_declare_absence)
def terminer(absence_id: int) -> Response | tuple[str, int]:
    return _change(absence_id, "terminer")


@bp.post("/<int:absence_id>/annuler")
@allowed(access.may_declare_absence)
def annuler(absence_id: int) -> Response | tuple[str, int]:
    return _change(absence_id, "annuler")
