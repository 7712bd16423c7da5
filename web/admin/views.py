"""Routes of the administration pages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core import audit
from engine.core.errors import Conflict, FormInvalid, NotFound
from engine.core.models import (
    ORGANISATION_KIND_LABELS,
    ROLE_LABELS,
    Organisation,
    RoleName,
    User,
    as_id,
)
from engine.core.settings import settings_of
from engine.people import accounts, two_factor
from engine.people.listing import organisations_list, users_list
from engine.workflow import access, personal_data
from web.admin import bp
from web.auth import allowed, current_actor
from web.database import db
from web.errors import error_page

Page = str | tuple[str, int] | Response


@bp.get("/")
@allowed(access.may_open_administration)
def index() -> str:
    return render_template("admin/index.html")


@bp.get("/comptes")
@allowed(access.may_administer)
def users() -> str:
    return render_template("admin/users.html", users=users_list(db()))


def _organisation_choices() -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in organisations_list(db())]


@bp.route("/comptes/nouveau", methods=["GET", "POST"])
@allowed(access.may_administer)
def user_new() -> Page:
    values: dict[str, object] = {"email": "", "name": "", "organisation_id": "", "roles": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "email": request.form.get("email", "")[:254],
            "name": request.form.get("name", "")[:200],
            "organisation_id": request.form.get("organisation_id", ""),
            "roles": request.form.getlist("roles"),
        }
        organisation_id = _organisation_id(values["organisation_id"], errors)
        if not errors:
            try:
                user = accounts.create_user(
                    db(),
                    email=str(values["email"]),
                    name=str(values["name"]),
                    password=request.form.get("password", "")[:300],
                    roles=request.form.getlist("roles"),
                    organisation_id=organisation_id,
                )
                audit.record(
                    db(), None, current_actor(), "compte", f"Compte créé\u00a0: {user.email}."
                )
                db().commit()
                flash(f"Compte créé pour {user.name}.", "success")
                return redirect(url_for("admin.users"))
            except FormInvalid as error:
                db().rollback()
                errors = error.errors
    return _render_user_form(values, errors, None)


def _organisation_id(raw: object, errors: dict[str, str]) -> int | None:
    if raw in ("", None):
        return None
    key = as_id(raw)
    if key is None or db().get(Organisation, key) is None:
        errors["organisation_id"] = "Choisissez une organisation de la liste."
        return None
    return key


def _render_user_form(values: dict[str, object], errors: dict[str, str], user: User | None) -> Page:
    return (
        render_template(
            "admin/user_form.html",
            values=values,
            errors=errors,
            user=user,
            organisations=_organisation_choices(),
            role_labels=ROLE_LABELS,
            password_min_length=settings_of(db()).password_min_length,
            two_factor_enrolled=user is not None and two_factor.is_enrolled(db(), user.id),
        ),
        422 if errors else 200,
    )


@bp.route("/comptes/<int:user_id>", methods=["GET", "POST"])
@allowed(access.may_administer)
def user_edit(user_id: int) -> Page:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    values: dict[str, object] = {
        "email": user.email,
        "name": user.name,
        "organisation_id": str(user.organisation_id or ""),
        "roles": sorted(user.role_names),
        "active": user.active,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values["name"] = request.form.get("name", "")[:200]
        values["organisation_id"] = request.form.get("organisation_id", "")
        values["roles"] = request.form.getlist("roles")
        values["active"] = request.form.get("active") == "on"
        organisation_id = _organisation_id(values["organisation_id"], errors)
        if not str(values["name"]).strip():
            errors["name"] = "Saisissez le nom."
        if user.id == current_actor().id and RoleName.ADMIN not in request.form.getlist("roles"):
            errors["roles"] = "Vous ne pouvez pas retirer votre propre rôle d'administrateur."
        password = request.form.get("password", "")[:300]
        try:
            if password:
                accounts.set_password(user, password)
            if not errors:
                user.name = str(values["name"]).strip()
                user.organisation_id = organisation_id
                accounts.set_active(user, bool(values["active"]))
                accounts.set_roles(db(), user, request.form.getlist("roles"))
                audit.record(
                    db(), None, current_actor(), "compte", f"Compte modifié\u00a0: {user.email}."
                )
                db().commit()
                flash("Compte mis à jour.", "success")
                return redirect(url_for("admin.users"))
        except FormInvalid as error:
            errors.update(error.errors)
        db().rollback()
    return _render_user_form(values, errors, user)


@bp.route("/organisations", methods=["GET", "POST"])
@allowed(access.may_administer)
def organisations() -> Page:
    values = {"kind": "", "name": "", "siret": "", "mandant_id": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "")[:300] for key in values}
        mandant = _organisation_id(values["mandant_id"], errors) if values["mandant_id"] else None
        try:
            if errors:
                raise FormInvalid(errors)
            organisation = accounts.create_organisation(
                db(),
                kind=values["kind"],
                name=values["name"],
                siret=values["siret"] or None,
                mandant_id=mandant,
            )
            audit.record(
                db(),
                None,
                current_actor(),
                "organisation",
                f"Organisation créée\u00a0: {organisation.name}.",
            )
            db().commit()
            flash(f"Organisation «\u00a0{organisation.name}\u00a0» créée.", "success")
            return redirect(url_for("admin.organisations"))
        except FormInvalid as error:
            db().rollback()
            errors = error.errors
    return (
        render_template(
            "admin/organisations.html",
            organisations=organisations_list(db()),
            values=values,
            errors=errors,
            kind_labels=ORGANISATION_KIND_LABELS,
        ),
        422 if errors else 200,
    )


@bp.route("/comptes/<int:user_id>/supprimer", methods=["GET", "POST"])
@allowed(access.may_administer)
def user_delete(user_id: int) -> Page:
    """*Supprimer le compte*: a confirmation, then the account kept under a pseudonym."""
    user = db().get(User, user_id)
    if user is None or user.deleted_at is not None:
        abort(404)
    if request.method == "GET":
        return render_template("admin/user_delete.html", user=user, typed="", error="")
    typed = request.form.get("confirmation", "")[:254]
    if typed.strip().lower() != user.email.lower():
        error = "Saisissez l'adresse électronique du compte pour confirmer sa suppression."
        page = render_template("admin/user_delete.html", user=user, typed=typed, error=error)
        return page, 422
    try:
        deleted = personal_data.delete_account(db(), current_actor(), user_id)
        db().commit()
    except (Conflict, NotFound) as error:
        db().rollback()
        return error_page(409 if isinstance(error, Conflict) else 404, error.user_message)
    flash(
        f"Compte supprimé\u00a0: il apparaît désormais sous le nom «\u00a0{deleted.name}\u00a0».",
        "success",
    )
    return redirect(url_for("admin.users"))
