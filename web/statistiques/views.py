"""Routes of the statistics pages (engine.workflow.statistics)."""

from __future__ import annotations

from flask import render_template

from engine.workflow import access
from engine.workflow.statistics import public_statistics, staff_statistics
from web.auth import allowed
from web.database import db
from web.statistiques import bp


@bp.get("", strict_slashes=False, endpoint="public")
def public() -> str:
    """Everyone: requests filed, decisions by outcome, median time to decision, per year."""
    return render_template("statistiques/public.html", years=public_statistics(db()))


@bp.get("/suivi", endpoint="staff")
@allowed(access.may_read_staff_statistics)
def staff() -> str:
    """The staff: dossiers by status, open tasks by step, median delays per step and month."""
    return render_template("statistiques/suivi.html", figures=staff_statistics(db()))
