"""The administrator's view of what runs behind the procedure: incidents with *Relancer*, the
outbox and its emails, the email templates, the scheduled jobs and a dossier's jobs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import jobs
from engine.core.clock import utcnow
from engine.core.models import (
    AuditEvent,
    Email,
    EmailStatus,
    Instance,
    Job,
    JobStatus,
    Organisation,
)
from engine.emails.recipients import RECIPIENT_LABELS
from engine.emails.templates import templates
from engine.jobs import JobKind, NewJob
from engine.jobs.api import JobRun
from engine.jobs.worker import Worker, WorkerSettings
from engine.studio.scenario import actor_picker, load_scenarios, play_step, start
from engine.wiring import job_handlers, make_worker
from engine.workflow.documents import DocumentStore
from tests.support import Browser, plain, text_of
from tests.walk import PROCESS

NewBrowser = Callable[[], Browser]
ADMIN = "admin@example.org"
# No handler knows this kind: the worker fails it with a French message.
UNKNOWN_KIND = "archivage"
UNKNOWN_ERROR = "Aucun traitement connu pour les travaux «\u00a0archivage\u00a0»."
ARCHIVE_LABEL = "Archivage du dossier"
ADMIN_ONLY_PAGES = (
    "/admin/courriels",
    "/admin/courriels/modeles",
    "/admin/travaux",
)


@pytest.fixture
def sessions(app: Flask) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app.extensions["db_sessions"]
    return factory


@pytest.fixture
def admin(browser_factory: NewBrowser) -> Browser:
    browser = browser_factory()
    browser.login(ADMIN)
    return browser


@pytest.fixture
def dossier(session: Session, upload_dir: Path, sessions: sessionmaker[Session]) -> Instance:
    return deposer(session, upload_dir, sessions)


def deposer(session: Session, upload_dir: Path, sessions: sessionmaker[Session]) -> Instance:
    """A Ministère's dossier déposé through the engine; the worker then sends its emails
    (the acknowledgement to the submitter, the new task to the secrétariat) to the outbox."""
    scenario = {item.name: item for item in load_scenarios(PROCESS)}["favorable"]
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    instance = start(session, organisation)
    pick = actor_picker(session, organisation)
    play_step(session, DocumentStore(upload_dir), instance, scenario.steps[0], pick)
    session.commit()
    assert make_worker(sessions).run_until_idle() > 0
    session.rollback()
    return instance


def failed_job(session: Session, sessions: sessionmaker[Session], instance_id: int) -> int:
    """A job no handler knows, run by a worker allowed a single attempt: an incident."""
    key = f"archivage:{instance_id}"
    jobs.enqueue(
        session,
        [
            NewJob(
                kind=cast(JobKind, UNKNOWN_KIND),
                key=key,
                label=ARCHIVE_LABEL,
                instance_id=instance_id,
                payload={},
            )
        ],
    )
    session.commit()
    make_worker(sessions, WorkerSettings(max_attempts=1)).run_until_idle()
    session.rollback()
    job = session.scalar(select(Job).where(Job.idempotency_key == key))
    assert job is not None and job.status == JobStatus.FAILED, job and job.status
    return job.id


def job_state(session: Session, job_id: int) -> Job:
    session.rollback()
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job


def with_archive_handler(sessions: sessionmaker[Session]) -> Worker:
    """The cause of the incident is gone: a worker that has a handler for the kind."""

    def archive(_run: JobRun) -> str:
        return "Archivé."

    return Worker(sessions, {**job_handlers(), UNKNOWN_KIND: archive})


def row_of(page_text: str, start: str, length: int = 400) -> str:
    index = page_text.find(start)
    assert index >= 0, f"«\u00a0{start}\u00a0» is not on the page"
    return page_text[index : index + length]


# --- incidents and Relancer -----------------------------------------------------------------


def test_an_incident_shows_its_job_error_and_dossier_and_relancer_runs_it_again(
    admin: Browser,
    session: Session,
    sessions: sessionmaker[Session],
    dossier: Instance,
    request: pytest.FixtureRequest,
) -> None:
    job_id = failed_job(session, sessions, dossier.id)
    reference = dossier.reference
    assert reference is not None

    page = admin.get("/admin/incidents")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    shown = text_of(page)
    assert "Travaux en échec (1)" in shown
    row = row_of(shown, ARCHIVE_LABEL)
    assert plain(UNKNOWN_ERROR) in row
    assert reference in row and dossier.title in row
    assert re.search(r"Tentatives.*?Date de l'échec", shown)
    assert f'href="/instruction/dossiers/{dossier.id}"' in body
    assert f'href="/admin/dossiers/{dossier.id}/travaux"' in body
    assert f'action="/admin/travaux/{job_id}/relancer"' in body
    # The worker's own trail of the failure is among the latest errors.
    assert f"{ARCHIVE_LABEL} : échec après 1 tentatives" in shown

    retried = admin.post(
        f"/admin/travaux/{job_id}/relancer",
        {"retour": "/admin/incidents"},
        from_page="/admin/incidents",
    )
    assert retried.status_code == 302
    assert retried.headers["Location"].endswith("/admin/incidents")
    after = text_of(admin.get("/admin/incidents"))
    assert f"Relancé : {ARCHIVE_LABEL}" in after
    assert "Aucun travail en échec." in after
    job = job_state(session, job_id)
    assert (job.status, job.attempts) == (JobStatus.PENDING, 0)
    assert (
        session.scalar(
            select(AuditEvent.summary).where(
                AuditEvent.instance_id == dossier.id, AuditEvent.kind == "relance"
            )
        )
        == f"{ARCHIVE_LABEL}\u00a0: relancé."
    )

    # Still no handler: it fails again, and comes back as an incident.
    make_worker(sessions, WorkerSettings(max_attempts=1)).run_until_idle()
    assert job_state(session, job_id).status == JobStatus.FAILED
    assert ARCHIVE_LABEL in text_of(admin.get("/admin/incidents"))

    # Once the cause is gone, Relancer from the dossier's jobs page and the job runs.
    jobs_page = f"/admin/dossiers/{dossier.id}/travaux"
    again = admin.post(f"/admin/travaux/{job_id}/relancer", {"retour": jobs_page})
    assert again.headers["Location"].endswith(jobs_page)
    assert f"Relancé : {ARCHIVE_LABEL}" in text_of(admin.get(jobs_page))
    assert with_archive_handler(sessions).run_until_idle() == 1
    job = job_state(session, job_id)
    assert job.status == JobStatus.DONE and job.last_error is None
    shown = text_of(admin.get(jobs_page))
    assert "Faite" in row_of(shown, ARCHIVE_LABEL)
    assert "Aucun travail en échec." in text_of(admin.get("/admin/incidents"))


def test_relancer_refuses_in_french_what_cannot_be_retried(
    admin: Browser, session: Session, dossier: Instance
) -> None:
    done = session.scalar(
        select(Job.id).where(Job.instance_id == dossier.id, Job.status == JobStatus.DONE)
    )
    assert done is not None
    refused = admin.post(f"/admin/travaux/{done}/relancer", from_page="/admin/incidents")
    assert refused.status_code == 302
    shown = text_of(admin.get("/admin/incidents"))
    assert "Seul un travail en échec (un incident) peut être relancé." in shown
    assert job_state(session, done).status == JobStatus.DONE

    unknown = admin.post("/admin/travaux/987654321/relancer", from_page="/admin/incidents")
    assert unknown.status_code == 302
    assert "Travail introuvable." in text_of(admin.get("/admin/incidents"))

    # An address of elsewhere is not followed: back to the incidents page.
    away = admin.post(
        f"/admin/travaux/{done}/relancer",
        {"retour": "//evil.example/admin/"},
        from_page="/admin/incidents",
    )
    assert away.headers["Location"].endswith("/admin/incidents")

    assert admin.get("/admin/travaux/0/relancer").status_code in (404, 405)
    without_token = admin.client.post(f"/admin/travaux/{done}/relancer")
    assert without_token.status_code == 400
    assert "Le formulaire a expiré" in text_of(without_token)


# --- the outbox and the templates -----------------------------------------------------------


def test_the_outbox_lists_the_procedures_emails_and_shows_one(
    admin: Browser, session: Session, dossier: Instance, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = dossier.reference
    assert reference is not None
    acknowledgement = session.scalar(
        select(Email).where(Email.instance_id == dossier.id, Email.template == "accuse_depot")
    )
    assert acknowledgement is not None

    page = admin.get("/admin/courriels")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Aucun serveur SMTP configuré : les courriels restent dans cette boîte d'envoi" in shown
    row = row_of(shown, "demandeur@example.org")
    assert f"Accusé de réception de votre demande {reference}" in row
    assert "Dans la boîte d'envoi" in row and reference in row
    body = page.get_data(as_text=True)
    assert f'href="/admin/courriels/{acknowledgement.id}"' in body
    assert f'href="/instruction/dossiers/{dossier.id}"' in body
    assert '<label class="fr-label" for="statut">' in body

    sent_only = text_of(admin.get("/admin/courriels?statut=sent"))
    assert "Aucun courriel dans cet état." in sent_only
    in_outbox = text_of(admin.get("/admin/courriels?statut=outbox"))
    assert f"Accusé de réception de votre demande {reference}" in in_outbox
    assert admin.get("/admin/courriels?statut=%00&page=abc").status_code == 200

    email_page = admin.get(f"/admin/courriels/{acknowledgement.id}")
    assert email_page.status_code == 200
    shown = text_of(email_page)
    html_body = email_page.get_data(as_text=True)
    assert "demandeur@example.org" in shown and "Dans la boîte d'envoi" in shown
    assert acknowledgement.body.splitlines()[0] == "Madame, Monsieur,"
    assert "Madame, Monsieur," in shown
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", html_body, re.S)
    assert pre and "Rappelez cette référence dans vos" in pre.group(1)
    assert "\n" in pre.group(1), "the body keeps its lines"
    assert f'href="/admin/dossiers/{dossier.id}/travaux"' in html_body
    assert 'href="/admin/courriels/modeles#modele-accuse_depot"' in html_body

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    assert "Les courriels sont envoyés par SMTP via smtp.example.org" in text_of(
        admin.get("/admin/courriels")
    )


def test_the_outbox_is_paginated_newest_first(admin: Browser, session: Session) -> None:
    now = utcnow()
    session.add_all(
        Email(
            idempotency_key=f"essai:{number}",
            template="accuse_depot",
            recipient=f"personne{number:03d}@example.org",
            subject=f"Courriel d'essai {number:03d}",
            body="Bonjour.",
            status=EmailStatus.SENT if number % 2 else EmailStatus.OUTBOX,
            created_at=now - timedelta(minutes=120 - number),
            sent_at=now if number % 2 else None,
        )
        for number in range(120)
    )
    session.commit()

    first = admin.get("/admin/courriels")
    shown = text_of(first)
    assert "Courriels (120), page 1 sur 3" in shown
    assert shown.count("Courriel d'essai") == 50
    assert shown.index("Courriel d'essai 119") < shown.index("Courriel d'essai 118")
    assert "Courriel d'essai 069" not in shown
    body = first.get_data(as_text=True)
    assert 'aria-label="Pagination de la boîte d&#39;envoi"' in body
    assert 'href="/admin/courriels?page=2"' in body
    assert 'aria-current="page"' in body

    last = text_of(admin.get("/admin/courriels?page=3"))
    assert last.count("Courriel d'essai") == 20 and "Courriel d'essai 000" in last
    beyond = text_of(admin.get("/admin/courriels?page=99"))
    assert "page 3 sur 3" in beyond

    sent = admin.get("/admin/courriels?statut=sent&page=2")
    shown = text_of(sent)
    assert "Courriels (60), page 2 sur 2" in shown
    assert "Courriel d'essai 001" in shown and "Courriel d'essai 000" not in shown
    assert 'href="/admin/courriels?page=1&amp;statut=sent"' in sent.get_data(as_text=True)


def test_the_templates_page_shows_every_template_read_only(admin: Browser) -> None:
    page = admin.get("/admin/courriels/modeles")
    assert page.status_code == 200
    shown = text_of(page)
    assert "engine/emails/courriels/" in shown
    assert "<form" not in page.get_data(as_text=True).split("<main", 1)[1]
    for template in templates().values():
        section = row_of(shown, f"{template.name} Fichier", 3000)
        assert f"engine/emails/courriels/{template.name}.txt" in section
        assert RECIPIENT_LABELS[template.recipient] in section
        assert plain(template.subject) in section
        assert " ".join(template.source.split()) in section


# --- scheduled jobs -------------------------------------------------------------------------


def test_the_jobs_page_lists_what_is_to_come_soonest_first_with_filters(
    admin: Browser, session: Session, sessions: sessionmaker[Session], dossier: Instance
) -> None:
    now = utcnow()
    jobs.enqueue(
        session,
        [
            NewJob(
                kind=JobKind.TIMER,
                key="essai:minuterie",
                label="Délai de compléments (essai)",
                instance_id=dossier.id,
                payload={},
                run_at=now + timedelta(days=10),
            ),
            NewJob(
                kind=JobKind.PUBLICATION,
                key="essai:publication",
                label="Publication à l'Inventaire (essai)",
                instance_id=dossier.id,
                payload={},
                run_at=now + timedelta(days=2),
            ),
        ],
    )
    session.commit()
    failed_job(session, sessions, dossier.id)

    page = admin.get("/admin/travaux")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Délai de compléments (essai)" in shown
    assert shown.index(ARCHIVE_LABEL) < shown.index("Publication à l'Inventaire (essai)")
    assert shown.index("Publication à l'Inventaire (essai)") < shown.index(
        "Délai de compléments (essai)"
    )
    assert "Programmée" in row_of(shown, "Publication à l'Inventaire (essai)")
    assert "Incident" in row_of(shown, ARCHIVE_LABEL)
    assert plain(UNKNOWN_ERROR) in row_of(shown, ARCHIVE_LABEL)
    # The dépôt's emails are done: not listed here.
    assert "Accusé de réception" not in shown

    publications = text_of(admin.get("/admin/travaux?nature=publication"))
    assert "Publication à l'Inventaire (essai)" in publications
    assert "Délai de compléments (essai)" not in publications
    incidents = admin.get("/admin/travaux?statut=failed")
    assert ARCHIVE_LABEL in text_of(incidents)
    assert "Délai de compléments (essai)" not in text_of(incidents)
    assert "Relancer" in text_of(incidents)
    assert text_of(admin.get("/admin/travaux?statut=done&nature=x")).count("(essai)") == 2


def test_a_dossiers_jobs_page_lists_its_jobs_and_their_states(
    admin: Browser, session: Session, sessions: sessionmaker[Session], dossier: Instance
) -> None:
    failed_job(session, sessions, dossier.id)
    reference = dossier.reference
    assert reference is not None
    page = admin.get(f"/admin/dossiers/{dossier.id}/travaux")
    assert page.status_code == 200
    shown = text_of(page)
    assert f"Travaux du dossier {reference}" in shown
    own = session.scalars(select(Job).where(Job.instance_id == dossier.id)).all()
    assert f"Travaux du dossier ({len(own)})" in shown
    for job in own:
        assert plain(job.label) in shown
    acknowledgement = row_of(shown, "Courriel « Accusé de réception")
    assert "Faite" in acknowledgement and "Courriel" in acknowledgement
    incident = row_of(shown, ARCHIVE_LABEL)
    assert "Incident" in incident and plain(UNKNOWN_ERROR) in incident
    assert shown.count("Relancer") == 1
    assert "Courriels du dossier" in shown and "demandeur@example.org" in shown

    missing = admin.get("/admin/dossiers/987654321/travaux")
    assert missing.status_code == 404
    assert "Dossier introuvable." in text_of(missing)
    assert admin.get("/admin/dossiers/0/travaux").status_code == 404
    unknown_email = admin.get("/admin/courriels/987654321")
    assert unknown_email.status_code == 404
    assert "Courriel introuvable." in text_of(unknown_email)
    assert "Page introuvable" in text_of(admin.get("/admin/courriels/abc"))


# --- who may see these pages ----------------------------------------------------------------


def test_only_administrators_reach_the_outbox_and_the_jobs(
    browser_factory: NewBrowser,
    session: Session,
    sessions: sessionmaker[Session],
    dossier: Instance,
) -> None:
    job_id = failed_job(session, sessions, dossier.id)
    email_id = session.scalar(select(Email.id).where(Email.instance_id == dossier.id))
    pages = (
        *ADMIN_ONLY_PAGES,
        f"/admin/courriels/{email_id}",
        f"/admin/dossiers/{dossier.id}/travaux",
    )
    anonymous = browser_factory()
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], url

    for email in (
        "demandeur@example.org",
        "recevabilite@example.org",
        "rapporteur@example.org",
        "proprietaire@example.org",
    ):
        browser = browser_factory()
        browser.login(email)
        for url in pages:
            denied = browser.get(url)
            assert denied.status_code == 403, (email, url)
            assert "Accès refusé" in text_of(denied)
        token = browser.csrf("/connexion")
        refused = browser.client.post(
            f"/admin/travaux/{job_id}/relancer", data={"csrf_token": token}
        )
        assert refused.status_code == 403, email
    assert job_state(session, job_id).status == JobStatus.FAILED

    # Process owners see the incidents, without the administrators' actions.
    owner = browser_factory()
    owner.login("proprietaire@example.org")
    page = owner.get("/admin/incidents")
    assert page.status_code == 200
    assert ARCHIVE_LABEL in text_of(page)
    assert "relancer" not in page.get_data(as_text=True)
    index = text_of(owner.get("/admin/"))
    assert "Incidents des processus" in index and "Boîte d'envoi" not in index

    admin = browser_factory()
    admin.login(ADMIN)
    index_page = admin.get("/admin/")
    index = text_of(index_page)
    for label in ("Boîte d'envoi", "Modèles de courriels", "Travaux programmés"):
        assert label in index
    for url in ADMIN_ONLY_PAGES:
        assert f'href="{url}"' in index_page.get_data(as_text=True)


def test_no_query_string_makes_a_500(admin: Browser, session: Session, dossier: Instance) -> None:
    garbage = (
        "'\"",
        "%",
        "/admin/\r\nX-Y: z",
        "/admin/\x00",
        "/admin/../..//x",
        "\x00",
        "a\x00b",
        "-1",
        "0",
        "9" * 400,
        "²",
        "１２",
        "é€😀",
        "x" * 5000,
    )
    for url in ("/admin/courriels", "/admin/travaux", "/admin/incidents"):
        for text in garbage:
            query = {"page": text, "statut": text, "nature": text}
            response = admin.get(url, query_string=query)
            assert response.status_code == 200, (url, text[:20])
    done = session.scalar(select(Job.id).where(Job.instance_id == dossier.id))
    for text in garbage:
        refused = admin.post(f"/admin/travaux/{done}/relancer", {"retour": text})
        assert refused.status_code == 302
        back = urlsplit(refused.headers["Location"])
        assert back.netloc in ("", "localhost") and back.path.startswith("/admin/"), text[:20]
        assert "\n" not in refused.headers["Location"] and "//" not in back.path
