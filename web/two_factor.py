"""TOTP two-factor sign-in (engine/people/two_factor.py): the second step of the sign-in, the
enrolment page, an administrator's reset, and the redirection of an administrator without it
to the enrolment when the deployment requires it."""

from __future__ import annotations

import time
from typing import Any

import segno
from flask import (
    Flask,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from engine.core.actor import Actor
from engine.core.clock import french_time, utcnow
from engine.core.errors import FormInvalid
from engine.core.models import User
from engine.people import login_throttle, two_factor, user_sessions
from engine.workflow import access
from web.auth import (
    PENDING,
    PROVIDER_ID_TOKEN,
    TOKEN,
    allowed,
    bp,
    current_actor,
    in_words,
    lifetimes,
    login_required,
    safe_next,
    seconds_until,
)
from web.database import db

Page = str | tuple[str, int] | Response
# The second step must follow the password within this time.
PENDING_SECONDS = 300
# What an administrator without the second factor may still open when it is required.
_OPEN_WHILE_REQUIRED = {"auth.two_factor", "auth.logout", "static", "auth.login"}


def init_app(app: Flask) -> None:
    app.before_request(_require_enrolment)
    app.context_processor(_offered)


def _offered() -> dict[str, Any]:
    actor: Actor | None = g.get("actor")
    return {
        "two_factor_offered": actor is not None
        and two_factor.offered_to(actor.roles, two_factor.mode(db()))
    }


def _require_enrolment() -> Response | None:
    actor: Actor | None = g.get("actor")
    if actor is None or actor.id is None or request.endpoint in _OPEN_WHILE_REQUIRED:
        return None
    if not two_factor.required_of(actor.roles, two_factor.mode(db())):
        return None
    if two_factor.is_enrolled(db(), actor.id):
        return None
    flash(
        "Les administrateurs doivent activer la double authentification avant toute autre action.",
        "warning",
    )
    return redirect(url_for("auth.two_factor"))


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, ""
    started = pending.get("t")
    if not isinstance(started, int) or time.time() - started > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, ""
    user = db().get(User, pending.get("u")) if isinstance(pending.get("u"), int) else None
    if user is None or not user.active:
        return None, ""
    return user, str(pending.get("s") or "")


@bp.route("/connexion/code", methods=["GET", "POST"], endpoint="second_step")
def second_step() -> Page:
    user, next_page = _pending_user()
    if user is None:
        flash("Saisissez d'abord votre adresse électronique et votre mot de passe.", "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/code.html", error=None)
    retry_at = login_throttle.code_wait(db(), user.id)
    if retry_at is not None:
        db().rollback()
        seconds = seconds_until(retry_at)
        message = (
            "Trop de codes erronés\u00a0: par sécurité, ce code n'a pas été vérifié. "
            f"Réessayez dans {in_words(seconds)}, à partir de {french_time(retry_at)} "
            "(heure de Paris)."
        )
        response = make_response(render_template("auth/code.html", error=message), 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    outcome = two_factor.check(db(), user, request.form.get("code", "")[:100], utcnow())
    if outcome in (two_factor.Outcome.WRONG, two_factor.Outcome.REPLAYED):
        retry_at = login_throttle.code_failed(db(), user.id)
        db().commit()
        message = (
            "Ce code a déjà servi\u00a0: attendez le suivant sur votre application."
            if outcome is two_factor.Outcome.REPLAYED
            else "Code incorrect\u00a0: saisissez les 6\u00a0chiffres affichés par votre "
            "application, ou un code de secours."
        )
        if retry_at is not None:
            message += (
                f" Par sécurité, attendez {in_words(seconds_until(retry_at))} avant de réessayer."
            )
        return render_template("auth/code.html", error=message), 401
    login_throttle.code_succeeded(db(), user.id)
    token = user_sessions.open_session(db(), user.id, utcnow(), lifetimes())
    db().commit()
    pending = session.get(PENDING)
    id_token = pending.get("i") if isinstance(pending, dict) else None  # web/oidc.py's
    session.clear()
    session[TOKEN] = token
    if isinstance(id_token, str):
        session[PROVIDER_ID_TOKEN] = id_token
    session.permanent = False
    if outcome is two_factor.Outcome.RECOVERY:
        flash(
            "Vous vous êtes connecté avec un code de secours, qui ne servira plus. S'il ne vous "
            "en reste que peu, demandez à un administrateur de réinitialiser votre double "
            "authentification.",
            "warning",
        )
    flash(f"Bienvenue, {user.name}.", "success")
    return redirect(safe_next(next_page))


@bp.route("/compte/double-authentification", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def enrol() -> Page:
    actor = current_actor()
    assert actor.id is not None
    if not two_factor.offered_to(actor.roles, two_factor.mode(db())):
        abort(404)
    found = two_factor.begin(db(), actor.id)
    if found.confirmed_at is not None:
        db().rollback()
        return render_template("auth/two_factor.html", enrolled=found, codes=None)
    error = None
    if request.method == "POST":
        try:
            codes = two_factor.confirm(db(), actor, request.form.get("code", "")[:100], utcnow())
            db().commit()
            return render_template("auth/two_factor.html", enrolled=found, codes=codes)
        except FormInvalid as invalid:
            error = invalid.errors.get("code")
    db().commit()  # the secret shown is kept until confirmed
    uri = two_factor.provisioning_uri(found, actor.email)
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, svgclass="qr-code", lineclass=None)
    return (
        render_template(
            "auth/two_factor.html",
            enrolled=None,
            codes=None,
            secret=" ".join(found.secret[i : i + 4] for i in range(0, len(found.secret), 4)),
            qr=Markup(svg),
            error=error,
        ),
        422 if error else 200,
    )


@bp.post("/admin/comptes/<int:user_id>/double-authentification", endpoint="reset_two_factor")
@allowed(access.may_administer)
def reset_two_factor(user_id: int) -> Response:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    two_factor.remove(db(), user, current_actor())
    db().commit()
    flash(f"Double authentification de {user.name} réinitialisée.", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))
