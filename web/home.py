"""The home page: where each user starts."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine.core.models import RoleName

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Response | str:
    actor = g.get("actor")
    if actor is not None:
        if actor.has(RoleName.DEMANDEUR):
            return redirect(url_for("demandes.index"))
        if actor.is_reviewer:
            return redirect(url_for("instruction.corbeille"))
        if actor.has(RoleName.PROPRIETAIRE):
            return redirect(url_for("studio.index"))
        if actor.has(RoleName.ADMIN):
            return redirect(url_for("admin.index"))
    return render_template("home/index.html")
