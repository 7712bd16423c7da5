"""*Vues enregistrées*: a person's named filters of a list, theirs alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import FormInvalid, NotFound
from engine.core.models import SavedView

LISTS = ("bannette", "dossiers")
NAME_FIELD = "nom"
MAX_NAME = 100
MAX_VIEWS = 50


def views_of(session: Session, actor: Actor, liste: str) -> Sequence[SavedView]:
    return session.scalars(
        select(SavedView)
        .where(SavedView.owner_id == actor.id, SavedView.liste == liste)
        .order_by(SavedView.name, SavedView.id)
    ).all()


def save(
    session: Session, actor: Actor, liste: str, name: str, params: Mapping[str, str]
) -> SavedView:
    """The filter `params` under `name` (a view of the same name is replaced)."""
    name = " ".join(name.split())
    if liste not in LISTS or actor.id is None:
        raise NotFound("Liste introuvable.")
    if not name:
        raise FormInvalid({NAME_FIELD: "Donnez un nom à cette vue."})
    if len(name) > MAX_NAME:
        raise FormInvalid({NAME_FIELD: f"Un nom de vue compte {MAX_NAME} caractères au plus."})
    query = urlencode(sorted(params.items()))[:2000]
    existing = session.scalar(
        select(SavedView).where(
            SavedView.owner_id == actor.id, SavedView.liste == liste, SavedView.name == name
        )
    )
    if existing is not None:
        existing.query = query
        session.flush()
        return existing
    if len(views_of(session, actor, liste)) >= MAX_VIEWS:
        raise FormInvalid(
            {NAME_FIELD: f"Vous avez déjà {MAX_VIEWS} vues\u00a0: supprimez-en une d'abord."}
        )
    view = SavedView(owner_id=actor.id, liste=liste, name=name, query=query, created_at=utcnow())
    session.add(view)
    session.flush()
    return view


def delete(session: Session, actor: Actor, view_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != actor.id:
        raise NotFound("Vue introuvable.")
    session.delete(view)
    session.flush()
    return view
