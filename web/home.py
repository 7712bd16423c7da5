"""The home page: where each user starts."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine.workflow import access

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Response | str:
    actor = g.get("actor")
    if actor is not None:
        if access.may_use_submitter_space(actor):
            return redirect(url_for("demandes.index"))
        if access.may_use_inbox(actor):
            return redirect(url_for("instruction.inbox"))
        if access.may_open_studio(actor):
            return redirect(url_for("studio.index"))
        if access.may_open_administration(actor):
            return redirect(url_for("admin.index"))
    return render_template("home/index.html")
