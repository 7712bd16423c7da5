"""Passwords: the policy wherever one is set (an administrator's form, a reset by email), and
« Mot de passe oublié ? »: a single-use link valid one hour, sent through the outbox, the same
answer for an unknown address, requests throttled, every session ended on reset."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import AuditEvent, Email, User
from engine.people import accounts
from tests.clock import run_worker_at
from tests.recensed import sessions_of
from tests.support import PASSWORD, Browser, text_of

NewBrowser = Callable[[], Browser]
FORGOT = "/connexion/mot-de-passe-oublie"
ACCOUNT = "demandeur3@example.org"
NEW_PASSWORD = "une phrase de passe bien longue"
LINK = re.compile(r"https?://[^/\s]+(/connexion/nouveau-mot-de-passe/\S+)")
SAME_ANSWER = "Si un compte actif existe à l'adresse"


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """A clock the test moves forward (never back: a cookie signed in the future is refused)."""
    yield [datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)]


@pytest.fixture
def admin(browser_factory: NewBrowser) -> Browser:
    browser = browser_factory()
    browser.login("admin@example.org")
    return browser


@pytest.fixture
def demandeur3(session: Session) -> Iterator[int]:
    """demandeur3's account, put back as it was (active, usual password) after the test."""
    user = session.scalar(select(User).where(User.email == ACCOUNT))
    assert user is not None
    key = user.id
    session.commit()
    yield key
    session.rollback()
    user = session.get(User, key)
    assert user is not None
    accounts.set_active(user, True)
    accounts.set_password(user, PASSWORD, enforce_policy=False)
    session.commit()


def outbox(app: Flask, recipient: str) -> list[Email]:
    with sessions_of(app)() as session:
        return list(
            session.scalars(select(Email).where(Email.recipient == recipient).order_by(Email.id))
        )


def ask_link(
    browser: Browser, email: str, at: datetime, address: str = "198.51.100.7"
) -> TestResponse:
    with freeze_time(at):
        return browser.post(FORGOT, {"email": email}, environ_base={"REMOTE_ADDR": address})


def emailed_link(app: Flask, at: datetime, recipient: str = ACCOUNT) -> str:
    run_worker_at(sessions_of(app), at)
    emails = outbox(app, recipient)
    assert emails, "no email"
    found = LINK.search(emails[-1].body)
    assert found, emails[-1].body
    return found.group(1)


def choose(
    browser: Browser, link: str, at: datetime, password: str, confirmation: str | None = None
) -> TestResponse:
    with freeze_time(at):
        return browser.post(link, {"password": password, "confirmation": confirmation or password})


# --- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("onze-carac", "Le mot de passe doit compter au moins 12 caractères (il en compte 10)."),
        ("1qaz2wsx3edc", "Ce mot de passe figure parmi les plus courants"),
        ("password123456", "Ce mot de passe figure parmi les plus courants"),
        ("Azertyuiop2024!", "Ce mot de passe figure parmi les plus courants"),
        ("aaaaaaaaaaaaaaaa", "Ce mot de passe répète un ou deux caractères"),
        ("claire.nouvelle2024", "ne doit pas reprendre votre adresse électronique ou votre nom"),
        ("x" * 201, "Le mot de passe doit compter au plus 200 caractères."),
    ],
)
def test_an_account_with_a_weak_password_is_refused_and_the_form_kept(
    admin: Browser, session: Session, password: str, message: str
) -> None:
    form = {
        "email": "claire.nouvelle@example.org",
        "name": "Claire Nouvelle",
        "password": password,
        "roles": ["rapporteur"],
    }
    response = admin.post("/admin/comptes/nouveau", form)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    # What was typed is kept, except the password.
    body = response.get_data(as_text=True)
    assert 'value="claire.nouvelle@example.org"' in body
    assert 'value="Claire Nouvelle"' in body
    assert f'value="{password}"' not in body
    assert 'value="rapporteur" checked' in body
    session.rollback()
    assert session.scalar(select(User).where(User.email == form["email"])) is None


def test_an_administrator_cannot_give_a_common_password(
    admin: Browser, browser_factory: NewBrowser, session: Session, demandeur3: int
) -> None:
    form = {"name": "Dominique Demandeur", "roles": ["demandeur"], "active": "on"}
    user = session.get(User, demandeur3)
    assert user is not None
    form["organisation_id"] = str(user.organisation_id or "")
    session.rollback()
    response = admin.post(f"/admin/comptes/{demandeur3}", form | {"password": "qwertyuiop123"})
    assert response.status_code == 422
    assert "Ce mot de passe figure parmi les plus courants" in text_of(response)
    browser_factory().login(ACCOUNT)  # the password is unchanged
    response = admin.post(f"/admin/comptes/{demandeur3}", form | {"password": NEW_PASSWORD})
    assert response.status_code == 302
    browser_factory().login(ACCOUNT, NEW_PASSWORD)


def test_an_account_with_a_good_password_is_created(admin: Browser, session: Session) -> None:
    page = text_of(admin.get("/admin/comptes/nouveau"))
    assert "12 caractères au moins, pas un mot de passe courant" in page
    form = {
        "email": "bonne.phrase@example.org",
        "name": "Bonne Phrase",
        "password": "cheval agrafe pile correcte",
        "roles": ["rapporteur"],
    }
    assert admin.post("/admin/comptes/nouveau", form).status_code == 302
    session.rollback()
    user = session.scalar(select(User).where(User.email == form["email"]))
    assert user is not None
    session.delete(user)
    session.commit()


def test_the_minimum_length_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from web.config import engine_settings, from_environment
    from web.links import WebLinks

    assert from_environment(str(tmp_path))["PASSWORD_MIN_LENGTH"] == 12
    monkeypatch.setenv("INVENTAIRE_PASSWORD_MIN_LENGTH", "16")
    config = from_environment(str(tmp_path))
    links = WebLinks(Flask(__name__).url_map, "http://localhost")
    assert engine_settings(config, links).password_min_length == 16
    # Never below 8, whatever is set.
    assert engine_settings({"PASSWORD_MIN_LENGTH": "4"}, links).password_min_length == 8


# --- « Mot de passe oublié ? » ---------------------------------------------------------------


def test_a_password_is_reset_by_email_and_every_session_ends(
    app: Flask,
    browser_factory: NewBrowser,
    session: Session,
    clock: list[datetime],
    demandeur3: int,
) -> None:
    signed_in = browser_factory()
    with freeze_time(clock[0]):
        signed_in.login(ACCOUNT)
        assert signed_in.get("/demandes/").status_code == 200

    visitor = browser_factory()
    with freeze_time(clock[0]):
        login_page = visitor.get("/connexion")
    assert 'href="/connexion/mot-de-passe-oublie"' in login_page.get_data(as_text=True)
    assert "Mot de passe oublié ?" in text_of(login_page)
    response = ask_link(visitor, ACCOUNT, clock[0])
    assert response.status_code == 200
    assert f"{SAME_ANSWER} {ACCOUNT}, un courriel vient d'y être envoyé." in text_of(response)

    link = emailed_link(app, clock[0])
    email = outbox(app, ACCOUNT)[-1]
    assert email.subject == "Choisir un nouveau mot de passe pour votre compte Inventaire"
    assert "Ce lien ne sert qu'une fois." in email.body

    clock[0] += timedelta(minutes=10)
    with freeze_time(clock[0]):
        page = visitor.get(link)
    assert page.status_code == 200
    assert f"Compte : {ACCOUNT}." in text_of(page)

    # Refused by the policy, or two different entries: the link stays good.
    response = choose(visitor, link, clock[0], "azertyuiop123")
    assert response.status_code == 422
    assert "Ce mot de passe figure parmi les plus courants" in text_of(response)
    response = choose(visitor, link, clock[0], NEW_PASSWORD, "une autre phrase bien longue")
    assert response.status_code == 422
    assert "Les deux mots de passe saisis diffèrent" in text_of(response)
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    with freeze_time(clock[0]):
        assert signed_in.get("/demandes/").status_code == 200  # nothing changed yet

    response = choose(visitor, link, clock[0], NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/connexion")
    with freeze_time(clock[0]):
        landing = visitor.get("/connexion")
        assert "Votre mot de passe a été changé" in text_of(landing)
        # Every session of the account ended; the old password opens nothing.
        assert signed_in.get("/demandes/").status_code == 302
        refused = visitor.post("/connexion", {"email": ACCOUNT, "password": PASSWORD})
        assert refused.status_code == 401
        visitor.login(ACCOUNT, NEW_PASSWORD)
        assert visitor.get("/demandes/").status_code == 200

        # The link served once.
        again = browser_factory().get(link)
    assert again.status_code == 410
    assert "Ce lien n'est plus valable : il a déjà servi" in text_of(again)

    session.rollback()
    trail = [event.summary for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert f"Lien de réinitialisation du mot de passe envoyé à {ACCOUNT}." in trail
    assert any(
        summary.startswith(f"Mot de passe réinitialisé par le lien envoyé à {ACCOUNT}")
        for summary in trail
    )


def test_a_link_expires_after_an_hour(
    app: Flask, browser_factory: NewBrowser, clock: list[datetime], demandeur3: int
) -> None:
    visitor = browser_factory()
    ask_link(visitor, ACCOUNT, clock[0])
    link = emailed_link(app, clock[0])
    clock[0] += timedelta(minutes=61)
    with freeze_time(clock[0]):
        page = visitor.get(link)
    assert page.status_code == 410
    assert "Ce lien a expiré (il vaut une heure)" in text_of(page)
    response = choose(visitor, link, clock[0], NEW_PASSWORD)
    assert response.status_code == 410
    with freeze_time(clock[0]):
        browser_factory().login(ACCOUNT)  # the password is unchanged


def test_a_link_dies_when_the_password_changes_otherwise(
    app: Flask,
    admin: Browser,
    browser_factory: NewBrowser,
    session: Session,
    clock: list[datetime],
    demandeur3: int,
) -> None:
    visitor = browser_factory()
    ask_link(visitor, ACCOUNT, clock[0])
    first = emailed_link(app, clock[0])
    user = session.get(User, demandeur3)
    assert user is not None
    accounts.set_password(user, "changé par un administrateur")
    session.commit()
    with freeze_time(clock[0]):
        assert visitor.get(first).status_code == 410


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    app: Flask, browser_factory: NewBrowser, clock: list[datetime], session: Session
) -> None:
    known = ask_link(browser_factory(), "demandeur2@example.org", clock[0])
    unknown = ask_link(browser_factory(), "personne@example.org", clock[0])
    assert known.status_code == unknown.status_code == 200
    assert text_of(known).replace("demandeur2@example.org", "X") == text_of(unknown).replace(
        "personne@example.org", "X"
    )
    run_worker_at(sessions_of(app), clock[0])
    assert len(outbox(app, "demandeur2@example.org")) == 1
    assert outbox(app, "personne@example.org") == []


def test_a_deactivated_account_gets_no_link(
    app: Flask,
    browser_factory: NewBrowser,
    clock: list[datetime],
    session: Session,
    demandeur3: int,
) -> None:
    user = session.get(User, demandeur3)
    assert user is not None
    accounts.set_active(user, False)
    session.commit()
    response = ask_link(browser_factory(), ACCOUNT, clock[0])
    assert SAME_ANSWER in text_of(response)
    run_worker_at(sessions_of(app), clock[0])
    assert outbox(app, ACCOUNT) == []


def test_requests_are_throttled_per_address_typed_and_per_network(
    app: Flask, browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    visitor = browser_factory()
    for second in range(4):  # 3 free, the 4th answered and a minute's wait imposed after it
        moment = clock[0] + timedelta(seconds=second)
        assert ask_link(visitor, "demandeur2@example.org", moment).status_code == 200
    refused = ask_link(visitor, "demandeur2@example.org", clock[0] + timedelta(seconds=4))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "59"
    page = text_of(refused)
    assert "Trop de demandes de lien pour cette adresse ou depuis votre réseau" in page
    assert 'value="demandeur2@example.org"' in refused.get_data(as_text=True)
    # An unknown address is throttled the same way.
    for _ in range(4):
        ask_link(visitor, "personne@example.org", clock[0], address="198.51.100.8")
    assert ask_link(visitor, "personne@example.org", clock[0], "198.51.100.8").status_code == 429
    run_worker_at(sessions_of(app), clock[0] + timedelta(seconds=4))
    assert len(outbox(app, "demandeur2@example.org")) == 4
    clock[0] += timedelta(seconds=64)
    assert ask_link(visitor, "demandeur2@example.org", clock[0]).status_code == 200
    # One network asking for many addresses is slowed down too.
    answers = [
        ask_link(visitor, f"inconnu{number}@example.org", clock[0], "192.0.2.50").status_code
        for number in range(12)
    ]
    assert answers[:11] == [200] * 11 and answers[11] == 429


@pytest.mark.parametrize(
    "token",
    ["abc", "1.2.3", "99999999999999999999.1.x", "1." + "9" * 40 + ".x", "é.è.à", "x" * 5000],
)
def test_a_forged_link_opens_nothing(browser: Browser, token: str) -> None:
    response = browser.get(f"/connexion/nouveau-mot-de-passe/{token}")
    assert response.status_code == 410
    assert "Ce lien n'est plus valable" in text_of(response)


def test_an_empty_request_is_answered_in_french(browser: Browser) -> None:
    response = browser.post(FORGOT, {"email": "  "})
    assert response.status_code == 422
    assert "Saisissez l'adresse électronique de votre compte." in text_of(response)
