"""TOTP two-factor sign-in for staff: enrolment (secret as text and QR code, a first code,
recovery codes shown once), the second step at sign-in (wrong, replayed, throttled codes;
a recovery code once), an administrator's reset, and the deployment's setting (off, optional,
required for administrators)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import AuditEvent, RecoveryCode, TotpEnrolment, User
from tests.support import PASSWORD, Browser, text_of

NewBrowser = Callable[[], Browser]
ENROL = "/compte/double-authentification"
STAFF = "rapporteur@example.org"


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield [datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)]


def enrol(browser: Browser, at: datetime) -> tuple[str, list[str]]:
    """Enrols the signed-in user: the secret read from the page, a first code; the recovery
    codes shown."""
    with freeze_time(at):
        page = browser.get(ENROL)
        assert page.status_code == 200, text_of(page)
        body = page.get_data(as_text=True)
        assert "<svg" in body and 'class="qr-code"' in body
        found = re.search(r'<code id="cle-secrete">([A-Z2-7 ]+)</code>', body)
        assert found, body
        secret = found.group(1).replace(" ", "")
        response = browser.post(ENROL, {"code": pyotp.TOTP(secret).at(at)})
    assert response.status_code == 200, text_of(response)
    assert "Double authentification activée" in text_of(response)
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def password_step(browser: Browser, email: str, at: datetime) -> TestResponse:
    with freeze_time(at):
        return browser.post("/connexion", {"email": email, "password": PASSWORD})


def code_step(browser: Browser, code: str, at: datetime) -> TestResponse:
    with freeze_time(at):
        return browser.post("/connexion/code", {"code": code})


def test_enrolment_then_sign_in_with_a_code(
    browser_factory: NewBrowser, clock: list[datetime], session: Session
) -> None:
    agent = browser_factory()
    with freeze_time(clock[0]):
        agent.login(STAFF)
        assert "Double authentification" in text_of(agent.get("/instruction/"))
        # A wrong first code: not enabled, the same secret offered again.
        page = agent.get(ENROL)
        refused = agent.post(ENROL, {"code": "000000"})
    assert refused.status_code == 422
    assert "Code incorrect" in text_of(refused)
    secret_before = re.search(r'id="cle-secrete">([^<]+)<', page.get_data(as_text=True))
    assert secret_before and secret_before.group(1) in refused.get_data(as_text=True)
    secret, codes = enrol(agent, clock[0])
    session.rollback()
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    with freeze_time(clock[0]):
        again = agent.get(ENROL)
    assert "La double authentification est activée pour votre compte" in text_of(again)
    assert codes[0] not in again.get_data(as_text=True)  # shown once only

    clock[0] += timedelta(minutes=2)
    visitor = browser_factory()
    response = password_step(visitor, STAFF, clock[0])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/connexion/code")
    with freeze_time(clock[0]):
        assert visitor.get("/instruction/").status_code == 302  # not signed in yet
        assert "Code de vérification" in text_of(visitor.get("/connexion/code"))
    wrong = code_step(
        visitor, "123456" if pyotp.TOTP(secret).at(clock[0]) != "123456" else "654321", clock[0]
    )
    assert wrong.status_code == 401
    assert "Code incorrect" in text_of(wrong)
    code = pyotp.TOTP(secret).at(clock[0])
    assert code_step(visitor, code, clock[0]).status_code == 302
    with freeze_time(clock[0]):
        assert visitor.get("/instruction/").status_code == 200

    # The same code again, within its window, from another browser: refused.
    thief = browser_factory()
    password_step(thief, STAFF, clock[0])
    replayed = code_step(thief, code, clock[0] + timedelta(seconds=5))
    assert replayed.status_code == 401
    assert "Ce code a déjà servi" in text_of(replayed)
    with freeze_time(clock[0]):
        assert thief.get("/instruction/").status_code == 302

    # A recovery code, once.
    clock[0] += timedelta(minutes=1)
    other = browser_factory()
    password_step(other, STAFF, clock[0])
    response = code_step(other, codes[3].upper().replace("-", " "), clock[0])
    assert response.status_code == 302
    with freeze_time(clock[0]):
        assert "code de secours, qui ne servira plus" in text_of(other.get("/instruction/"))
    later = browser_factory()
    password_step(later, STAFF, clock[0])
    assert code_step(later, codes[3], clock[0]).status_code == 401
    session.rollback()
    trail = " ".join(session.scalars(select(AuditEvent.summary)))
    assert f"Double authentification activée : {STAFF}." in trail.replace("\u00a0", " ")
    assert "Code de secours utilisé" in trail


def test_wrong_codes_are_throttled(browser_factory: NewBrowser, clock: list[datetime]) -> None:
    agent = browser_factory()
    with freeze_time(clock[0]):
        agent.login(STAFF)
    secret, _codes = enrol(agent, clock[0])
    clock[0] += timedelta(minutes=1)  # the enrolment's code is spent: the next ones
    visitor = browser_factory()
    password_step(visitor, STAFF, clock[0])
    wrong = "111111" if pyotp.TOTP(secret).at(clock[0]) != "111111" else "222222"
    for _ in range(3):
        assert code_step(visitor, wrong, clock[0]).status_code == 401
    answered = code_step(visitor, wrong, clock[0])
    assert "attendez 2 secondes avant de réessayer" in text_of(answered)
    refused = code_step(visitor, pyotp.TOTP(secret).at(clock[0]), clock[0])
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert "ce code n'a pas été vérifié" in text_of(refused)
    clock[0] += timedelta(seconds=3)
    assert code_step(visitor, pyotp.TOTP(secret).at(clock[0]), clock[0]).status_code == 302


def test_the_second_step_needs_the_password_first(browser: Browser) -> None:
    response = browser.get("/connexion/code")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/connexion")


def test_a_submitter_is_not_offered_two_factor(browser_factory: NewBrowser) -> None:
    submitter = browser_factory()
    submitter.login("demandeur@example.org")
    assert "Double authentification" not in text_of(submitter.get("/demandes/"))
    assert submitter.get(ENROL).status_code == 404


def test_an_administrator_resets_another_s_two_factor(
    browser_factory: NewBrowser, clock: list[datetime], session: Session
) -> None:
    agent = browser_factory()
    with freeze_time(clock[0]):
        agent.login(STAFF)
    enrol(agent, clock[0])
    user = session.scalar(select(User).where(User.email == STAFF))
    assert user is not None
    admin = browser_factory()
    with freeze_time(clock[0]):
        admin.login("admin@example.org")
        page = admin.get(f"/admin/comptes/{user.id}")
        assert "Réinitialiser la double authentification" in text_of(page)
        response = admin.post(
            f"/admin/comptes/{user.id}/double-authentification",
            from_page=f"/admin/comptes/{user.id}",
        )
    assert response.status_code == 302
    session.rollback()
    assert session.get(TotpEnrolment, user.id) is None
    assert session.scalars(select(RecoveryCode)).all() == []
    trail = " ".join(session.scalars(select(AuditEvent.summary))).replace("\u00a0", " ")
    assert f"Double authentification réinitialisée par un administrateur : {STAFF}." in trail
    # The password alone signs in again.
    visitor = browser_factory()
    assert password_step(visitor, STAFF, clock[0]).headers["Location"].endswith("/")
    # Only an administrator may.
    with freeze_time(clock[0]):
        assert (
            agent.post(
                f"/admin/comptes/{user.id}/double-authentification", from_page="/instruction/"
            ).status_code
            == 403
        )


@pytest.fixture
def app_with(database_url: str, upload_dir: object) -> Iterator[Callable[[str], Flask]]:
    from web import create_app

    made: list[Flask] = []

    def make(mode: str) -> Flask:
        application = create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test", "TOTP": mode}
        )
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["db_engine"].dispose()


def test_required_for_admins_sends_an_admin_to_enrolment_first(
    app_with: Callable[[str], Flask], clock: list[datetime]
) -> None:
    required = app_with("required-for-admins")
    admin = Browser(required.test_client())
    with freeze_time(clock[0]):
        admin.login("admin@example.org")
        response = admin.get("/admin/comptes")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(ENROL)
        page = admin.get(ENROL)
        assert "Les administrateurs doivent activer la double authentification" in text_of(page)
    enrol(admin, clock[0])
    with freeze_time(clock[0]):
        assert admin.get("/admin/comptes").status_code == 200
    # An agent who is no administrator is not forced.
    agent = Browser(required.test_client())
    with freeze_time(clock[0]):
        agent.login(STAFF)
        assert agent.get("/instruction/").status_code == 200


def test_off_asks_no_code_and_offers_no_enrolment(
    app_with: Callable[[str], Flask], browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    agent = browser_factory()
    with freeze_time(clock[0]):
        agent.login(STAFF)
    enrol(agent, clock[0])
    off = Browser(app_with("off").test_client())
    with freeze_time(clock[0]):
        off.login(STAFF)  # the password alone
        assert off.get("/instruction/").status_code == 200
        assert off.get(ENROL).status_code == 404


def test_an_unknown_mode_is_refused_at_start(app_with: Callable[[str], Flask]) -> None:
    with pytest.raises(ValueError, match="INVENTAIRE_TOTP"):
        app_with("parfois")
