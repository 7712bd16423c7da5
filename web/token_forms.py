"""The form that makes an API token, shared by *Mon compte* and the administration's page."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

from engine.core.actor import Actor
from engine.core.models import User
from engine.people import api_tokens
from web.database import db


@dataclass
class TokenForm:
    name: str = ""
    scopes: list[str] = field(default_factory=lambda: ["lecture"])
    days: str = str(api_tokens.DEFAULT_DAYS)
    error: str | None = None
    # The secret of the token just made: shown once, on the answer to the form.
    secret: str | None = None


def create_from_form(actor: Actor, user: User, kind: str) -> TokenForm:
    """Make the token the posted form asks for (committed), or the form back with its error."""
    form = TokenForm(
        name=request.form.get("nom", "")[:200],
        scopes=[scope for scope in request.form.getlist("portees") if scope][:5],
        days=request.form.get("jours", "")[:6],
    )
    try:
        days = int(form.days)
    except ValueError:
        form.error = f"Saisissez une durée en jours, de 1 à {api_tokens.MAX_DAYS}."
        return form
    try:
        created = api_tokens.create(
            db(), actor, user, name=form.name, scopes=set(form.scopes), days=days, kind=kind
        )
    except api_tokens.TokenRefused as error:
        db().rollback()
        form.error = str(error)
        return form
    db().commit()
    return TokenForm(secret=created.secret, name=created.token.name)
