"""The séances' pages: the calendar, a séance (its ordre du jour, worked in order by the
commission, and the dossiers ready to be put on it), the procès-verbal, and both as PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from sqlalchemy import func, select

from engine.core.models import Inscription, Seance, SeanceStatus
from engine.workflow import access
from engine.workflow.seances import calendar, common, documents, inscription, pages
from web.auth import allowed, current_actor
from web.database import db

bp = Blueprint("seances", __name__, url_prefix="/seances")
SHOWN = 200


@bp.get("/")
@allowed(access.may_see_seances)
def index() -> str:
    seances = list(
        db().scalars(select(Seance).order_by(Seance.debut.desc(), Seance.id.desc()).limit(SHOWN))
    )
    sizes = dict(
        db()
        .execute(
            select(Inscription.seance_id, func.count())
            .where(Inscription.seance_id.in_([seance.id for seance in seances]))
            .group_by(Inscription.seance_id)
        )
        .all()
    )
    names = common.commissions(db())
    coming = [s for s in reversed(seances) if s.statut == SeanceStatus.PREVUE]
    others = [s for s in seances if s.statut != SeanceStatus.PREVUE]
    return render_template(
        "seances/index.html",
        coming=coming,
        others=others,
        sizes=sizes,
        names=names,
        seance_name=common.seance_name,
    )


def seance_page(
    seance_id: int,
    *,
    results: list[inscription.Outcome] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = current_actor()
    seance = common.get_seance(db(), seance_id)
    rows = pages.agenda(db(), seance)
    manage = access.may_manage_seances(actor)
    open_for_dossiers = manage and seance.statut != SeanceStatus.ANNULEE
    return (
        render_template(
            "seances/seance.html",
            seance=seance,
            title=common.seance_name(seance),
            commission=common.commissions(db()).get(seance.commission, seance.commission),
            rows=rows,
            counts=pages.counts(rows),
            manage=manage,
            ready=inscription.ready_dossiers(db(), seance.commission) if open_for_dossiers else [],
            targets=calendar.coming_seances(db(), seance.commission, besides=seance.id)
            if manage and seance.statut == SeanceStatus.PREVUE
            else [],
            label=lambda other: common.seance_name(other),
            results=results or [],
            errors=errors or {},
        ),
        status,
    )


@bp.get("/<int:seance_id>")
@allowed(access.may_see_seances)
def seance(seance_id: int) -> tuple[str, int]:
    return seance_page(seance_id)


@bp.get("/<int:seance_id>/proces-verbal")
@allowed(access.may_see_seances)
def proces_verbal(seance_id: int) -> str:
    seance = common.get_seance(db(), seance_id)
    rows = pages.agenda(db(), seance)
    return render_template(
        "seances/proces_verbal.html",
        seance=seance,
        title=common.seance_name(seance),
        commission=common.commissions(db()).get(seance.commission, seance.commission),
        rows=rows,
        counts=pages.counts(rows),
    )


@bp.post("/<int:seance_id>/<any('ordre-du-jour', 'proces-verbal'):kind>.pdf")
@allowed(access.may_see_seances)
def pdf(seance_id: int, kind: str) -> Response:
    seance = common.get_seance(db(), seance_id)
    filename, content = documents.seance_pdf(db(), current_actor(), seance, kind)
    db().commit()
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def form_page(
    template_values: dict[str, Any], *, errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    values = template_values | {"errors": errors or {}}
    values.setdefault("data", {key: request.form.get(key, "") for key in calendar.FIELDS})
    return render_template("seances/formulaire.html", **values), status
