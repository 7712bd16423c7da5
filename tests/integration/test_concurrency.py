"""Two people complete the same task at the same moment: one wins, the other is told who did it,
and the dossier moved exactly once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.db import make_session_factory
from engine.core.errors import Conflict
from engine.core.models import AuditEvent, Instance, ProcessVersion, Submission, User, WorkItem
from engine.definitions.definition import definition_for
from engine.people import accounts
from engine.workflow.actions import completing
from tests.dossiers import data_of, open_item, snapshot, walk_until
from tests.support import CSRF, Browser, text_of
from tests.walk import as_posted, form_of
from web.database import db

NewBrowser = Callable[[], Browser]
SECOND_EMAIL = "recevabilite2@example.org"
SECOND_NAME = "Roland Recevabilité"
RECEVABLE = data_of("favorable", "examiner_recevabilite")
IRRECEVABLE = data_of("irrecevable", "examiner_recevabilite")


@pytest.fixture
def second_reviewer(session: Session) -> User:
    """A second holder of the recevabilité role (the demo has one); accounts outlive tests."""
    user = session.scalar(select(User).where(User.email == SECOND_EMAIL))
    if user is None:
        user = accounts.create_user(
            session,
            email=SECOND_EMAIL,
            name=SECOND_NAME,
            password="inventaire",
            enforce_policy=False,
            roles=["recevabilite"],
        )
        session.commit()
    return user


def count(session: Session, model: Any, *conditions: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def assert_moved_once(session: Session, instance_id: int, winner_id: int) -> None:
    """One completion of examiner_recevabilite, its outcome (recevable), one next task."""
    session.rollback()
    assert (
        count(
            session,
            Submission,
            Submission.instance_id == instance_id,
            Submission.task_spec == "examiner_recevabilite",
        )
        == 1
    )
    submission = session.scalar(
        select(Submission).where(
            Submission.instance_id == instance_id,
            Submission.task_spec == "examiner_recevabilite",
        )
    )
    assert submission is not None
    assert submission.submitted_by_id == winner_id
    assert submission.data["decision"] == "recevable"
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance_id, WorkItem.task_spec == "examiner_recevabilite"
        )
    )
    assert item is not None and item.status == "completed" and item.completed_by_id == winner_id
    assert (
        count(
            session,
            WorkItem,
            WorkItem.instance_id == instance_id,
            WorkItem.task_spec == "designer_rapporteur",
        )
        == 1
    )
    assert (
        count(
            session,
            AuditEvent,
            AuditEvent.instance_id == instance_id,
            AuditEvent.kind == "tache",
            AuditEvent.task_spec == "examiner_recevabilite",
        )
        == 1
    )
    assert open_item(session, instance_id, "designer_rapporteur")


def test_two_reviewers_submit_the_same_task_through_http(
    browser_factory: NewBrowser, session: Session, second_reviewer: User
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    assert walker.dossier_id is not None
    task_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    url = f"/instruction/taches/{task_id}"
    rose = walker.as_user("recevabilite@example.org")
    roland = browser_factory()
    roland.login(SECOND_EMAIL)

    # Both open the task page while nobody has taken it: both are offered the form.
    tokens = {}
    for name, browser in (("rose", rose), ("roland", roland)):
        page = browser.get(url)
        assert page.status_code == 200
        assert "Prendre en charge" in text_of(page) and "Valider l'examen" in text_of(page)
        match = CSRF.search(page.get_data(as_text=True))
        assert match
        tokens[name] = match.group(1)
    before = snapshot(session, walker.dossier_id)

    first = rose.client.post(
        url,
        data=as_posted(form_of("examiner_recevabilite"), RECEVABLE)
        | {"csrf_token": tokens["rose"]},
    )
    assert first.status_code == 302, text_of(first)[:1500]
    after_first = snapshot(session, walker.dossier_id)
    assert after_first.lock_version > before.lock_version
    assert after_first.submissions == before.submissions + 1

    second = roland.client.post(
        url,
        data=as_posted(form_of("examiner_recevabilite"), IRRECEVABLE)
        | {"csrf_token": tokens["roland"]},
    )
    assert second.status_code == 409
    page = text_of(second)
    assert "Action déjà effectuée" in page
    assert "a déjà été traitée par Rose Recevabilité" in page
    # When, in Paris time (as every moment shown), not UTC.
    completed = session.scalar(
        select(WorkItem.completed_at).where(
            WorkItem.instance_id == walker.dossier_id,
            WorkItem.task_spec == "examiner_recevabilite",
            WorkItem.completed_at.is_not(None),
        )
    )
    assert completed is not None
    paris = completed.astimezone(ZoneInfo("Europe/Paris"))
    assert f"le {paris:%d/%m/%Y} à {paris:%H} h {paris:%M}" in page
    assert "Examiner la recevabilité" in page
    assert "Valider l'examen" not in page  # no form to submit again
    # The loser's answer changed nothing: the state is the winner's, moved once.
    assert snapshot(session, walker.dossier_id) == after_first
    rose_id = session.scalar(select(User.id).where(User.email == "recevabilite@example.org"))
    assert rose_id is not None
    assert_moved_once(session, walker.dossier_id, rose_id)

    # Opening the page afterwards says the same.
    again = roland.get(url)
    assert again.status_code == 409
    assert "a déjà été traitée par Rose Recevabilité" in text_of(again)


@pytest.fixture
def race_on_instance_update(db_engine: Engine) -> Iterator[threading.Barrier]:
    """Hold each thread's first UPDATE of an instance until both threads are there: both have
    read the same lock_version by then."""
    barrier = threading.Barrier(2, timeout=20)
    seen = threading.local()

    def wait_for_the_other(
        _connection: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if statement.lstrip().upper().startswith("UPDATE INSTANCE") and not getattr(
            seen, "waited", False
        ):
            seen.waited = True
            barrier.wait()

    event.listen(db_engine, "before_cursor_execute", wait_for_the_other)
    try:
        yield barrier
    finally:
        event.remove(db_engine, "before_cursor_execute", wait_for_the_other)


def test_two_reviewers_complete_the_same_work_item_at_once_on_postgresql(
    db_engine: Engine,
    browser_factory: NewBrowser,
    session: Session,
    second_reviewer: User,
    race_on_instance_update: threading.Barrier,
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite serialises writers on the whole database: the two UPDATEs cannot be held "
            "at the same point; run with TEST_DATABASE_URL=postgresql://…"
        )
    walker = walk_until(browser_factory, "examiner_recevabilite")
    assert walker.dossier_id is not None
    instance_id = walker.dossier_id
    task_id = open_item(session, instance_id, "examiner_recevabilite")
    before = snapshot(session, instance_id)
    session.rollback()
    rose = session.scalar(select(User).where(User.email == "recevabilite@example.org"))
    assert rose is not None
    actors = [Actor.from_user(rose), Actor.from_user(second_reviewer)]
    factory = make_session_factory(db_engine)
    outcomes: dict[int | None, object] = {}
    versions: dict[int | None, int] = {}

    def complete(actor: Actor) -> None:
        try:
            with factory() as own:
                try:
                    completing.complete_work_item(own, actor, task_id, dict(RECEVABLE))
                    own.commit()
                    instance = own.get(Instance, instance_id)
                    assert instance is not None
                    versions[actor.id] = instance.lock_version
                    outcomes[actor.id] = "ok"
                except Conflict as error:
                    own.rollback()
                    outcomes[actor.id] = error
        except BaseException as error:  # reported by the assertions below, not by the thread
            outcomes[actor.id] = error

    threads = [threading.Thread(target=complete, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not race_on_instance_update.broken, "both did not reach the UPDATE together"

    winners = [actor_id for actor_id, outcome in outcomes.items() if outcome == "ok"]
    losers = [outcome for outcome in outcomes.values() if outcome != "ok"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], Conflict), outcomes
    assert "modifié par un autre utilisateur" in losers[0].user_message

    after = snapshot(session, instance_id)
    assert after.lock_version == versions[winners[0]] > before.lock_version
    assert after.submissions == before.submissions + 1
    assert after.state != before.state
    assert_moved_once(session, instance_id, winners[0])


def test_a_write_request_holds_the_write_lock_again_after_a_rollback(
    app: Flask, database_url: str
) -> None:
    """An action that fails rolls back, then records its incident in the same request: that
    transaction must take SQLite's write lock at BEGIN too, or a request committing meanwhile
    makes it fail ("database is locked") instead of recording the incident."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer")
    path = database_url.removeprefix("sqlite:///")
    with app.test_request_context("/demandes/nouvelle", method="POST"):
        session = db()
        session.execute(select(Instance.id).limit(1)).all()
        session.rollback()
        session.execute(select(Instance.id).limit(1)).all()  # the incident's transaction
        other = sqlite3.connect(path, timeout=0.2)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        session.rollback()


def test_read_and_write_requests_share_the_cached_process_definitions(app: Flask) -> None:
    """The write requests' engine (SQLite's BEGIN IMMEDIATE variant) is made once and meets
    the same per-version cache as the reads: a definition rebuilt on every POST cost 70 ms."""
    with app.test_request_context("/"):
        version_id = db().scalar(select(ProcessVersion.id).limit(1))
        assert version_id is not None
        read = definition_for(db(), version_id)
    for _ in range(2):
        with app.test_request_context("/demandes/nouvelle", method="POST"):
            assert definition_for(db(), version_id) is read
