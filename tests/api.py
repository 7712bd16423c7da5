"""The JSON API's callers in tests: a token made for a demo account, requests carrying it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.actor import SYSTEM
from engine.core.models import User
from engine.people import api_tokens


def token_for(
    session: Session,
    email: str,
    scopes: tuple[str, ...] = ("lecture", "ecriture"),
    *,
    days: int = 30,
    kind: str = "personnel",
) -> str:
    """A new token of that account (committed): its secret."""
    session.rollback()  # a fresh transaction: SQLite refuses to write from an older snapshot
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    created = api_tokens.create(
        session, SYSTEM, user, name=f"essai {email}", scopes=set(scopes), days=days, kind=kind
    )
    session.commit()
    return created.secret


def call(
    client: FlaskClient, method: str, url: str, token: str | None = None, **kwargs: Any
) -> TestResponse:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = client.open(url, method=method, headers=headers, **kwargs)
    response.get_data()
    response.close()
    return response
