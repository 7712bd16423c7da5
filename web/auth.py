"""Sign-in (throttled), sign-out, the current actor from a server-side session, and access
decorators."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    after_this_request,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from engine.core import dialect
from engine.core.actor import Actor
from engine.core.clock import french_time, utcnow
from engine.core.models import User
from engine.core.settings import EngineSettings, SessionLifetimes
from engine.people import login_throttle, two_factor, user_sessions
from web.database import db, sessions

log = logging.getLogger("inventaire.web.auth")
bp = Blueprint("auth", __name__)
View = TypeVar("View", bound=Callable[..., Any])
# The Flask session (a signed cookie) holds this token only; the row says who and until when.
TOKEN = "jeton"
WRONG_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."
# While a second factor is awaited, the Flask session holds this only: {"u": user id,
# "t": when the password was right (seconds), "s": the page asked for}. No session yet.
PENDING = "deux_facteurs"
# After an OpenID Connect sign-in, the provider's ID token (for its sign-out: web/oidc.py).
PROVIDER_ID_TOKEN = "oidc_id_token"


def init_app(app: Flask) -> None:
    app.before_request(_load_actor)
    app.context_processor(lambda: {"actor": g.get("actor"), "official": app.config["OFFICIAL"]})


def lifetimes() -> SessionLifetimes:
    settings: EngineSettings = current_app.extensions["engine_settings"]
    return settings.sessions


def _load_actor() -> None:
    g.actor = None
    if request.endpoint == "static":
        return  # a file needs no actor: no query for it
    token = session.get(TOKEN)
    if not isinstance(token, str):
        return
    now = utcnow()
    # In the request's own transaction: one query, as cheap as the user lookup it replaces.
    found = user_sessions.resolve(db(), token, now, lifetimes())
    if found is None:
        # Signed out, expired or revoked: the token opens nothing any more. The CSRF token
        # stays, so a form posted after expiry leads to the sign-in page, not to an error.
        session.pop(TOKEN, None)
        return
    if found.stale:
        _touch_when_done(token, now)
    g.actor = found.actor


def _touch_when_done(token: str, now: datetime) -> None:
    """Record the activity once the response is sent, in a transaction of its own: the
    request's may hold SQLite's write lock until its end (waiting for it here would deadlock),
    and the activity must survive the request's rollback."""
    factory = sessions()

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(lambda: _touch(factory, token, now))
        return response


def _touch(factory: sessionmaker[Session], token: str, now: datetime) -> None:
    try:
        with factory() as writer:
            dialect.begin_writing(writer)
            user_sessions.touch(writer, token, now)
            writer.commit()
    except OperationalError:
        # Only the last-seen time is lost (the database is busy): the page was served anyway.
        log.warning("Session activity not recorded", exc_info=True)


def current_actor() -> Actor:
    actor: Actor | None = g.get("actor")
    if actor is None:
        abort(401)
    return actor


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            return redirect(url_for("auth.login", suivant=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def allowed(rule: Callable[[Actor], bool]) -> Callable[[View], View]:
    """Signed-in users whom `rule` (a rule of engine.workflow.access, the one the menus use)
    lets in; others get 403 (JSON callers too), visitors the sign-in page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor: Actor | None = g.get("actor")
            if actor is None:
                return redirect(url_for("auth.login", suivant=request.full_path.rstrip("?")))
            if not rule(actor):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def safe_next(target: str | None) -> str:
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("auth/login.html", email="", error=None)
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:200]
    if not (email and password):
        return _login_page(email, WRONG_CREDENTIALS, 401)
    attempt = login_throttle.sign_in(db(), email, password, request.remote_addr)
    if attempt.refused and attempt.retry_at is not None:
        db().rollback()
        return _refused(email, attempt.retry_at)
    if attempt.user is None:
        db().commit()
        return _login_page(email, _failure_message(attempt), 401)
    previous = session.get(TOKEN)
    if isinstance(previous, str):
        user_sessions.revoke(db(), previous)
    if _awaits_code(attempt.user):
        db().commit()
        session.clear()
        next_page = request.args.get("suivant") or ""
        session[PENDING] = {"u": attempt.user.id, "t": int(time.time()), "s": next_page}
        return redirect(url_for("auth.second_step"))
    token = user_sessions.open_session(db(), attempt.user.id, utcnow(), lifetimes())
    db().commit()
    session.clear()  # a new session for a new sign-in (nothing of the previous one kept)
    session[TOKEN] = token
    session.permanent = False
    flash(f"Bienvenue, {attempt.user.name}.", "success")
    return redirect(safe_next(request.args.get("suivant")))


def _awaits_code(user: User) -> bool:
    """Whether the sign-in asks this account for a second factor (it enrolled, and the
    deployment has not turned it off): web/two_factor.py's second step follows."""
    if two_factor.mode(db()) is two_factor.Mode.OFF:
        return False
    return two_factor.is_enrolled(db(), user.id)


def _login_page(email: str, error: str, status: int) -> tuple[str, int]:
    return render_template("auth/login.html", email=email, error=error), status


def _failure_message(attempt: login_throttle.SignIn) -> str:
    if attempt.retry_at is None:
        return WRONG_CREDENTIALS
    wait = in_words(seconds_until(attempt.retry_at))
    if login_throttle.ACCOUNT.kind in attempt.locks:
        return (
            f"{WRONG_CREDENTIALS} Après trop d'erreurs, les connexions à ce compte sont "
            f"suspendues pendant {wait}, jusqu'à {french_time(attempt.retry_at)} (heure de "
            "Paris). Si ce compte existe, son titulaire en est prévenu par courriel."
        )
    if login_throttle.ADDRESS.kind in attempt.locks:
        return (
            f"{WRONG_CREDENTIALS} Après trop d'erreurs, les connexions depuis votre adresse "
            f"réseau sont suspendues pendant {wait}, jusqu'à {french_time(attempt.retry_at)} "
            "(heure de Paris)."
        )
    return f"{WRONG_CREDENTIALS} Par sécurité, attendez {wait} avant de réessayer."


def _refused(email: str, retry_at: datetime) -> Response:
    """Too early: 429, the password not even checked, and when to come back."""
    seconds = seconds_until(retry_at)
    message = (
        "Trop de tentatives de connexion erronées\u00a0: par sécurité, votre mot de passe n'a pas "
        f"été vérifié. Réessayez dans {in_words(seconds)}"
        + (f", à partir de {french_time(retry_at)} (heure de Paris)." if seconds >= 60 else ".")
    )
    response = make_response(render_template("auth/login.html", email=email, error=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - utcnow()).total_seconds()))


def in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


@bp.post("/deconnexion")
def logout() -> Response:
    token = session.get(TOKEN)
    if isinstance(token, str):
        user_sessions.revoke(db(), token)  # a copy of the cookie opens nothing any more
        db().commit()
    # Signed in through an OpenID Connect provider (web/oidc.py): its session ends too.
    id_token = session.get(PROVIDER_ID_TOKEN)
    provider_sign_out = current_app.extensions.get("provider_sign_out")
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    if isinstance(id_token, str) and provider_sign_out is not None:
        target = provider_sign_out(id_token)
        if target:
            return redirect(target)
    return redirect(url_for("auth.login"))
