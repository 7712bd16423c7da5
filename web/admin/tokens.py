"""*Jetons d'accès* in the administration: every API token, and the service accounts' ones
made and revoked here."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import NotFound
from engine.core.models import User, as_id
from engine.people import api_tokens
from engine.workflow import access
from web.admin import bp
from web.auth import allowed, current_actor
from web.database import db
from web.token_forms import TokenForm, create_from_form


def _page(form: TokenForm, status: int = 200) -> tuple[str, int]:
    users = db().query(User).filter(User.active.is_(True)).order_by(User.name).all()
    return (
        render_template(
            "admin/jetons.html",
            tokens=api_tokens.all_tokens(db()),
            token_form=form,
            scopes=api_tokens.SCOPES,
            state_of=api_tokens.state_of,
            users=users,
        ),
        status,
    )


@bp.get("/jetons")
@allowed(access.may_administer)
def tokens() -> str:
    return _page(TokenForm())[0]


@bp.post("/jetons")
@allowed(access.may_administer)
def token_new() -> tuple[str, int]:
    user_id = as_id(request.form.get("compte", ""))
    user = db().get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        return _page(TokenForm(error="Choisissez un compte de service actif."), 422)
    form = create_from_form(current_actor(), user, "service")
    return _page(form, 422 if form.error else 201)


@bp.post("/jetons/<int:token_id>/revoquer")
@allowed(access.may_administer)
def token_revoke(token_id: int) -> Response:
    try:
        token = api_tokens.revoke(db(), current_actor(), token_id)
    except NotFound:
        db().rollback()
        abort(404)
    db().commit()
    flash(f"Le jeton «\u00a0{token.name}\u00a0» est révoqué.", "success")
    return redirect(url_for("admin.tokens"))
