"""The public register can sit behind a shared cache: its search, fiches and files carry an
ETag, a Last-Modified and `Cache-Control: public` for anonymous visitors, answer 304 to a
conditional request while the register has not changed (without doing the page's work), change
validators with every change of the register, and stay private for a signed-in user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, event, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import RegisterEntry
from tests.integration.test_register_public import add_entry, at, found
from tests.live_server import HttpUser, Reply, live_server
from tests.recensed import recensed
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]
PUBLIC = ("/registre", "/registre?q=habilitation", "/registre/INV00001")
FILES = ("/registre/export.xml", "/registre/export.csv")


@pytest.fixture
def entries(session: Session) -> None:
    add_entry(session, "INV00001", "Habilitation électrique", categorie="A")
    add_entry(session, "INV00002", "Conduite d'engins de chantier", date_decision=at("02/04/2024"))
    session.commit()


def get(client: FlaskClient | Browser, path: str, **kwargs: Any) -> TestResponse:
    """The response read whole and closed (a file's spool goes with it), as a browser does."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def headers_of(response: TestResponse) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def cache_control(response: TestResponse) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in response.headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name] = value
    return directives


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app runs meanwhile (transactions' own left out)."""
    engine: Engine = app.extensions["db_engine"]
    run: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            run.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield run
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@pytest.mark.parametrize("path", PUBLIC + FILES)
def test_anonymous_pages_are_public_with_validators(
    client: FlaskClient, entries: None, path: str
) -> None:
    response = get(client, path)
    assert response.status_code == 200
    headers = headers_of(response)
    assert headers["etag"].startswith('"') and headers["last-modified"].endswith(" GMT")
    directives = cache_control(response)
    assert "public" in directives and int(directives["max-age"]) >= 60
    assert int(directives["stale-while-revalidate"]) > 0
    assert "Cookie" in response.vary
    assert "set-cookie" not in headers


def test_fiches_and_files_are_kept_longer_than_searches(client: FlaskClient, entries: None) -> None:
    ages = {path: int(cache_control(get(client, path))["max-age"]) for path in PUBLIC + FILES}
    assert ages["/registre"] == ages["/registre?q=habilitation"] < ages["/registre/INV00001"]
    assert ages["/registre/INV00001"] <= ages["/registre/export.xml"]


@pytest.mark.parametrize("path", PUBLIC + FILES)
def test_revalidation_answers_304_after_one_read(
    app: Flask, client: FlaskClient, entries: None, path: str
) -> None:
    first = get(client, path)
    with statements(app) as run:
        again = get(client, path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert len(run) == 1 and "register_version" in run[0], run
    by_date = get(client, path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304


def test_each_address_has_its_own_validator(client: FlaskClient, entries: None) -> None:
    etags = {get(client, path).headers["ETag"] for path in PUBLIC + FILES}
    assert len(etags) == len(PUBLIC + FILES)
    stale = get(client, "/registre?q=conduite", headers={"If-None-Match": etags.pop()})
    assert found(stale) == ["INV00002"]


def test_every_change_of_the_register_changes_the_validators(
    client: FlaskClient, session: Session, entries: None
) -> None:
    def etags() -> dict[str, str]:
        return {path: get(client, path).headers["ETag"] for path in PUBLIC + FILES}

    seen = [etags()]
    assert etags() == seen[0]  # nothing changed, nothing moves
    add_entry(session, "INV00003", "Habilitation au travail en hauteur")  # published
    session.commit()
    seen.append(etags())
    session.execute(
        update(RegisterEntry).where(RegisterEntry.numero == "INV00001").values(statut="retiree")
    )
    session.commit()
    seen.append(etags())
    session.execute(delete(RegisterEntry).where(RegisterEntry.numero == "INV00003"))
    session.commit()
    seen.append(etags())
    for path in PUBLIC + FILES:
        assert len({etags[path] for etags in seen}) == len(seen), path
    # The validator a cache kept from before gets today's page.
    fresh = get(client, "/registre?q=habilitation", headers={"If-None-Match": seen[0][PUBLIC[1]]})
    assert fresh.status_code == 200
    assert found(fresh) == ["INV00001"]
    assert "Retirée" in text_of(get(client, "/registre/INV00001"))


def test_signed_in_pages_are_private(client: FlaskClient, browser: Browser, entries: None) -> None:
    anonymous = {path: get(client, path).headers["ETag"] for path in PUBLIC + FILES}
    browser.login("commission@example.org")
    for path in PUBLIC + FILES:
        response = get(browser, path, headers={"If-None-Match": anonymous[path]})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-cache", path
        assert "ETag" not in response.headers and "Last-Modified" not in response.headers
        assert "Cookie" in response.vary
    fiche = get(browser, "/registre/INV00001")
    assert 'name="csrf_token"' in fiche.get_data(as_text=True)  # the forms of the signed-in


def test_a_message_waiting_in_the_session_keeps_the_page_private(
    client: FlaskClient, entries: None
) -> None:
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("info", "Vous êtes déconnecté.")]
    response = get(client, "/registre")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Vous êtes déconnecté." in text_of(response)
    assert get(client, "/registre").headers["Cache-Control"].startswith("public")


def test_redirections_and_errors_carry_no_validator(client: FlaskClient, entries: None) -> None:
    for path, status in (("/registre/inv00001", 301), ("/registre/INV09999", 404)):
        response = get(client, path)
        assert response.status_code == status
        assert "ETag" not in response.headers
        assert "public" not in response.headers.get("Cache-Control", "")


def test_a_publication_reaches_a_revalidating_cache(
    app: Flask, browser_factory: NewBrowser
) -> None:
    """The real procedure: a cache that kept the search page before a dossier was recensed
    and published gets the page with it."""
    anonymous = browser_factory()
    before = get(anonymous, "/registre")
    _walker, numero = recensed(browser_factory)
    after = get(anonymous, "/registre", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert numero in found(after)
    assert get(anonymous, f"/registre/{numero}").headers["Cache-Control"].startswith("public")


def test_over_http_a_cache_revalidates_and_a_signed_in_user_is_private(
    db_engine: Engine, database_url: str, tmp_path: Path, session: Session, entries: None
) -> None:
    def headers(reply: Reply) -> dict[str, str]:
        return {name.lower(): value for name, value in reply.headers.items()}

    with live_server(database_url, tmp_path) as base:
        cache = HttpUser(base)
        first = cache.get("/registre/INV00001")
        assert first.status == 200 and "Habilitation électrique" in first.text
        assert headers(first)["cache-control"].startswith("public, max-age=")
        etag, modified = headers(first)["etag"], headers(first)["last-modified"]
        assert cache.get("/registre/INV00001", {"If-None-Match": etag}).status == 304
        assert cache.get("/registre/INV00001", {"If-Modified-Since": modified}).status == 304
        session.execute(
            update(RegisterEntry)
            .where(RegisterEntry.numero == "INV00001")
            .values(intitule="Habilitation électrique révisée")
        )
        session.commit()
        changed = cache.get("/registre/INV00001", {"If-None-Match": etag})
        assert changed.status == 200 and "Habilitation électrique révisée" in changed.text
        assert headers(changed)["etag"] != etag

        member = HttpUser(base)
        member.login("commission@example.org")
        mine = member.get("/registre/INV00001", {"If-None-Match": headers(changed)["etag"]})
        assert mine.status == 200 and headers(mine)["cache-control"] == "private, no-cache"
        assert "etag" not in headers(mine) and "Se déconnecter" in mine.text
