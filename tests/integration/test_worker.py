"""The worker: retries and incidents, SMTP delivery once, and (on PostgreSQL) several worker
processes side by side, one of them killed in the middle of its work."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from engine import jobs
from engine.core.actor import Actor
from engine.core.db import make_session_factory
from engine.core.errors import Conflict
from engine.core.models import (
    AuditEvent,
    Email,
    EmailStatus,
    Instance,
    Job,
    JobStatus,
    Organisation,
    User,
)
from engine.emails.mailer import SmtpSettings
from engine.jobs import JobKind, NewJob
from engine.jobs.worker import WorkerSettings, retry
from engine.studio import scenario
from engine.wiring import make_worker
from engine.workflow import documents
from tests.dossiers import SCENARIOS
from tests.smtp_server import smtp_server
from web.background import start_worker_thread

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def depose(session: Session, upload_dir: Path) -> int:
    """A dossier déposé by its submitter (the engine, as the scenario runner plays it)."""
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    instance = scenario.start(session, organisation)
    played = SCENARIOS["favorable"]
    scenario.play_step(
        session, store, instance, played.steps[0], scenario.actor_picker(session, organisation)
    )
    session.commit()
    return instance.id


def email_jobs(session: Session, instance_id: int) -> list[Job]:
    session.rollback()
    session.expire_all()  # what the worker committed since, not what this session remembers
    return list(
        session.scalars(
            select(Job)
            .where(Job.instance_id == instance_id, Job.kind == str(JobKind.EMAIL))
            .order_by(Job.id)
        )
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin(session: Session) -> Actor:
    user = session.scalar(select(User).where(User.email == "admin@example.org"))
    assert user is not None
    return Actor.from_user(user)


def test_a_failing_job_is_retried_with_backoff_then_an_incident_that_relancer_runs(
    session: Session, sessions: sessionmaker[Session], depose: int
) -> None:
    unreachable = SmtpSettings(host="127.0.0.1", port=closed_port(), timeout=2)
    settings = WorkerSettings(smtp=unreachable, max_attempts=3, backoff=timedelta(seconds=10))
    worker = make_worker(sessions, settings)
    start = datetime.now(UTC)
    ack = email_jobs(session, depose)[0]
    assert ack.label.startswith("Courriel «\u00a0Accusé de réception")

    with freeze_time(start):
        worker.run_until_idle()
    [ack] = [job for job in email_jobs(session, depose) if job.id == ack.id]
    assert (ack.status, ack.attempts) == (JobStatus.PENDING, 1)
    assert ack.last_error is not None and "serveur SMTP 127.0.0.1" in ack.last_error
    first_retry = ack.run_at if ack.run_at.tzinfo else ack.run_at.replace(tzinfo=UTC)
    assert first_retry - start == timedelta(seconds=10)

    with freeze_time(start + timedelta(seconds=5)):
        assert worker.run_until_idle() == 0  # not due yet
    with freeze_time(start + timedelta(seconds=11)):
        worker.run_until_idle()  # second attempt, next in 20 s
    with freeze_time(start + timedelta(seconds=40)):
        worker.run_until_idle()  # third and last attempt
    [ack] = [job for job in email_jobs(session, depose) if job.id == ack.id]
    assert (ack.status, ack.attempts) == (JobStatus.FAILED, 3)
    assert session.scalar(select(func.count()).select_from(Email)) == 0
    incident = session.scalar(
        select(AuditEvent.summary).where(
            AuditEvent.instance_id == depose, AuditEvent.kind == "incident"
        )
    )
    assert incident is not None and "échec après 3 tentatives" in incident

    # Relancer, the SMTP server now configured away (outbox): it runs and the email is written.
    retry(session, admin(session), ack.id)
    session.commit()
    make_worker(sessions).run_until_idle()
    [ack] = [job for job in email_jobs(session, depose) if job.id == ack.id]
    assert ack.status == JobStatus.DONE
    assert session.scalar(select(Email.status).where(Email.idempotency_key == ack.idempotency_key))
    assert "relancé" in (
        session.scalar(
            select(AuditEvent.summary).where(
                AuditEvent.instance_id == depose, AuditEvent.kind == "relance"
            )
        )
        or ""
    )


def test_a_pending_job_cannot_be_relaunched_early(session: Session, depose: int) -> None:
    """Relancer is for incidents: a pending job (a timer waiting for its date) keeps its date."""
    pending = email_jobs(session, depose)[0]
    assert pending.status == JobStatus.PENDING
    run_at = pending.run_at
    with pytest.raises(Conflict, match="Seul un travail en échec"):
        retry(session, admin(session), pending.id)
    session.rollback()
    session.refresh(pending)
    assert (pending.status, pending.run_at) == (JobStatus.PENDING, run_at)


def test_smtp_delivers_each_email_once_with_a_stable_message_id(
    session: Session, sessions: sessionmaker[Session], depose: int
) -> None:
    with smtp_server() as server:
        smtp = SmtpSettings(host="127.0.0.1", port=server.server_address[1])
        worker = make_worker(sessions, WorkerSettings(smtp=smtp))
        assert worker.run_until_idle() == len(email_jobs(session, depose))
        # The same emails asked again (a retried request): the keys keep them single.
        jobs.enqueue(
            session,
            [
                NewJob(JobKind.EMAIL, job.idempotency_key or "", job.label, depose, job.payload)
                for job in email_jobs(session, depose)
            ],
        )
        session.commit()
        assert worker.run_until_idle() == 0
    sent = [(str(message["To"]), str(message["Subject"])) for message in server.received]
    assert len(sent) == len(set(sent)) == len(email_jobs(session, depose))
    subjects = [subject for _to, subject in sent]
    assert any(subject.startswith("Accusé de réception") for subject in subjects)
    assert all(str(message["Message-ID"]).endswith("@inventaire>") for message in server.received)
    statuses = session.scalars(select(Email.status).where(Email.instance_id == depose)).all()
    assert set(statuses) == {EmailStatus.SENT}


def test_an_smtp_send_interrupted_by_a_crash_is_not_sent_again(
    session: Session, sessions: sessionmaker[Session], depose: int
) -> None:
    ack = email_jobs(session, depose)[0]
    # What a worker killed during the SMTP call leaves: the intent, committed.
    session.add(
        Email(
            idempotency_key=ack.idempotency_key or "",
            instance_id=depose,
            template="accuse_depot",
            recipient=str((ack.payload or {})["to"]),
            subject="Accusé",
            body="…",
            status=EmailStatus.SENDING,
        )
    )
    session.commit()
    with smtp_server() as server:
        smtp = SmtpSettings(host="127.0.0.1", port=server.server_address[1])
        make_worker(sessions, WorkerSettings(smtp=smtp)).run_until_idle()
    # That one is not sent again; the dossier's other addressee (its contact) still gets theirs.
    to = str((ack.payload or {})["to"])
    assert not any(
        str(m["Subject"]).startswith("Accusé") and str(m["To"]) == to for m in server.received
    )
    session.rollback()
    assert session.scalar(
        select(Email.status).where(Email.idempotency_key == ack.idempotency_key)
    ) == (EmailStatus.UNCERTAIN)


# --- several processes, on PostgreSQL ----------------------------------------------------------

postgres_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several workers side by side need PostgreSQL (SQLite runs one worker)",
)


def worker_process(name: str, *extra: str, lease: float = 60) -> subprocess.Popen[bytes]:
    url = os.environ["TEST_DATABASE_URL"]
    env = os.environ | {
        "INVENTAIRE_DATABASE_URL": f"{url}?application_name={name}",
        "INVENTAIRE_SECRET_KEY": "test",
        "INVENTAIRE_WORKER_POLL_SECONDS": "0.2",
        "INVENTAIRE_WORKER_LEASE_SECONDS": str(lease),
    }
    command = [str(Path(sys.executable).parent / "inventaire"), "worker", "--name", name, *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@postgres_only
def test_three_worker_processes_run_each_of_1000_due_jobs_exactly_once(
    session: Session, depose: int, processes: list[subprocess.Popen[bytes]]
) -> None:
    jobs.enqueue(
        session,
        [
            NewJob(
                JobKind.EMAIL,
                f"charge:{number}",
                f"Courriel de charge {number}",
                depose,
                {"template": "x", "to": f"p{number}@example.org", "subject": "s", "body": "b"},
                run_at=datetime.now(UTC) - timedelta(seconds=1),
            )
            for number in range(1000)
        ],
    )
    session.commit()
    processes.extend(worker_process(f"travailleur-{n}", "--once") for n in range(3))
    for process in processes:
        assert process.wait(timeout=240) == 0
    session.rollback()
    rows = session.execute(
        select(Job.status, Job.attempts, Job.lease_owner).where(
            Job.idempotency_key.like("charge:%")
        )
    ).all()
    assert len(rows) == 1000
    assert {(status, attempts) for status, attempts, _owner in rows} == {(JobStatus.DONE, 1)}
    assert len({owner for _s, _a, owner in rows}) >= 2, "the workers shared the jobs"
    assert (
        session.scalar(
            select(func.count()).select_from(Email).where(Email.idempotency_key.like("charge:%"))
        )
        == 1000
    )
    sent = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.instance_id == depose, AuditEvent.summary.like("Courriel «\u00a0s\u00a0»%")
        )
    )
    assert sent == 1000


def wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


@postgres_only
def test_a_worker_killed_in_the_middle_of_a_job_leaves_it_to_another_once(
    session: Session,
    sessions: sessionmaker[Session],
    depose: int,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    # The dossier waits for complements; its deadline and reminder are made due now.
    played = SCENARIOS["classee_sans_suite"]
    organisation = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    store = documents.DocumentStore(Path("/tmp"), 2 * 1024 * 1024)
    instance = session.get(Instance, depose)
    assert instance is not None
    scenario.play_step(
        session, store, instance, played.steps[1], scenario.actor_picker(session, organisation)
    )
    session.commit()
    session.execute(
        update(Job)
        .where(Job.instance_id == depose, Job.status == JobStatus.PENDING)
        .values(run_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    before = {job.id for job in session.scalars(select(Job).where(Job.instance_id == depose))}

    # Someone holds the dossier's row: the worker will block inside its first job.
    blocker = sessions()
    blocker.execute(text("SELECT id FROM instance WHERE id = :id FOR UPDATE"), {"id": depose})
    first = worker_process("premier", lease=2)
    processes.append(first)

    def first_is_blocked() -> bool:
        with sessions() as probe:
            return bool(
                probe.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = 'premier' AND wait_event_type = 'Lock'"
                    )
                )
            )

    wait_for(first_is_blocked)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    blocker.rollback()
    blocker.close()

    second = worker_process("second", lease=2)
    processes.append(second)

    def all_done() -> bool:
        with sessions() as probe:
            statuses = probe.scalars(select(Job.status).where(Job.id.in_(before))).all()
            return all(status in (JobStatus.DONE, JobStatus.CANCELLED) for status in statuses)

    wait_for(all_done)
    second.send_signal(signal.SIGTERM)
    session.rollback()
    taken = session.scalars(select(Job).where(Job.id.in_(before))).all()
    assert any(job.attempts == 2 for job in taken), "a job begun by the killed worker was rerun"
    assert {job.lease_owner for job in taken if job.status == JobStatus.DONE} == {"second"}
    instance = session.get(Instance, depose)
    assert instance is not None and instance.status_label == "Classée sans suite"
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == depose)).all()
    assert kinds.count("fin") == 1
    reached = session.scalars(
        select(AuditEvent.summary).where(
            AuditEvent.instance_id == depose, AuditEvent.kind == "echeance"
        )
    ).all()
    assert "Échéance atteinte\u00a0: «\u00a0Délai de compléments échu\u00a0»." in reached
    assert len(reached) == len(set(reached))
    keys = session.scalars(select(Email.idempotency_key).where(Email.instance_id == depose)).all()
    assert len(keys) == len(set(keys))
    assert len(keys) == kinds.count("courriel")


def test_inventaire_run_starts_a_worker_thread_that_sends_the_due_emails(
    app: Flask, session: Session, depose: int
) -> None:
    thread, stop = start_worker_thread(app)
    try:
        # All done: a job still claimed when the thread stops goes back to the queue.
        wait_for(
            lambda: all(job.status == JobStatus.DONE for job in email_jobs(session, depose)),
            timeout=20,
        )
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert {job.status for job in email_jobs(session, depose)} == {JobStatus.DONE}


def test_inventaire_worker_once_runs_what_is_due_and_exits(
    database_url: str, session: Session, depose: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from web.cli import main

    due = len(email_jobs(session, depose))
    monkeypatch.setenv("INVENTAIRE_DATABASE_URL", database_url)
    monkeypatch.setenv("INVENTAIRE_SECRET_KEY", "test")
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert f"{due} travail(aux) exécuté(s)." in result.output
    assert {job.status for job in email_jobs(session, depose)} == {JobStatus.DONE}
