"""Sign-in, sign-out, the current actor, and access decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.accounts import authenticate
from engine.actor import Actor
from engine.models import Role, User, UserRole
from web.database import db

bp = Blueprint("auth", __name__)
View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    app.before_request(_load_actor)
    app.context_processor(lambda: {"actor": g.get("actor"), "official": app.config["OFFICIAL"]})


def _load_actor() -> None:
    g.actor = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    # One Core query (no ORM objects, no second SELECT for the roles relationship).
    rows = (
        db()
        .execute(
            select(
                User.email,
                User.name,
                User.organisation_id,
                User.active,
                User.password_hash,
                Role.name,
            )
            .outerjoin(UserRole, UserRole.user_id == User.id)
            .outerjoin(Role, Role.id == UserRole.role_id)
            .where(User.id == user_id)
        )
        .all()
    )
    if (
        not rows
        or not rows[0].active
        or session.get("auth_version") != _version_of(rows[0].password_hash)
    ):
        session.clear()
        return
    first = rows[0]
    g.actor = Actor(
        id=user_id,
        email=first.email,
        name=first.name,
        organisation_id=first.organisation_id,
        roles=frozenset(row[5] for row in rows if row[5] is not None),
    )


def _auth_version(user: User) -> str:
    return _version_of(user.password_hash)


def _version_of(password_hash: str) -> str:
    # Changing the password invalidates other sessions.
    return password_hash[-16:]


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


def roles_required(*roles: str) -> Callable[[View], View]:
    """Signed-in users holding one of `roles`; others get 403 (JSON callers too)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor: Actor | None = g.get("actor")
            if actor is None:
                return redirect(url_for("auth.login", suivant=request.full_path.rstrip("?")))
            if not any(actor.has(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    email = ""
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:200]
        user = authenticate(db(), email, password) if email and password else None
        if user is None:
            error = "Adresse électronique ou mot de passe incorrect."
        else:
            session.clear()
            session["user_id"] = user.id
            session["auth_version"] = _auth_version(user)
            session.permanent = False
            flash(f"Bienvenue, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("suivant")))
        return render_template("auth/login.html", email=email, error=error), 401
    return render_template("auth/login.html", email=email, error=error)


@bp.post("/deconnexion")
def logout() -> Response:
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
