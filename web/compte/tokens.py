"""*Jetons d'accès* in *Mon compte*: a person's own tokens for the JSON API."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine.core.errors import NotFound
from engine.core.models import ROLE_LABELS
from engine.people import api_tokens
from web.auth import current_actor, login_required
from web.compte import bp
from web.compte.views import _user
from web.database import db
from web.token_forms import TokenForm, create_from_form


def _page(form: TokenForm, status: int = 200) -> tuple[str, int]:
    user = _user()
    return (
        render_template(
            "compte/index.html",
            user=user,
            role_labels=ROLE_LABELS,
            tokens_with_owner=[(token, user) for token in api_tokens.tokens_of(db(), user.id)],
            token_form=form,
            scopes=api_tokens.SCOPES,
            state_of=api_tokens.state_of,
        ),
        status,
    )


@bp.post("/jetons")
@login_required
def token_new() -> tuple[str, int]:
    form = create_from_form(current_actor(), _user(), "personnel")
    page, status = _page(form, 422 if form.error else 201)
    return page, status


@bp.post("/jetons/<int:token_id>/revoquer")
@login_required
def token_revoke(token_id: int) -> Response:
    actor = current_actor()
    try:
        token = api_tokens.revoke(db(), actor, token_id, owner_id=actor.id)
    except NotFound:
        # Another's token, as an unknown one: hidden (the administration's page answers so).
        db().rollback()
        abort(404)
    db().commit()
    flash(f"Le jeton «\u00a0{token.name}\u00a0» est révoqué.", "success")
    return redirect(url_for("compte.index"))
