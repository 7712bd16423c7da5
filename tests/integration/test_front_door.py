"""The front door: sign-in throttled per account and per address, sessions that signing out (or
an administrator) really ends, and security headers on every response."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.core.models import Email, User
from engine.people import accounts
from tests.clock import run_worker_at
from tests.live_server import HttpUser, live_server
from tests.recensed import sessions_of
from tests.support import PASSWORD, Browser, text_of

NewBrowser = Callable[[], Browser]
WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """A clock the test moves forward (never back: a cookie signed in the future is refused)."""
    yield [datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)]


class Visitor:
    """A browser at a given network address, acting at the test's clock."""

    def __init__(self, browser: Browser, address: str, clock: list[datetime]) -> None:
        self.browser = browser
        self.address = address
        self.clock = clock

    def sign_in(self, email: str, password: str) -> TestResponse:
        with freeze_time(self.clock[0]):
            return self.browser.post(
                "/connexion",
                {"email": email, "password": password},
                environ_base={"REMOTE_ADDR": self.address},
            )

    def get(self, url: str) -> TestResponse:
        with freeze_time(self.clock[0]):
            return self.browser.get(url, environ_base={"REMOTE_ADDR": self.address})


def later(clock: list[datetime], **delta: float) -> None:
    clock[0] += timedelta(**delta)


def retry_after(response: TestResponse) -> int:
    assert response.status_code == 429, text_of(response)
    value = response.headers.get("Retry-After", "")
    assert value.isdigit() and int(value) > 0, value
    return int(value)


def fail_until_locked(visitor: Visitor, email: str) -> list[TestResponse]:
    """Wrong passwords, waiting each delay out, until the page says the account is locked."""
    answers = []
    for _ in range(60):
        response = visitor.sign_in(email, WRONG)
        answers.append(response)
        if response.status_code == 429:
            later(visitor.clock, seconds=retry_after(response))
            continue
        assert response.status_code == 401, text_of(response)
        if "suspendues pendant 15 minutes" in text_of(response):
            return answers
        later(visitor.clock, seconds=1)
    raise AssertionError("the account was never locked")


def outbox(app: Flask, recipient: str) -> list[Email]:
    with sessions_of(app)() as session:
        return list(session.scalars(select(Email).where(Email.recipient == recipient)))


# --- brute force -----------------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_is_refused(
    browser: Browser, clock: list[datetime]
) -> None:
    attacker = Visitor(browser, "203.0.113.10", clock)
    for _ in range(30):
        response = attacker.sign_in("demandeur@example.org", WRONG)
        assert response.status_code in (401, 429)
    response = attacker.sign_in("demandeur@example.org", PASSWORD)
    seconds = retry_after(response)
    page = text_of(response)
    assert "Trop de tentatives de connexion erronées" in page
    assert "votre mot de passe n'a pas été vérifié" in page
    assert f"Réessayez dans {seconds} seconde" in page
    assert attacker.get("/demandes/").status_code == 302  # not signed in


def test_the_lock_is_emailed_to_the_owner_and_lifts_after_its_time(
    app: Flask, browser: Browser, clock: list[datetime]
) -> None:
    attacker = Visitor(browser, "203.0.113.11", clock)
    answers = fail_until_locked(attacker, "demandeur@example.org")
    assert sum(response.status_code == 401 for response in answers) == 10
    assert "Si ce compte existe, son titulaire en est prévenu par courriel." in text_of(answers[-1])
    locked_at = clock[0]

    run_worker_at(sessions_of(app), locked_at)
    emails = outbox(app, "demandeur@example.org")
    assert len(emails) == 1
    assert emails[0].subject.startswith("Connexions à votre compte Inventaire suspendues")
    assert "saisi 10 fois de suite" in emails[0].body
    assert "demandez à un administrateur" in emails[0].body

    later(clock, minutes=14)  # still locked: even the right password is not checked
    response = attacker.sign_in("demandeur@example.org", PASSWORD)
    assert retry_after(response) <= 60
    assert "Réessayez dans" in text_of(response)

    later(clock, minutes=1, seconds=1)
    assert attacker.sign_in("demandeur@example.org", PASSWORD).status_code == 302
    assert attacker.get("/demandes/").status_code == 200
    # Signing in reset the account's counter: a typo now costs no wait.
    attacker.browser.logout()
    response = attacker.sign_in("demandeur@example.org", WRONG)
    assert response.status_code == 401
    assert text_of(response).count("Adresse électronique ou mot de passe incorrect.") == 1
    assert "attendez" not in text_of(response)


def test_an_unknown_email_gets_the_same_answers_and_no_email_is_sent(
    app: Flask, browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    known = Visitor(browser_factory(), "203.0.113.20", clock)
    unknown = Visitor(browser_factory(), "203.0.113.21", clock)
    statuses = []
    while "suspendues" not in text_of(one := known.sign_in("demandeur2@example.org", WRONG)):
        other = unknown.sign_in("personne@example.org", WRONG)
        assert one.status_code == other.status_code, text_of(other)
        assert one.headers.get("Retry-After") == other.headers.get("Retry-After")
        assert text_of(one) == text_of(other)
        statuses.append(one.status_code)
        later(clock, seconds=int(one.headers.get("Retry-After", "0")) or 1)
        assert len(statuses) < 40
    other = unknown.sign_in("personne@example.org", WRONG)
    assert one.status_code == other.status_code == 401
    assert text_of(one) == text_of(other)
    assert statuses[:5] == [401] * 5 and 429 in statuses
    later(clock, minutes=5)
    for password in (WRONG, PASSWORD):
        one = known.sign_in("demandeur2@example.org", password)
        other = unknown.sign_in("personne@example.org", password)
        assert retry_after(one) == retry_after(other)
        assert text_of(one) == text_of(other)

    run_worker_at(sessions_of(app), clock[0])
    assert len(outbox(app, "demandeur2@example.org")) == 1
    assert outbox(app, "personne@example.org") == []


def test_another_account_from_another_address_is_not_affected(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    attacker = Visitor(browser_factory(), "203.0.113.30", clock)
    fail_until_locked(attacker, "rapporteur@example.org")
    colleague = Visitor(browser_factory(), "198.51.100.7", clock)
    assert colleague.sign_in("rapporteur2@example.org", PASSWORD).status_code == 302
    assert colleague.get("/instruction/").status_code == 200
    # The locked account stays locked from any address.
    owner = Visitor(browser_factory(), "198.51.100.8", clock)
    retry_after(owner.sign_in("rapporteur@example.org", PASSWORD))


def test_many_accounts_tried_from_one_address_slow_that_address_down(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    sprayer = Visitor(browser_factory(), "2001:db8:1:2::10", clock)
    statuses = [
        sprayer.sign_in(f"personne{number}@example.org", WRONG).status_code for number in range(30)
    ]
    assert statuses[:20] == [401] * 20 and statuses[-1] == 429
    # Another machine of the same IPv6 /64 is the same client.
    neighbour = Visitor(browser_factory(), "2001:db8:1:2::99", clock)
    retry_after(neighbour.sign_in("demandeur3@example.org", PASSWORD))
    # Elsewhere, the same accounts are not slowed down.
    elsewhere = Visitor(browser_factory(), "2001:db8:9:9::1", clock)
    assert elsewhere.sign_in("personne29@example.org", WRONG).status_code == 401
    assert elsewhere.sign_in("demandeur3@example.org", PASSWORD).status_code == 302


def test_simultaneous_guesses_are_counted_one_by_one(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    """Twelve wrong passwords sent at the same moment (one browser each): 5 free failures and
    the 6th, which imposes a delay; the six others wait their turn and are refused."""
    browsers = [browser_factory() for _ in range(12)]
    tokens = [browser.csrf("/connexion") for browser in browsers]
    start = threading.Barrier(len(browsers), timeout=30)
    statuses: list[int] = []

    def guess(browser: Browser, token: str) -> None:
        start.wait()
        response = browser.client.post(
            "/connexion",
            data={"email": "commission@example.org", "password": WRONG, "csrf_token": token},
            environ_base={"REMOTE_ADDR": "203.0.113.40"},
        )
        statuses.append(response.status_code)

    with freeze_time(clock[0]):
        threads = [
            threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [401] * 6 + [429] * 6


def test_successful_sign_ins_never_slow_anyone_down(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    for _ in range(40):
        visitor = Visitor(browser_factory(), "192.0.2.50", clock)
        assert visitor.sign_in("recevabilite@example.org", PASSWORD).status_code == 302


# --- sessions --------------------------------------------------------------------------------


def test_a_cookie_saved_before_signing_out_opens_nothing_after(
    browser_factory: NewBrowser,
) -> None:
    user = browser_factory()
    user.login("demandeur@example.org")
    assert user.get("/demandes/").status_code == 200
    saved = user.client.get_cookie("session")
    assert saved is not None
    copy = browser_factory()
    copy.client.set_cookie("session", saved.value)
    assert copy.get("/demandes/").status_code == 200  # the copy works while signed in

    user.logout()
    replayed = copy.get("/demandes/")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/connexion")
    assert user.get("/demandes/").status_code == 302


def test_a_session_ends_after_two_idle_hours(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    user = Visitor(browser_factory(), "192.0.2.60", clock)
    assert user.sign_in("demandeur@example.org", PASSWORD).status_code == 302
    for _ in range(3):  # active: every 1 h 59 for almost 6 hours
        later(clock, hours=1, minutes=59)
        assert user.get("/demandes/").status_code == 200
    later(clock, hours=2, minutes=1)
    response = user.get("/demandes/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    browser_factory: NewBrowser, clock: list[datetime]
) -> None:
    user = Visitor(browser_factory(), "192.0.2.61", clock)
    assert user.sign_in("demandeur@example.org", PASSWORD).status_code == 302
    for _ in range(11):
        later(clock, hours=1)
        assert user.get("/demandes/").status_code == 200
    later(clock, minutes=59)
    assert user.get("/demandes/").status_code == 200
    later(clock, minutes=2)  # 12 h 01 after signing in, 2 minutes after the last page
    assert user.get("/demandes/").status_code == 302
    assert user.sign_in("demandeur@example.org", PASSWORD).status_code == 302
    assert user.get("/demandes/").status_code == 200


def test_the_lifetimes_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from web.config import from_environment

    assert from_environment(str(tmp_path))["SESSION_IDLE_MINUTES"] == 120
    assert from_environment(str(tmp_path))["SESSION_MAX_HOURS"] == 12
    monkeypatch.setenv("INVENTAIRE_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("INVENTAIRE_SESSION_MAX_HOURS", "8")
    config = from_environment(str(tmp_path))
    assert (config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (30, 8)


@pytest.fixture
def demandeur3(session: Session) -> Iterator[tuple[int, dict[str, Any]]]:
    """demandeur3's account and its form as the admin page holds it; put back as it was
    (active, usual password) after the test."""
    user = session.scalar(select(User).where(User.email == "demandeur3@example.org"))
    assert user is not None
    form = {
        "name": user.name,
        "organisation_id": str(user.organisation_id or ""),
        "roles": sorted(user.role_names),
    }
    key = user.id
    session.commit()
    yield key, form
    session.rollback()
    user = session.get(User, key)
    assert user is not None
    accounts.set_active(user, True)
    accounts.set_password(user, PASSWORD, enforce_policy=False)
    session.commit()


def edit_account(admin: Browser, account: tuple[int, dict[str, Any]], **changes: str) -> None:
    key, form = account
    response = admin.post(f"/admin/comptes/{key}", form | changes)
    assert response.status_code == 302, text_of(response)


def test_a_deactivated_user_is_signed_out_for_good(
    browser_factory: NewBrowser, demandeur3: tuple[int, dict[str, Any]]
) -> None:
    user = browser_factory()
    user.login("demandeur3@example.org")
    assert user.get("/demandes/").status_code == 200
    saved = user.client.get_cookie("session")
    assert saved is not None
    admin = browser_factory()
    admin.login("admin@example.org")

    edit_account(admin, demandeur3)  # "active" unticked
    assert user.get("/demandes/").status_code == 302
    edit_account(admin, demandeur3, active="on")  # reactivated: the old session stays ended
    replayed = browser_factory()
    replayed.client.set_cookie("session", saved.value)
    assert replayed.get("/demandes/").status_code == 302
    user.login("demandeur3@example.org")
    assert user.get("/demandes/").status_code == 200


def test_a_password_change_ends_the_other_sessions(
    browser_factory: NewBrowser, demandeur3: tuple[int, dict[str, Any]]
) -> None:
    user = browser_factory()
    user.login("demandeur3@example.org")
    admin = browser_factory()
    admin.login("admin@example.org")
    edit_account(admin, demandeur3, active="on", password="un-nouveau-mot-de-passe")
    assert user.get("/demandes/").status_code == 302
    assert admin.get("/admin/comptes").status_code == 200
    user.login("demandeur3@example.org", "un-nouveau-mot-de-passe")
    assert user.get("/demandes/").status_code == 200


# --- security headers ------------------------------------------------------------------------

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
VARIABLE = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
VALUES = {
    "filename": "inventaire.css",
    "key": "recensement",
    "numero": "INV00001",
    "name": "prequalification.dmn",
    "page_id": "identification",
}


def assert_headers(
    response: TestResponse, what: str, *, https: bool = False, editor: bool = False
) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (what, name, headers.get(name))
    policy = {
        part.split()[0]: part.split()[1:]
        for part in headers.get("Content-Security-Policy", "").split(";")
        if part.strip()
    }
    assert policy.get("default-src") == ["'self'"], (what, policy)
    assert policy.get("script-src") == ["'self'"], (what, policy)  # no inline, no eval
    # Inline styles only where bpmn-js and dmn-js draw (the studio's two editors).
    styles = ["'self'", "'unsafe-inline'"] if editor else ["'self'"]
    assert policy.get("style-src") == styles, (what, policy)
    assert policy.get("object-src") == ["'none'"], what
    assert policy.get("base-uri") == ["'self'"], what
    assert policy.get("form-action") == ["'self'"], what
    assert policy.get("frame-ancestors") == ["'none'"], what
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, (what, permissions)
    hsts = headers.get("Strict-Transport-Security")
    if https:
        assert hsts is not None and "max-age=" in hsts, what
    else:
        assert hsts is None, what


def request_every_route(app: Flask, browser: Browser, who: str, **checks: Any) -> int:
    seen = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        url = VARIABLE.sub(lambda match: VALUES.get(match.group(1), "1"), rule.rule)
        methods: set[str] = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        for method in sorted(methods):
            response = browser.client.open(url, method=method)
            response.get_data()
            response.close()
            assert response.status_code < 500, (who, method, url)
            what = f"{who} {method} {url} {response.status_code}"
            editor = rule.endpoint in ("studio.editor", "studio.decisions")
            assert_headers(response, what, editor=editor, **checks)
            seen += 1
    return seen


def test_every_response_has_the_security_headers(app: Flask, browser_factory: NewBrowser) -> None:
    anonymous = browser_factory()
    admin = browser_factory()
    admin.login("admin@example.org")
    rules: list[Rule] = list(app.url_map.iter_rules())
    assert request_every_route(app, anonymous, "anonyme") >= len(rules)
    assert request_every_route(app, admin, "admin") >= len(rules)
    assert admin.get("/admin/").status_code == 200  # still signed in: nothing was posted

    redirect = anonymous.get("/demandes/")
    assert redirect.status_code == 302
    assert_headers(redirect, "redirect")
    missing = admin.get("/nulle-part")
    assert missing.status_code == 404 and "Page introuvable" in text_of(missing)
    assert_headers(missing, "404")
    static = anonymous.get("/static/inventaire.css")
    assert static.status_code == 200
    assert_headers(static, "static file")
    missing_static = anonymous.get("/static/absent.js")
    assert missing_static.status_code == 404
    assert_headers(missing_static, "missing static file")
    head = anonymous.client.head("/registre")
    assert_headers(head, "HEAD")


def test_strict_transport_security_only_over_https(app: Flask, database_url: str) -> None:
    from web import create_app

    https_app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test", "HTTPS": True}
    )
    try:
        client = https_app.test_client()
        for url in ("/", "/connexion", "/static/inventaire.css", "/nulle-part", "/demandes/"):
            response = client.get(url, base_url="https://localhost")
            response.close()
            assert_headers(response, f"https {url}", https=True)
    finally:
        https_app.extensions["db_engine"].dispose()


def test_behind_a_trusted_proxy_each_client_address_is_counted(
    app: Flask, database_url: str
) -> None:
    from web import create_app

    def failures_from_many_clients(trusted_proxies: int) -> list[int]:
        proxied = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test",
                "TRUSTED_PROXIES": trusted_proxies,
            }
        )
        try:
            statuses = []
            for number in range(25):  # 25 clients, one wrong password each, all via the proxy
                visitor = Browser(proxied.test_client())
                response = visitor.post(
                    "/connexion",
                    {"email": f"client{trusted_proxies}-{number}@example.org", "password": WRONG},
                    environ_base={"REMOTE_ADDR": "10.0.0.1"},
                    headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
                )
                statuses.append(response.status_code)
            return statuses
        finally:
            proxied.extensions["db_engine"].dispose()

    assert failures_from_many_clients(1) == [401] * 25
    # Not trusted (the default): the proxy's own address is the one counted.
    assert failures_from_many_clients(0)[-1] == 429


@pytest.mark.parametrize("https", [False, True])
def test_permissions_and_transport_policies_over_real_http(
    db_engine: object, database_url: str, tmp_path: Path, https: bool
) -> None:
    """A real server configured by its environment, as deployed: `INVENTAIRE_HTTPS=1` adds
    Strict-Transport-Security (a year at least, subdomains included), never without it."""
    settings = {"INVENTAIRE_HTTPS": "1"} if https else {}
    with live_server(database_url, tmp_path, settings) as base:
        user = HttpUser(base)
        for path in ("/", "/connexion", "/registre", "/static/inventaire.css", "/nulle-part"):
            reply = user.get(path)
            assert reply.status in (200, 404), (path, reply.status)
            headers = {name.lower(): value for name, value in reply.headers.items()}
            features = dict(
                part.strip().split("=", 1) for part in headers["permissions-policy"].split(",")
            )
            for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
                assert features.get(feature) == "()", (path, feature, features)
            hsts = headers.get("strict-transport-security")
            if not https:
                assert hsts is None, (path, hsts)
                continue
            assert hsts is not None, path
            directives = [part.strip() for part in hsts.split(";")]
            max_age = next(d for d in directives if d.startswith("max-age="))
            assert int(max_age.removeprefix("max-age=")) >= 365 * 24 * 3600, hsts
            assert "includeSubDomains" in directives, hsts
