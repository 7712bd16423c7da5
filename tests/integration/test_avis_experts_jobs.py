"""The deadline of an expert's invitation, run by the real worker as time passes: a reminder to
the expert some days before (with the same link), then at the deadline the invitation expires,
its link is refused in French and its inviter is told; a revoked invitation or an opinion given
leaves the jobs nothing to do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS
from engine.core.models import AuditEvent, InvitationExpert, Job, JobStatus
from tests.clock import run_worker_at
from tests.dossiers import SCENARIOS, walk_until
from tests.experts import EXPERT, EXPERT_EMAIL, OPINION, emails_to, in_days, invite, link_path
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]
RAPPORTEUR = "rapporteur@example.org"
SECRETARIAT = "recevabilite@example.org"
REMINDER_DAYS = 3  # the default setting (INVENTAIRE_EXPERT_RAPPEL_JOURS)


def test_the_reminder_then_the_expiry_as_time_passes(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = app.extensions["db_sessions"]
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    deadline = in_days(10)
    assert invite(walker.as_user(RAPPORTEUR), walker.dossier_id, deadline=deadline.isoformat())
    walker.run_jobs()
    [invitation_email] = emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")
    path = link_path(invitation_email)

    # Nothing before the reminder's day; at 9 h (Paris) that day, the reminder with the link.
    reminder_at = datetime.combine(
        deadline - timedelta(days=REMINDER_DAYS), time(9, 0), tzinfo=PARIS
    )
    run_worker_at(sessions, reminder_at - timedelta(minutes=1))
    assert emails_to(session, EXPERT_EMAIL, "avis_expert_rappel") == []
    run_worker_at(sessions, reminder_at + timedelta(seconds=1))
    [reminder] = emails_to(session, EXPERT_EMAIL, "avis_expert_rappel")
    assert link_path(reminder) == path and walker.reference in reminder.subject
    assert "nous ne l'avons pas encore reçu" in reminder.body.replace("\n", " ")

    # The last evening, the link still opens; a second past midnight (Paris), it does not,
    # even before the worker runs.
    end = datetime.combine(deadline + timedelta(days=1), time(0, 0), tzinfo=PARIS)
    expert = browser_factory()
    with freeze_time(end - timedelta(minutes=1)):
        assert expert.get(path).status_code == 303
        assert expert.get("/avis-expert/").status_code == 200
    with freeze_time(end + timedelta(seconds=1)):
        refused = expert.get("/avis-expert/")
        assert refused.status_code == 410
        assert "Cette invitation a expiré" in text_of(refused)
    run_worker_at(sessions, end + timedelta(seconds=1))
    session.rollback()
    invitation = session.scalars(select(InvitationExpert)).one()
    assert invitation.status == "expiree"
    [told] = emails_to(session, RAPPORTEUR, "avis_expert_expiration")
    assert EXPERT in told.subject and f"/instruction/dossiers/{walker.dossier_id}" in told.body
    # (at that time still: the session cookie, signed then, is from the future for today)
    for address in (path, "/avis-expert/"):
        with freeze_time(end + timedelta(minutes=5)):
            refused = expert.get(address)
        assert refused.status_code == 410, address
        assert "Cette invitation a expiré" in text_of(refused)
    page = text_of(walker.as_user(RAPPORTEUR).get(f"/instruction/dossiers/{walker.dossier_id}"))
    assert "Expirée" in page and "Aucun avis rendu à la date limite." in page
    summaries = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.kind == "avis_expert").order_by(AuditEvent.id)
    ).all()
    assert [summary.split(" ")[0] for summary in summaries] == ["Avis", "Rappel", "Invitation"]


def test_an_opinion_given_leaves_the_jobs_nothing_to_do(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = app.extensions["db_sessions"]
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    deadline = in_days(6)
    assert invite(walker.as_user(RAPPORTEUR), walker.dossier_id, deadline=deadline.isoformat())
    walker.run_jobs()
    expert = browser_factory()
    assert expert.get(link_path(emails_to(session, EXPERT_EMAIL)[0])).status_code == 303
    given = expert.post(
        "/avis-expert/",
        {"texte": OPINION},
        from_page="/avis-expert/",
        content_type="multipart/form-data",
    )
    assert given.status_code == 303
    session.rollback()
    jobs = session.scalars(
        select(Job).where(Job.kind.in_(("avis_expert_rappel", "avis_expert_echeance")))
    ).all()
    assert len(jobs) == 2 and all(job.status == JobStatus.CANCELLED for job in jobs)
    # A job relaunched meanwhile (the admin's *Relancer*) finds nothing to do.
    for job in jobs:
        job.status = JobStatus.PENDING
    session.commit()
    run_worker_at(
        sessions, datetime.combine(deadline, time(23, 59), tzinfo=PARIS) + timedelta(hours=2)
    )
    session.rollback()
    assert session.scalars(select(InvitationExpert.status)).one() == "rendue"
    assert emails_to(session, EXPERT_EMAIL, "avis_expert_rappel") == []
    assert emails_to(session, RAPPORTEUR, "avis_expert_expiration") == []
    results = [
        (job.payload or {}).get("resultat", "")
        for job in session.scalars(
            select(Job).where(Job.kind.in_(("avis_expert_rappel", "avis_expert_echeance")))
        )
    ]
    assert all("rien à faire" in result for result in results), results


def test_a_dossier_closed_meanwhile_closes_its_waiting_link(
    browser_factory: NewBrowser, session: Session
) -> None:
    # The secretariat asks an expert during the recevabilité, then declares it irrecevable.
    walker = walk_until(
        browser_factory, "examiner_recevabilite", scenario="irrecevable", organisation="cpne"
    )
    assert invite(walker.as_user(SECRETARIAT), walker.dossier_id).status_code == 302
    walker.run_jobs()
    path = link_path(emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")[0])
    expert = browser_factory()
    assert expert.get(path).status_code == 303
    [step] = [
        step for step in SCENARIOS["irrecevable"].steps if step.task == "examiner_recevabilite"
    ]
    walker.step(step.task, step.data, step.timer)
    assert walker.status_seen_by_demandeur() == "Irrecevable"
    for address in ("/avis-expert/", path):
        refused = expert.get(address)
        assert refused.status_code == 410, address
        assert "est clos" in text_of(refused) and "aucun avis n'est plus attendu" in text_of(
            refused
        )
    page = text_of(walker.as_user(SECRETARIAT).get(f"/instruction/dossiers/{walker.dossier_id}"))
    assert "plus aucun expert ne peut être sollicité" in page
    # The staff's section says the link closed with the dossier, and offers no revocation.
    assert "Close avec le dossier" in page and "Envoyée" not in page
    assert "Révoquer" not in page
