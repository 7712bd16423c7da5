"""« Mot de passe oublié ? »: a link by email to choose a new password
(engine/people/password_reset.py). The same answer whether the address has an account or not;
requests throttled per address typed and per client address."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.clock import french_time, utcnow
from engine.core.errors import FormInvalid
from engine.core.settings import settings_of
from engine.people import password_reset
from web.auth import bp, in_words, seconds_until
from web.database import db

Page = str | tuple[str, int] | Response


@bp.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password() -> Page:
    if request.method == "GET":
        return render_template("auth/forgot.html", email="", errors={}, sent=False)
    email = request.form.get("email", "")[:254]
    if not email.strip():
        errors = {"email": "Saisissez l'adresse électronique de votre compte."}
        return render_template("auth/forgot.html", email=email, errors=errors, sent=False), 422
    retry_at = password_reset.ask(db(), email, request.remote_addr, utcnow())
    if retry_at is not None:
        db().rollback()
        seconds = seconds_until(retry_at)
        message = (
            "Trop de demandes de lien pour cette adresse ou depuis votre réseau\u00a0: "
            f"réessayez dans {in_words(seconds)}, à partir de {french_time(retry_at)} "
            "(heure de Paris)."
        )
        response = make_response(
            render_template("auth/forgot.html", email=email, errors={"email": message}, sent=False),
            429,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    db().commit()
    return render_template("auth/forgot.html", email=email.strip(), errors={}, sent=True)


@bp.route("/connexion/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Page:
    opened = password_reset.open_link(db(), token, utcnow())
    if opened.user is None:
        page = render_template(
            "auth/forgot.html", email="", errors={}, sent=False, link_problem=opened.problem
        )
        return page, 410
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            password_reset.choose(
                db(),
                opened.user,
                request.form.get("password", "")[:300],
                request.form.get("confirmation", "")[:300],
            )
            db().commit()
            flash(
                "Votre mot de passe a été changé et toutes vos connexions ont été fermées\u00a0: "
                "connectez-vous avec le nouveau.",
                "success",
            )
            return redirect(url_for("auth.login"))
        except FormInvalid as error:
            db().rollback()
            errors = error.errors
    return (
        render_template(
            "auth/reset.html",
            account=opened.user.email,
            errors=errors,
            password_min_length=settings_of(db()).password_min_length,
        ),
        422 if errors else 200,
    )
