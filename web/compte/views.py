"""Routes of *Mon compte*."""

from __future__ import annotations

import json

from flask import abort
from werkzeug.wrappers import Response

from engine.core.models import User
from engine.workflow.personal_data import held_about
from web.auth import current_actor, login_required
from web.compte import bp
from web.database import db


def _user() -> User:
    actor = current_actor()
    user = db().get(User, actor.id) if actor.id is not None else None
    if user is None:
        abort(404)
    return user


@bp.get("/")
@login_required
def index() -> str:
    from web.compte.tokens import _page
    from web.token_forms import TokenForm

    return _page(TokenForm())[0]


@bp.get("/mes-donnees.json")
@login_required
def mes_donnees() -> Response:
    """Everything held about the signed-in person, as a JSON file (RGPD art. 15 and 20)."""
    user = _user()
    body = json.dumps(held_about(db(), user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="inventaire-mes-donnees-{user.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
