"""OpenID Connect sign-in through a real provider (panva's oidc-provider, run by Node on
127.0.0.1), driven in Chromium: its own login and consent pages, the authorization code with
PKCE, the ID token checked against its keys, the userinfo, its sign-out."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from waitress import wasyncore
from waitress.server import create_server

from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.db import make_session_factory
from engine.core.models import (
    AuditEvent,
    OidcIdentity,
    RoleName,
    User,
    UserRole,
    UserSession,
)
from engine.people import two_factor
from engine.people.accounts import find_user_by_email
from tests.browser.conftest import report_csp_violations
from tests.browser.test_accessibility import violations
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from tests.support import PASSWORD

NEW_EMAIL = "nadia.nouvelle@exemple.gouv.fr"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "nouvelle": {
        "sub": "sujet-nouvelle",
        "email": NEW_EMAIL,
        "email_verified": True,
        "name": "Nadia Nouvelle",
    },
    "rapporteur": {
        "sub": "sujet-rapporteur",
        "email": "Rapporteur@example.org",  # the account's email, another case
        "email_verified": True,
        "name": "Rémi R.",
    },
    "non-verifiee": {
        "sub": "sujet-non-verifiee",
        "email": "rapporteur2@example.org",
        "email_verified": False,
        "name": "Quelqu'un",
    },
    "admin": {
        "sub": "sujet-admin",
        "email": "admin@example.org",
        "email_verified": True,
        "name": "Alice A.",
    },
}


@dataclass
class Site:
    url: str
    issuer: str
    accounts_file: Path
    app: Flask


@contextmanager
def serve(
    database_url: str,
    upload_dir: Path,
    accounts_file: Path,
    *,
    signed_userinfo: bool = False,
    configured_as: str = "127.0.0.1",
) -> Iterator[Site]:
    """The application configured for the provider, served on a free port; the provider is
    told the application's address (its client's redirect URIs) before the app is made."""
    from web import create_app

    holder: dict[str, Flask] = {}
    server = create_server(
        lambda environ, start: holder["app"](environ, start),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=0,
        threads=4,
    )
    url = f"http://127.0.0.1:{server.effective_port}"
    with oidc_provider(url, accounts_file, signed_userinfo=signed_userinfo) as issuer:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-oidc",
                "UPLOAD_DIR": str(upload_dir),
                "OIDC_ISSUER": issuer.replace("127.0.0.1", configured_as),
                "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_NAME": "ProConnect",
            }
        )
        holder["app"] = app
        stop = threading.Event()

        def run() -> None:  # waitress's loop, in steps, so that it ends before its sockets do
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield Site(url, issuer, accounts_file, app)
        finally:
            stop.set()
            thread.join()
            server.close()
            app.extensions["db_engine"].dispose()


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = tmp_path_factory.mktemp("oidc") / "accounts.json"
    found.write_text(json.dumps(ACCOUNTS))
    return found


@pytest.fixture(scope="module")
def site(
    db_engine: Engine, database_url: str, upload_dir: Path, accounts_file: Path
) -> Iterator[Site]:
    with serve(database_url, upload_dir, accounts_file) as found:
        yield found


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    with make_session_factory(db_engine)() as db_session:
        yield db_session


@pytest.fixture(autouse=True)
def forget_identities(db_engine: Engine, site: Site) -> Iterator[None]:
    """Each test starts with no identity bound and without the account a first sign-in made."""
    site.accounts_file.write_text(json.dumps(ACCOUNTS))
    yield
    with db_engine.begin() as connection:
        connection.execute(delete(OidcIdentity))
        new = connection.scalar(select(User.id).where(User.email == NEW_EMAIL))
        if new is not None:
            connection.execute(delete(UserSession).where(UserSession.user_id == new))
            connection.execute(delete(AuditEvent).where(AuditEvent.actor_id == new))
            connection.execute(delete(UserRole).where(UserRole.user_id == new))
            connection.execute(delete(User).where(User.id == new))


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser (no cookie of ours nor of the provider's); our pages' CSP is watched,
    the provider's pages have none of it."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    violations = report_csp_violations(context)
    # The provider's development pages import a web font: nothing leaves this machine.
    context.route("https://**/*", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def start(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/connexion")
    page.get_by_role("button", name="S'identifier avec ProConnect").click()
    page.wait_for_url(f"{site.issuer}/**")


def provider_login(page: Page, site: Site, login_name: str) -> None:
    """The provider's own pages: its login (any password), then its consent."""
    page.fill("input[name=login]", login_name)
    page.fill("input[name=password]", "mot de passe du fournisseur")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.url.startswith(site.issuer):  # the consent page, asked once per grant
        page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/**")


def sign_in(page: Page, site: Site, login_name: str) -> None:
    start(page, site)
    provider_login(page, site, login_name)


def trail(session: Session, user_id: int) -> list[str]:
    session.rollback()  # what the server committed since (SQLite reads a snapshot)
    return list(
        session.scalars(
            select(AuditEvent.summary).where(AuditEvent.actor_id == user_id).order_by(AuditEvent.id)
        )
    )


def test_the_sign_in_page_offers_the_provider_only_when_configured(
    page: Page, site: Site, live_server: str
) -> None:
    page.goto(f"{site.url}/connexion")
    assert page.get_by_role("button", name="S'identifier avec ProConnect").is_visible()
    assert violations(page) == []
    page.goto(f"{live_server}/connexion")  # the tests' usual app: no provider configured
    assert "ProConnect" not in page.content()
    assert page.locator("#email").is_visible()


def test_a_first_sign_in_creates_an_account_without_role_that_an_admin_then_grants(
    page: Page, site: Site, session: Session, chromium: Browser
) -> None:
    sign_in(page, site, "nouvelle")
    body = page.locator("body").inner_text()
    assert "Votre compte est créé" in body
    assert "Bienvenue, Nadia Nouvelle." in body
    assert page.get_by_role("button", name="Se déconnecter").count() >= 1

    user = find_user_by_email(session, NEW_EMAIL)
    assert user is not None and user.role_names == frozenset()
    bound = session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == user.id))
    assert bound is not None
    assert (bound.issuer, bound.subject) == (site.issuer, "sujet-nouvelle")
    summaries = trail(session, user.id)
    assert any("créé à sa première connexion par ProConnect" in line for line in summaries)
    assert f"Connexion de {NEW_EMAIL} par ProConnect." in summaries

    # The administrator finds the account among the others and grants it a role.
    admin = chromium.new_context(locale="fr-FR").new_page()
    admin.goto(f"{site.url}/connexion")  # with the password, beside the provider's button
    admin.fill("#email", "admin@example.org")
    admin.fill("#password", PASSWORD)
    admin.get_by_role("button", name="Se connecter", exact=True).click()
    admin.goto(f"{site.url}/admin/comptes")
    row = admin.locator("tr", has_text=NEW_EMAIL)
    assert "Aucun rôle (à attribuer)" in row.inner_text()
    row.get_by_role("link", name="Nadia Nouvelle").click()
    admin.locator("label[for=role-rapporteur]").click()
    admin.get_by_role("button", name="Enregistrer").click()
    assert "Compte mis à jour." in admin.locator("body").inner_text()
    admin.context.close()
    session.rollback()
    assert user.role_names == frozenset({RoleName.RAPPORTEUR})

    # Signed in again through the provider, the same account opens, with its role now.
    page.goto(f"{site.url}/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    if page.url.startswith(site.issuer):
        page.get_by_role("button", name="Yes, sign me out").click()
    sign_in(page, site, "nouvelle")
    assert "/instruction" in page.url
    session.rollback()
    assert session.scalars(select(User.id).where(User.email == NEW_EMAIL)).all() == [user.id]


def test_a_verified_email_opens_the_existing_account_with_its_roles_and_sign_out_ends_both(
    page: Page, site: Site, session: Session
) -> None:
    rapporteur = find_user_by_email(session, "rapporteur@example.org")
    assert rapporteur is not None
    sign_in(page, site, "rapporteur")
    assert "Bienvenue, Rémi Rapporteur." in page.locator("body").inner_text()
    assert "/instruction" in page.url  # the rapporteur's inbox: the roles kept
    session.rollback()
    assert rapporteur.role_names == frozenset({RoleName.RAPPORTEUR})
    assert rapporteur.name == "Rémi Rapporteur"
    bound = session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == rapporteur.id))
    assert bound is not None and bound.subject == "sujet-rapporteur"
    assert any("relié à son identité ProConnect" in line for line in trail(session, rapporteur.id))

    # Sign-out: ours, then the provider's (its end_session_endpoint), back to our sign-in page.
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url(f"{site.issuer}/**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{site.url}/connexion**")
    assert "Vous êtes déconnecté." in page.locator("body").inner_text()
    page.goto(f"{site.url}/instruction/")
    assert "/connexion" in page.url
    # The provider's session ended too: it asks who you are again.
    start(page, site)
    assert page.locator("input[name=login]").is_visible()


def test_the_bound_subject_opens_the_account_even_after_its_email_changed(
    page: Page, site: Site, session: Session
) -> None:
    sign_in(page, site, "rapporteur")
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{site.url}/connexion**")
    changed = {**ACCOUNTS, "rapporteur": {**ACCOUNTS["rapporteur"], "email": "r.r@ailleurs.fr"}}
    site.accounts_file.write_text(json.dumps(changed))
    sign_in(page, site, "rapporteur")
    assert "Bienvenue, Rémi Rapporteur." in page.locator("body").inner_text()
    session.rollback()
    assert find_user_by_email(session, "r.r@ailleurs.fr") is None
    bound = session.scalar(select(OidcIdentity).where(OidcIdentity.subject == "sujet-rapporteur"))
    assert bound is not None and bound.email == "r.r@ailleurs.fr"


def test_an_unverified_email_is_refused_with_a_message(
    page: Page, site: Site, session: Session
) -> None:
    sign_in(page, site, "non-verifiee")
    assert urlsplit(page.url).path == "/connexion/oidc/retour"
    alert = page.get_by_role("alert").inner_text()
    assert violations(page) == []  # the page with its message
    assert "n'est pas vérifiée par ProConnect" in alert
    assert "rapporteur2@example.org" in alert
    assert page.get_by_role("button", name="Se déconnecter").count() == 0
    session.rollback()
    assert session.scalar(select(OidcIdentity.id)) is None


def test_a_reply_whose_state_does_not_match_is_refused(
    page: Page, site: Site, session: Session
) -> None:
    """The provider's reply carried back with another `state` (a forged or swapped link), or
    in another browser than the one that started: refused, nobody signed in. The genuine reply,
    in the browser that started, then signs in (the refusal was the state's)."""
    reply = provider_reply(page, site, "rapporteur")
    query = parse_qs(urlsplit(reply).query)
    assert query["code"] and query["state"]
    forged = {**{key: values[0] for key, values in query.items()}, "state": "un-autre-etat"}
    page.goto(f"{site.url}/connexion/oidc/retour?{urlencode(forged)}")
    assert (
        "ne correspond à aucune connexion commencée ici" in page.get_by_role("alert").inner_text()
    )
    assert page.get_by_role("button", name="Se déconnecter").count() == 0

    browser = page.context.browser
    assert browser is not None
    stranger = browser.new_context(locale="fr-FR").new_page()
    stranger.goto(reply)
    alert = stranger.get_by_role("alert").inner_text()
    assert "ne correspond à aucune connexion commencée ici" in alert
    stranger.context.close()
    session.rollback()
    assert session.scalar(select(OidcIdentity.id)) is None

    page.goto(reply)
    assert "Bienvenue, Rémi Rapporteur." in page.locator("body").inner_text()


def provider_reply(page: Page, site: Site, login_name: str) -> str:
    """Through the provider's pages with the browser's own cookies (its request context), up
    to the reply it sends back to us: the address with `code` and `state`, not opened."""
    start(page, site)
    form = {"prompt": "login", "login": login_name, "password": "mot de passe du fournisseur"}
    response = page.request.post(page.url, form=form, max_redirects=0)
    for _ in range(10):
        target = urljoin(response.url, response.headers["location"])
        if target.startswith(f"{site.url}/"):
            return target
        if urlsplit(target).path.startswith("/interaction/"):  # its consent
            response = page.request.post(target, form={"prompt": "consent"}, max_redirects=0)
        else:
            response = page.request.get(target, max_redirects=0)
    raise AssertionError("the provider never sent the reply back")


def test_a_cancelled_sign_in_says_so(page: Page, site: Site) -> None:
    start(page, site)
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url(f"{site.url}/**")
    assert "La connexion par ProConnect a été annulée." in page.get_by_role("alert").inner_text()


def test_an_account_enrolled_in_two_factor_still_types_its_code(
    page: Page, site: Site, session: Session
) -> None:
    admin = find_user_by_email(session, "admin@example.org")
    assert admin is not None
    actor = Actor.from_user(admin)
    enrolment = two_factor.begin(session, admin.id)
    two_factor.confirm(session, actor, pyotp.TOTP(enrolment.secret).now(), utcnow())
    session.commit()
    sign_in(page, site, "admin")
    assert urlsplit(page.url).path == "/connexion/code"
    page.fill("#code", pyotp.TOTP(enrolment.secret).at(utcnow(), counter_offset=1))
    page.get_by_role("button", name="Valider").click()
    assert "Bienvenue, Alice Admin." in page.locator("body").inner_text()


def test_a_userinfo_signed_as_a_jwt_is_read_like_proconnects(
    db_engine: Engine,
    database_url: str,
    upload_dir: Path,
    accounts_file: Path,
    page: Page,
    session: Session,
) -> None:
    """ProConnect sends its userinfo as a JWT signed with its keys (application/jwt): checked
    against the JWKS and read like the JSON one."""
    with serve(database_url, upload_dir, accounts_file, signed_userinfo=True) as signed:
        sign_in(page, signed, "rapporteur")
        assert "Bienvenue, Rémi Rapporteur." in page.locator("body").inner_text()
        session.rollback()
        bound = session.scalar(select(OidcIdentity).where(OidcIdentity.issuer == signed.issuer))
        assert bound is not None and bound.email == "rapporteur@example.org"
        unverified = ACCOUNTS["non-verifiee"]["email"]
        page.context.clear_cookies()
        sign_in(page, signed, "non-verifiee")
        assert f"({unverified}) n'est pas vérifiée" in page.get_by_role("alert").inner_text()


def test_a_provider_whose_discovery_names_another_issuer_is_refused(
    database_url: str, upload_dir: Path, accounts_file: Path, page: Page
) -> None:
    """Configured as http://localhost:<port>, the provider's discovery document says
    http://127.0.0.1:<port>: not the issuer we trust, nobody is sent there."""
    with serve(database_url, upload_dir, accounts_file, configured_as="localhost") as other:
        page.goto(f"{other.url}/connexion")
        page.get_by_role("button", name="S'identifier avec ProConnect").click()
        assert urlsplit(page.url).path == "/connexion/oidc"
        alert = page.get_by_role("alert").inner_text()
        assert "La réponse de ProConnect n'a pas pu être vérifiée" in alert
