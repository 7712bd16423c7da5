"""Personal data kept no longer than needed, by the real worker with the clock moved: an
abandoned draft announced to its owner then deleted (its trail kept, redacted, the chains
whole); a closed dossier's personal data anonymised, its register entry untouched."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.audit_chain import link_pending
from engine.core.audit_verify import verify
from engine.core.clock import add_months, utcnow
from engine.core.models import AuditEvent, Email, Instance, RegisterEntry, Submission
from engine.wiring import make_worker
from engine.workflow import retention
from tests.dossiers import SCENARIOS
from tests.support import Browser, location_id, text_of
from tests.walk import Walker


def sweep_at(app: Flask, moment: datetime) -> None:
    """The day's sweep scheduled and run, with everything it schedules, at `moment`."""
    sessions: sessionmaker[Session] = app.extensions["db_sessions"]
    with freeze_time(moment):
        with sessions() as session:
            retention.schedule(session)
            session.commit()
        make_worker(sessions).run_until_idle()


def test_an_abandoned_draft_is_announced_then_deleted(app: Flask, session: Session) -> None:
    submitter = Browser(app.test_client())
    submitter.login("demandeur@example.org")
    created = submitter.post("/demandes/nouvelle", from_page="/demandes/")
    draft = location_id(created, r"/demandes/(\d+)/saisie")

    # Ten days before its six months: its owner is told, nothing is deleted.
    notice_day = add_months(utcnow(), 6) - timedelta(days=10)
    sweep_at(app, notice_day)
    session.rollback()
    [email] = session.scalars(select(Email).where(Email.template == "brouillon_suppression"))
    assert email.recipient == "demandeur@example.org"
    assert "sera supprimé le" in email.subject
    assert "article 5, paragraphe 1, e" in email.body
    assert session.get(Instance, draft) is not None
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == draft)).all()
    assert "conservation_avis" in kinds

    # The next day's sweep sends nothing more.
    sweep_at(app, notice_day + timedelta(days=1))
    session.rollback()
    assert (
        len(session.scalars(select(Email).where(Email.template == "brouillon_suppression")).all())
        == 1
    )

    # Past the notice: deleted, its trail kept redacted and the chains whole.
    sweep_at(app, notice_day + timedelta(days=16))
    session.rollback()
    assert session.get(Instance, draft) is None
    redacted = session.scalars(select(AuditEvent).where(AuditEvent.redacted_at.is_not(None))).all()
    assert redacted and all(event.details == {"dossier": draft} for event in redacted)
    deleted = session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "brouillon_supprime")
    ).one()
    assert "durée de conservation" in deleted.summary
    link_pending(session)
    session.commit()
    assert verify(session, "").ok
    listing = submitter.get("/demandes/")
    assert f"/demandes/{draft}/" not in listing.get_data(as_text=True)


def test_a_draft_filed_or_touched_after_its_notice_is_kept(app: Flask, session: Session) -> None:
    submitter = Browser(app.test_client())
    submitter.login("demandeur@example.org")
    created = submitter.post("/demandes/nouvelle", from_page="/demandes/")
    draft = location_id(created, r"/demandes/(\d+)/saisie")
    notice_day = add_months(utcnow(), 6) - timedelta(days=10)
    sweep_at(app, notice_day)

    # Its owner opens it and saves it the day after the notice.
    with freeze_time(notice_day + timedelta(days=1)):
        submitter = Browser(app.test_client())  # months later: signed in again
        submitter.login("demandeur@example.org")
        page = submitter.get(f"/demandes/{draft}/saisie", follow_redirects=True)
        path = page.request.path
        saved = submitter.post(path, {"intitule": "Gardée", "_action": "brouillon"})
        assert saved.status_code in (302, 303), text_of(saved)

    sweep_at(app, notice_day + timedelta(days=16))
    session.rollback()
    kept = session.get(Instance, draft)
    assert kept is not None and kept.title == "Gardée"


def test_a_closed_dossiers_personal_data_is_anonymised_not_its_register_entry(
    app: Flask, session: Session
) -> None:
    favorable = SCENARIOS["favorable"]
    walker = Walker(lambda: Browser(app.test_client()), favorable.organisation)
    walker.play(favorable)
    make_worker(app.extensions["db_sessions"]).run_until_idle()  # the publication
    session.rollback()
    dossier = session.get(Instance, walker.dossier_id)
    assert dossier is not None and dossier.status == "completed"
    entry = session.scalars(select(RegisterEntry)).one()
    published = dict(entry.content)

    sweep_at(app, add_months(utcnow(), 59))  # not yet
    session.rollback()
    assert session.get(Instance, walker.dossier_id).anonymised_at is None  # type: ignore[union-attr]

    sweep_at(app, add_months(utcnow(), 61))
    session.rollback()
    dossier = session.get(Instance, walker.dossier_id, populate_existing=True)
    assert dossier is not None and dossier.anonymised_at is not None
    assert dossier.contact_courriel is None
    filed = session.scalars(select(Submission).where(Submission.instance_id == dossier.id)).all()
    values = [
        value
        for submission in filed
        for key, value in submission.data.items()
        if key.startswith("contact_")
    ]
    assert values and set(values) == {"(anonymisé)"}
    assert any(submission.data.get("intitule") for submission in filed)  # the rest is kept
    session.refresh(entry)
    assert dict(entry.content) == published
    [event] = session.scalars(
        select(AuditEvent).where(
            AuditEvent.instance_id == dossier.id, AuditEvent.kind == "anonymisation"
        )
    )
    assert "contact_courriel" in (event.details or {})["champs"]

    staff = Browser(app.test_client())
    staff.login("recevabilite@example.org")
    page = staff.get(f"/instruction/dossiers/{dossier.id}").get_data(as_text=True)
    assert "(anonymisé)" in page
