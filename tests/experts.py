"""Inviting an expert as the dossier page's form does, and reading the link their email
carries (tests' helper)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.clock import PARIS, utcnow
from engine.core.models import Email
from tests.support import Browser

EXPERT = "Élise Experte"
EXPERT_EMAIL = "elise.experte@universite-exemple.fr"
ASKED = "Merci d'examiner la cohérence du référentiel de compétences avec le métier visé."
OPINION = "Le référentiel couvre bien les activités du métier ; l'évaluation est solide."
LINK = re.compile(r"https?://[^\s]+/avis-expert/([0-9a-f]{64})")


def in_days(days: int) -> date:
    return utcnow().astimezone(PARIS).date() + timedelta(days=days)


def invite(
    browser: Browser,
    dossier: int | None,
    *,
    name: str = EXPERT,
    email: str = EXPERT_EMAIL,
    deadline: str | None = None,
    message: str = ASKED,
) -> TestResponse:
    """Post the invitation form; the CSRF token is read from another page."""
    return browser.post(
        f"/instruction/dossiers/{dossier}/avis-experts",
        {
            "nom": name,
            "courriel": email,
            "echeance": deadline if deadline is not None else in_days(10).isoformat(),
            "message": message,
        },
        from_page="/registre",
    )


def emails_to(session: Session, address: str, template: str | None = None) -> list[Email]:
    session.rollback()
    query = select(Email).where(Email.recipient == address).order_by(Email.id)
    if template is not None:
        query = query.where(Email.template == template)
    return list(session.scalars(query))


def link_path(email: Email) -> str:
    """The path of the expert's link the email carries."""
    found = LINK.search(email.body)
    assert found, email.body
    return f"/avis-expert/{found.group(1)}"
