"""OpenID Connect sign-in's settings, and its failures that need no provider answering: off
unless configured, a provider that cannot be reached (a closed port: a real refused
connection). The round trips through a real provider: tests/browser/test_oidc_sign_in.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from engine.core.settings import OidcSettings
from tests.support import Browser, text_of
from web.config import oidc_settings


def test_nothing_is_configured_without_an_issuer_and_a_client_id() -> None:
    assert oidc_settings({}) is None
    assert oidc_settings({"OIDC_ISSUER": "https://op.example"}) is None
    assert oidc_settings({"OIDC_CLIENT_ID": "inventaire"}) is None


def test_the_settings_read_from_the_configuration() -> None:
    found = oidc_settings(
        {
            "OIDC_ISSUER": "https://op.example/api/v2/",
            "OIDC_CLIENT_ID": "inventaire",
            "OIDC_SCOPES": "email  given_name",
            "OIDC_NAME": "FranceConnect",
            "OIDC_TRUST_EMAILS": True,
        }
    )
    assert found == OidcSettings(
        issuer="https://op.example/api/v2",
        client_id="inventaire",
        name="FranceConnect",
        label="S'identifier avec FranceConnect",
        scopes="openid email given_name",
        trust_emails=True,
    )


def test_without_a_provider_the_page_has_no_button_and_the_routes_do_not_exist(
    browser: Browser,
) -> None:
    page = text_of(browser.get("/connexion"))
    assert "S'identifier avec" not in page
    assert browser.post("/connexion/oidc", from_page="/connexion").status_code == 404
    assert browser.get("/connexion/oidc/retour?code=x&state=y").status_code == 404


@pytest.fixture
def unreachable(db_engine: Engine, database_url: str, upload_dir: Path) -> Iterator[Flask]:
    """The application configured for a provider whose address answers nothing (a port just
    freed by the system)."""
    from web import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-oidc",
            "UPLOAD_DIR": str(upload_dir),
            "OIDC_ISSUER": f"http://127.0.0.1:{port}",
            "OIDC_CLIENT_ID": "inventaire",
        }
    )
    yield app
    app.extensions["db_engine"].dispose()


def test_a_provider_that_cannot_be_reached_gets_a_french_message(unreachable: Flask) -> None:
    browser = Browser(unreachable.test_client())
    assert "S'identifier avec ProConnect" in text_of(browser.get("/connexion"))
    response = browser.post("/connexion/oidc", from_page="/connexion")
    assert response.status_code == 503
    assert "ProConnect ne répond pas pour le moment" in text_of(response)
    # Its reply cannot be checked either (its keys cannot be read): refused, not a 500.
    response = browser.get("/connexion/oidc/retour?code=x&state=y")
    assert response.status_code == 502
    assert "La réponse de ProConnect n'a pas pu être vérifiée" in text_of(response)
    # An error it sends back needs no check: said in French, its code shown only if it is one.
    response = browser.get("/connexion/oidc/retour?error=access_denied&state=y")
    assert "La connexion par ProConnect a été annulée." in text_of(response)
    response = browser.get("/connexion/oidc/retour?error=%3Cb%3Emauvais%3C%2Fb%3E&state=y")
    assert "ProConnect n'a pas permis la connexion (erreur)" in text_of(response)
    assert "mauvais" not in text_of(response)


def test_the_policy_lets_the_forms_reach_the_provider(unreachable: Flask) -> None:
    policy = unreachable.test_client().get("/connexion").headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:" in policy
