"""axe-core on the password pages: *Mot de passe oublié ?* (the form, its refusal, the answer),
the page choosing a new password (with its refusals) and a dead link — no serious or critical
violation; the whole reset is done in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Email, User
from engine.people import accounts
from tests.browser.test_accessibility import violations
from tests.clock import run_worker_at
from tests.recensed import sessions_of
from tests.support import PASSWORD

ACCOUNT = "demandeur3@example.org"


@pytest.fixture
def restored(session: Session) -> Iterator[None]:
    yield
    session.rollback()
    user = session.scalar(select(User).where(User.email == ACCOUNT))
    assert user is not None
    accounts.set_password(user, PASSWORD, enforce_policy=False)
    session.commit()


def test_a_password_reset_in_the_browser(
    page: Page, live_server: str, app: Flask, session: Session, restored: None
) -> None:
    page.goto(f"{live_server}/connexion")
    page.click("text=Mot de passe oublié")
    page.wait_for_load_state()
    assert violations(page) == [], "form"
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Saisissez l'adresse électronique de votre compte." in page.inner_text("main")
    assert violations(page) == [], "refused"
    page.fill("#champ-email", ACCOUNT)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "un courriel vient d'y être envoyé" in page.inner_text("main")
    assert violations(page) == [], "sent"

    run_worker_at(sessions_of(app), datetime.now(UTC))
    session.rollback()
    body = session.scalars(select(Email).where(Email.recipient == ACCOUNT)).one().body
    found = re.search(r"https?://[^/\s]+(/connexion/nouveau-mot-de-passe/\S+)", body)
    assert found, body
    page.goto(live_server + found.group(1))
    assert violations(page) == [], "new password"
    page.fill("#champ-password", "azertyuiop123")
    page.fill("#champ-confirmation", "azertyuiop123")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "figure parmi les plus courants" in page.inner_text("main")
    assert violations(page) == [], "new password refused"
    page.fill("#champ-password", "une phrase de passe bien longue")
    page.fill("#champ-confirmation", "une phrase de passe bien longue")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/connexion")
    assert "Votre mot de passe a été changé" in page.inner_text("main")

    page.goto(live_server + found.group(1))
    assert "Ce lien n'est plus valable" in page.inner_text("main")
    assert violations(page) == [], "dead link"
