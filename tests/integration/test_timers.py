"""Time in the procedure: the clock moves, the worker runs, the users see the consequences.

Every dossier here is walked through HTTP by its real users; then the clock is set (freezegun)
and one worker runs what is due, as `inventaire worker` would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.core.models import Email, Job, JobStatus, Organisation
from engine.core.typography import date_filter
from engine.studio import scenario
from engine.workflow import documents
from tests.clock import due_time, run_worker_at
from tests.dossiers import SCENARIOS, data_of, walk_until
from tests.recensed import sessions_of
from tests.support import Browser, plain, text_of
from tests.walk import DEMANDEUR_OF, Walker

NewBrowser = Callable[[], Browser]


def emails_to(session: Session, instance_id: int | None, recipient: str) -> list[Email]:
    session.rollback()
    session.expire_all()
    return list(
        session.scalars(
            select(Email)
            .where(Email.instance_id == instance_id, Email.recipient == recipient)
            .order_by(Email.id)
        )
    )


def subjects(emails: list[Email]) -> list[str]:
    return [email.subject for email in emails]


def paris_date(moment: datetime) -> str:
    """The day of `moment` in Paris, as the letters write it (4 décembre 2026)."""
    return date_filter(moment)


def test_complements_deadline_reminder_then_closure_sans_suite(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = sessions_of(app)
    walker = walk_until(
        browser_factory,
        "rappel_complements",
        scenario="classee_sans_suite",
        organisation="organisation_cncp",
    )
    demandeur = "demandeur3@example.org"
    assert walker.status_seen_by_demandeur() == "En attente de compléments"

    # The reviewer chose 21 days: the deadline is 21 days away, the reminder 7 days before it.
    deadline = due_time(sessions, walker.dossier_id, "delai_complements_echu")
    reminder = due_time(sessions, walker.dossier_id, "rappel_complements")
    now = datetime.now(UTC)
    assert timedelta(days=21) - timedelta(minutes=5) < deadline - now <= timedelta(days=21)
    assert abs(deadline - reminder - timedelta(days=7)) < timedelta(seconds=1)

    # The complements request is in the outbox once the worker has run, with the deadline.
    run_worker_at(sessions, now)
    asked = emails_to(session, walker.dossier_id, demandeur)
    assert any("des compléments vous sont demandés" in subject for subject in subjects(asked))
    request = next(email for email in asked if "compléments vous sont" in email.subject)
    assert f"jusqu'au {paris_date(deadline)}" in request.body
    assert "référentiel de certification signé" in request.body

    # A minute before the reminder: nothing yet.
    run_worker_at(sessions, reminder - timedelta(minutes=1))
    assert not any(
        "Rappel" in s for s in subjects(emails_to(session, walker.dossier_id, demandeur))
    )

    # At the reminder's time the submitter is reminded, the dossier still waits for them.
    run_worker_at(sessions, reminder + timedelta(seconds=1))
    reminded = [
        e for e in emails_to(session, walker.dossier_id, demandeur) if "Rappel" in e.subject
    ]
    assert len(reminded) == 1
    assert f"expire le {paris_date(deadline)}" in reminded[0].body
    assert walker.status_seen_by_demandeur() == "En attente de compléments"
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Compléter la demande" in page

    # At the deadline the dossier is closed, its task gone, the submitter told.
    run_worker_at(sessions, deadline + timedelta(seconds=1))
    assert walker.status_seen_by_demandeur() == "Classée sans suite"
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Le dossier est clos : Classée sans suite." in page
    secretariat = walker.as_user("recevabilite@example.org")
    history = text_of(secretariat.get(f"/instruction/dossiers/{walker.dossier_id}"))
    assert "Échéance atteinte : « Délai de compléments échu »" in history
    closed = [
        e for e in emails_to(session, walker.dossier_id, demandeur) if "sans suite" in e.subject
    ]
    assert len(closed) == 1
    # Later runs change nothing: each email went out once.
    run_worker_at(sessions, deadline + timedelta(days=30))
    assert len(emails_to(session, walker.dossier_id, demandeur)) == len(
        emails_to(session, walker.dossier_id, demandeur)
    )
    assert sum("Rappel" in e.subject for e in emails_to(session, walker.dossier_id, demandeur)) == 1


def test_complements_answered_in_time_cancel_the_deadline(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = sessions_of(app)
    scenario = "complements_recevabilite_puis_instruction"
    walker = walk_until(browser_factory, "completer_demande", scenario=scenario)
    deadline = due_time(sessions, walker.dossier_id, "delai_complements_echu")
    # The default delay: 30 days.
    assert timedelta(days=29, hours=23) < deadline - datetime.now(UTC) <= timedelta(days=30)

    walker.step("completer_demande", data_of(scenario, "completer_demande"))
    session.rollback()
    timers = session.scalars(
        select(Job).where(Job.instance_id == walker.dossier_id, Job.kind == "timer")
    ).all()
    assert {job.status for job in timers} == {JobStatus.CANCELLED}

    run_worker_at(sessions, deadline + timedelta(days=1))
    # Back with the agent who asked for the complements, already taken: not closed.
    assert walker.status_seen_by_demandeur() == "En examen de recevabilité"


def test_session_date_releases_the_commission_task(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = sessions_of(app)
    walker = walk_until(browser_factory, "attendre_seance")  # favorable: session on 14/03/2030
    commission = walker.as_user("commission@example.org")
    assert walker.reference not in text_of(commission.get("/instruction/"))
    assert walker.status_seen_by_demandeur() == "Inscrite à l'ordre du jour"

    # 9:00 in Paris on the session day (winter time: 8:00 UTC).
    opening = due_time(sessions, walker.dossier_id, "attendre_seance")
    assert opening == datetime(2030, 3, 14, 8, 0, tzinfo=UTC)

    run_worker_at(sessions, opening - timedelta(minutes=1))
    assert walker.reference not in text_of(commission.get("/instruction/?etape=deliberer"))

    run_worker_at(sessions, opening + timedelta(seconds=1))
    inbox = text_of(commission.get("/instruction/?etape=deliberer"))
    assert walker.reference in inbox
    told = emails_to(session, walker.dossier_id, "commission@example.org")
    assert [e.subject for e in told] == [
        f"{walker.reference}\u00a0: «\u00a0Délibérer\u00a0» vous attend"
    ]
    # And the commission can deliberate.
    walker.step("deliberer", data_of("favorable", "deliberer"))
    assert walker.status_seen_by_demandeur() == "Délibérée, décision à prononcer"


def test_rapporteur_reminder_when_instruction_lasts(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = sessions_of(app)
    walker = walk_until(browser_factory, "instruire_demande")
    rapporteur = walker.rapporteur
    due = due_time(sessions, walker.dossier_id, "rappel_instruction")
    assert timedelta(days=59, hours=23) < due - datetime.now(UTC) <= timedelta(days=60)

    run_worker_at(sessions, due - timedelta(hours=1))
    assert not any("Rappel" in e.subject for e in emails_to(session, walker.dossier_id, rapporteur))
    run_worker_at(sessions, due + timedelta(seconds=1))
    reminders = [
        e for e in emails_to(session, walker.dossier_id, rapporteur) if "Rappel" in e.subject
    ]
    assert [e.subject for e in reminders] == [f"Rappel — instruction du dossier {walker.reference}"]
    # The reminder does not take the task away: the rapporteur still instructs.
    walker.step("instruire_demande", data_of("favorable", "instruire_demande"))
    assert (
        walker.status_seen_by_demandeur() == "Instruite, en attente d'inscription à l'ordre du jour"
    )


def test_the_submitter_is_told_of_each_step_and_the_publication(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    sessions = sessions_of(app)
    scenario = SCENARIOS["favorable"]
    walker = Walker(browser_factory, scenario.organisation)
    walker.play(scenario)
    assert walker.run_jobs() >= 1
    demandeur = DEMANDEUR_OF[scenario.organisation]
    received = emails_to(session, walker.dossier_id, demandeur)
    seance = data_of("favorable", "inscrire_ordre_du_jour")["seance_id"]
    day = date_filter(seance)
    assert subjects(received)[:4] == [
        f"Accusé de réception de votre demande {walker.reference}",
        f"Demande {walker.reference} déclarée recevable",
        f"Demande {walker.reference}\u00a0: séance du {day}",
        f"Demande {walker.reference}\u00a0: décision",
    ]
    decision = received[3]
    assert "recensement à l'Inventaire de la certification" in decision.body
    assert "en catégorie A, pour 5 ans" in decision.body
    # The deliberation's own reasons stay internal: the letter carries the decision's.
    motivation = data_of("favorable", "deliberer")["motivation"]
    assert motivation.splitlines()[0] not in decision.body
    published = received[4]
    assert published.subject.endswith("votre certification est publiée à l'Inventaire")
    numero = published.subject.split("\u00a0")[0]
    assert numero.startswith("INV")
    assert f"/registre/{numero}" in published.body
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert f"Numéro à l'Inventaire {numero}" in page
    history = text_of(
        walker.as_user("recevabilite@example.org").get(f"/instruction/dossiers/{walker.dossier_id}")
    )
    assert f"Courriel « {plain(published.subject)} » déposé dans la boîte d'envoi" in history
    run_worker_at(sessions, datetime.now(UTC) + timedelta(days=1))
    assert len(emails_to(session, walker.dossier_id, demandeur)) == 5


def test_a_timer_a_scenario_lets_pass_leaves_no_pending_job(
    session: Session, upload_dir: Path
) -> None:
    """The studio's scenarios (and the demo) let time pass without the worker: the fired
    timer's job is cancelled, the closed dossier waits on nothing in the worklists."""
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    instance = scenario.start(session, organisation)
    pick = scenario.actor_picker(session, organisation)
    played = SCENARIOS["favorable"]
    assert any(step.timer == "attendre_seance" for step in played.steps)
    for step in played.steps:
        scenario.play_step(session, store, instance, step, pick)
    session.commit()
    assert instance.status_label == "Recensée"
    timers = session.scalars(
        select(Job).where(Job.instance_id == instance.id, Job.kind == "timer")
    ).all()
    assert timers and all(job.status != JobStatus.PENDING for job in timers)
    echeance = session.execute(
        text("SELECT echeance FROM dossier_search WHERE instance_id = :id"), {"id": instance.id}
    ).scalar_one()
    assert echeance is None
