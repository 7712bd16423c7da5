"""A database connection that the server closed (a restart, a failover) is found dead by the
request's first statement: the request runs again on a new connection, once, and its effect
happens once. PostgreSQL only: SQLite has no server to lose."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from engine.core.models import Submission
from tests.dossiers import data_of, open_item, walk_until
from tests.support import Browser, multipart, text_of
from tests.walk import as_posted, form_of


def _kill_the_app_connections(app: Flask, db_engine: Engine) -> int:
    """Terminates, from the tests' own connection, every connection the app's pool holds."""
    pids = []
    pool_engine: Engine = app.extensions["db_engine"]
    with pool_engine.connect() as connection:
        pids.append(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    with db_engine.connect() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()
    return len(pids)


def test_a_completion_on_a_dead_connection_is_retried_once(
    app: Flask, db_engine: Engine, browser_factory: Callable[[], Browser], session: Session
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    walker = walk_until(browser_factory, "examiner_recevabilite")
    reviewer = walker.as_user("recevabilite@example.org")
    url = f"/instruction/taches/{open_item(session, walker.dossier_id, 'examiner_recevabilite')}"
    assert reviewer.post(f"{url}/prendre", from_page=url).status_code == 302
    posted = as_posted(
        form_of("examiner_recevabilite", walker.processes),
        data_of("favorable", "examiner_recevabilite"),
    )
    posted["csrf_token"] = reviewer.csrf(url)
    body, content_type = multipart(posted)
    assert _kill_the_app_connections(app, db_engine) == 1

    response = reviewer.client.post(url, data=body, content_type=content_type)

    assert response.status_code == 302, text_of(response)[:1000]
    assert submissions(session, walker.dossier_id) == 2  # the dépôt's and this one


def test_a_page_on_a_dead_connection_is_served(
    app: Flask, db_engine: Engine, browser_factory: Callable[[], Browser]
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    browser = browser_factory()
    browser.login("recevabilite@example.org")
    assert _kill_the_app_connections(app, db_engine) == 1
    page = browser.get("/instruction/")
    assert page.status_code == 200, text_of(page)[:500]
    assert "Bannette" in text_of(page)


def submissions(session: Session, instance_id: int | None) -> int:
    session.rollback()
    return (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.instance_id == instance_id)
        )
        or 0
    )
