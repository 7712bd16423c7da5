"""API tokens: made in *Mon compte* or by an administrator, shown once, kept hashed, refused
once expired or revoked, their last use recorded; scopes; rate limits with 429 and Retry-After;
errors as French problem details."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.models import ApiToken, AuditEvent
from engine.people.api_tokens import token_hash
from tests.api import call, token_for
from tests.support import Browser, text_of

SECRET = re.compile(r'<code id="jeton-secret">(inv_[A-Za-z0-9_-]+)</code>')


def test_a_personal_token_is_shown_once_kept_hashed_and_opens_the_api(
    browser: Browser, client: FlaskClient, session: Session
) -> None:
    browser.login("demandeur@example.org")
    made = browser.post(
        "/compte/jetons",
        {"nom": "SI de la branche", "portees": ["lecture", "ecriture"], "jours": "30"},
        from_page="/compte/",
    )
    assert made.status_code == 201
    page = made.get_data(as_text=True)
    secret = SECRET.search(page)
    assert secret is not None, text_of(made)
    assert "il ne sera plus jamais affiché" in text_of(made)
    again = browser.get("/compte/").get_data(as_text=True)
    assert secret.group(1) not in again
    assert secret.group(1)[:10] in again  # its beginning, to recognise it
    session.rollback()
    row = session.scalar(select(ApiToken))
    assert row is not None and row.last_used_at is None
    assert row.token_hash == token_hash(secret.group(1))
    assert secret.group(1) not in (row.hint + row.token_hash + row.name)
    assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "jeton_cree")) is not None

    answer = call(client, "GET", "/api/v1/processus", secret.group(1))
    assert answer.status_code == 200
    assert {item["cle"] for item in answer.json["elements"]} >= {"recensement"}
    session.rollback()
    used = session.get(ApiToken, row.id)
    assert used is not None and used.last_used_at is not None
    assert used.last_used_from == "127.0.0.1"
    assert "Jamais" not in text_of(browser.get("/compte/"))


def test_revoked_expired_unknown_and_malformed_tokens_are_refused(
    browser: Browser, client: FlaskClient, session: Session
) -> None:
    browser.login("demandeur@example.org")
    secret = token_for(session, "demandeur@example.org")
    assert call(client, "GET", "/api/v1/taches", secret).status_code == 200
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_hash(secret)))
    revoked = browser.post(f"/compte/jetons/{token_id}/revoquer", from_page="/compte/")
    assert revoked.status_code == 302
    refused = call(client, "GET", "/api/v1/taches", secret)
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert refused.json["detail"] == "Ce jeton d'accès est inconnu, expiré ou révoqué."
    assert "Bearer" in refused.headers["WWW-Authenticate"]
    session.rollback()
    assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "jeton_revoque"))

    expired = token_for(session, "demandeur@example.org")
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash(expired))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    assert call(client, "GET", "/api/v1/taches", expired).status_code == 401
    assert call(client, "GET", "/api/v1/taches", "inv_" + "x" * 43).status_code == 401
    assert (
        call(client, "GET", "/api/v1/taches", headers={"Authorization": "Basic eg=="}).status_code
        == 401
    )
    anonymous = call(client, "GET", "/api/v1/taches")
    assert anonymous.status_code == 401
    assert "jeton" in anonymous.json["detail"]


def test_another_persons_token_cannot_be_revoked_from_my_account(
    browser: Browser, session: Session
) -> None:
    theirs = token_for(session, "demandeur2@example.org")
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_hash(theirs)))
    browser.login("demandeur@example.org")
    browser.post(f"/compte/jetons/{token_id}/revoquer", from_page="/compte/")
    session.rollback()
    token = session.get(ApiToken, token_id)
    assert token is not None and token.revoked_at is None


def test_scopes_are_enforced(client: FlaskClient, session: Session) -> None:
    reader = token_for(session, "demandeur@example.org", ("lecture",))
    refused = call(client, "POST", "/api/v1/dossiers", reader, json={"processus": "recensement"})
    assert refused.status_code == 403
    assert "portée «\u00a0ecriture\u00a0»" in refused.json["detail"]
    owner = token_for(session, "proprietaire@example.org", ("lecture", "ecriture"))
    assert call(client, "GET", "/api/v1/processus/recensement/versions", owner).status_code == 403
    owner_admin = token_for(session, "proprietaire@example.org", ("admin",))
    listed = call(client, "GET", "/api/v1/processus/recensement/versions", owner_admin)
    assert listed.status_code == 200
    number = listed.json["elements"][0]["version"]
    bpmn = call(client, "GET", f"/api/v1/processus/recensement/versions/{number}/bpmn", owner_admin)
    assert bpmn.status_code == 200 and bpmn.mimetype == "application/xml"
    assert b"<bpmn:definitions" in bpmn.data or b"definitions" in bpmn.data
    # The scope alone is not enough: a submitter's admin-scoped token reads no process version.
    submitter_admin = token_for(session, "demandeur@example.org", ("admin",))
    assert (
        call(client, "GET", "/api/v1/processus/recensement/versions", submitter_admin).status_code
        == 403
    )


def test_an_administrator_manages_service_account_tokens(
    browser: Browser, session: Session, client: FlaskClient
) -> None:
    browser.login("demandeur2@example.org")
    assert browser.get("/admin/jetons").status_code == 403
    browser.logout()
    browser.login("admin@example.org")
    page = browser.get("/admin/jetons")
    assert page.status_code == 200
    service = re.search(r'<option value="(\d+)">Paul Branche', page.get_data(as_text=True))
    assert service is not None
    made = browser.post(
        "/admin/jetons",
        {"compte": service.group(1), "nom": "SI CPNE", "portees": ["lecture"], "jours": "10"},
    )
    assert made.status_code == 201
    secret = SECRET.search(made.get_data(as_text=True))
    assert secret is not None
    assert call(client, "GET", "/api/v1/dossiers", secret.group(1)).status_code == 200
    listing = text_of(browser.get("/admin/jetons"))
    assert "SI CPNE" in listing and "Compte de service" in listing and "Actif" in listing
    session.rollback()
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "SI CPNE"))
    browser.post(f"/admin/jetons/{token_id}/revoquer", from_page="/admin/jetons")
    assert "Révoqué" in text_of(browser.get("/admin/jetons"))
    assert call(client, "GET", "/api/v1/dossiers", secret.group(1)).status_code == 401
    wrong = browser.post(
        "/admin/jetons",
        {"compte": service.group(1), "nom": "x", "portees": ["lecture"], "jours": "9999"},
    )
    assert wrong.status_code == 422
    assert "La durée de validité va de 1 à 366 jours." in text_of(wrong)


def test_rate_limits_answer_429_with_retry_after(
    database_url: str, upload_dir: Path, session: Session
) -> None:
    from web import create_app

    app: Flask = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
            "API_RATE_LIMIT_TOKEN": "3/minute",
            "API_RATE_LIMIT_ADDRESS": "5/minute",
        }
    )
    try:
        client = app.test_client()
        secret = token_for(session, "demandeur@example.org")
        statuses = [call(client, "GET", "/api/v1/taches", secret).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = call(client, "GET", "/api/v1/taches", secret)
        assert limited.mimetype == "application/problem+json"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "ce jeton" in limited.json["detail"]
        # Per address: the register, without a token, stops after the address's 5.
        answers = [call(client, "GET", "/api/v1/registre").status_code for _ in range(2)]
        assert answers[-1] == 429
        assert "adresse" in call(client, "GET", "/api/v1/registre").json["detail"]
    finally:
        app.extensions["db_engine"].dispose()
