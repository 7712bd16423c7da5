"""Webhooks: events written with the change that causes them, delivered by the worker to a
real HTTP server on 127.0.0.1, signed, retried with a growing wait, resent under the same
delivery id; nothing for a rolled-back change or a paused subscription; private addresses
refused unless allowed."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import jobs
from engine.core.actor import SYSTEM
from engine.core.clock import utcnow
from engine.core.db import make_session_factory
from engine.core.errors import Conflict, FormInvalid
from engine.core.models import (
    AuditEvent,
    DeliveryStatus,
    Instance,
    Job,
    JobStatus,
    Organisation,
    WebhookDelivery,
)
from engine.core.settings import EngineSettings, WebhookSettings
from engine.jobs import JobKind, NewJob
from engine.studio import scenario
from engine.webhooks import delivery, sending, signing, subscriptions
from engine.webhooks.events import EventType
from engine.wiring import make_worker
from engine.workflow import documents
from tests.dossiers import SCENARIOS
from tests.webhook_receiver import Receiver, webhook_receiver

SERVER_KEY = "clé du serveur de test"
BACKOFF = timedelta(seconds=30)


def settings(*, allow_private: bool = True) -> EngineSettings:
    return EngineSettings(
        link_secret=SERVER_KEY,
        webhooks=WebhookSettings(allow_private=allow_private, backoff=BACKOFF, max_attempts=4),
    )


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    """Sessions whose settings allow a receiver on 127.0.0.1 (the test's own server)."""
    return make_session_factory(db_engine, settings())


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as server:
        yield server


def subscribe(db: Session, receiver: Receiver, *kinds: EventType) -> tuple[int, str]:
    made = subscriptions.subscribe(
        db, SYSTEM, url=receiver.url, events=[str(kind) for kind in kinds], description="Test"
    )
    db.commit()
    return made.subscription.id, made.secret


def deposer(db: Session, upload_dir: Path, *, commit: bool = True) -> int:
    """A Ministère's dossier déposé through the engine (its status changes, a task opens)."""
    organisation = db.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert organisation is not None
    instance = scenario.start(db, organisation)
    scenario.play_step(
        db,
        documents.DocumentStore(upload_dir, 2 * 1024 * 1024),
        instance,
        SCENARIOS["favorable"].steps[0],
        scenario.actor_picker(db, organisation),
    )
    instance_id = instance.id
    if commit:
        db.commit()
    else:
        db.rollback()
    return instance_id


def deliveries(db: Session) -> list[WebhookDelivery]:
    db.rollback()
    db.expire_all()
    return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def make_due(db: Session) -> None:
    """The next attempt's wait elapsed (its job made due now, as the clock would)."""
    db.rollback()
    db.execute(
        update(Job)
        .where(Job.kind == str(JobKind.WEBHOOK), Job.status == JobStatus.PENDING)
        .values(run_at=Job.created_at)
    )
    db.commit()


def test_a_status_change_is_delivered_signed_once(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscription_id, secret = subscribe(db, receiver, EventType.DOSSIER_STATUT)
    assert secret.startswith("whsec_")
    instance_id = deposer(db, upload_dir)
    make_worker(sessions).run_until_idle()

    assert len(receiver.received) == 1
    got = receiver.received[0]
    body = json.loads(got.body)
    instance = db.get(Instance, instance_id)
    assert instance is not None
    assert body["evenement"] == "dossier.statut_modifie"
    assert body["dossier"]["id"] == instance_id
    assert body["dossier"]["reference"] == instance.reference
    assert body["dossier"]["statut"] == instance.status_label
    assert got.headers["Inventaire-Event"] == "dossier.statut_modifie"
    assert got.headers["Inventaire-Delivery"] == body["id"]
    assert got.path == "/recepteur"
    # The receiver checks the signature with the secret it was shown once.
    header = got.headers["Inventaire-Signature"]
    assert signing.verify(secret, header, got.body, now=int(time.time()))
    assert not signing.verify(secret, header, got.body + b" ", now=int(time.time()))
    assert not signing.verify("whsec_autre", header, got.body, now=int(time.time()))
    # A replay later than the tolerance is refused, however well signed.
    assert not signing.verify(secret, header, got.body, now=int(time.time()) + 3600)
    # No personal data: no name, no email of the submitter in the body.
    assert "@" not in got.body.decode()

    (row,) = deliveries(db)
    assert row.subscription_id == subscription_id
    assert row.status == DeliveryStatus.DELIVERED
    assert row.attempts == 1 and row.response_code == 200 and row.duration_ms is not None


def test_a_task_that_waits_is_delivered(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscribe(db, receiver, EventType.TACHE_OUVERTE)
    instance_id = deposer(db, upload_dir)
    make_worker(sessions).run_until_idle()
    assert receiver.received, "no delivery for the new task"
    bodies = [json.loads(item.body) for item in receiver.received]
    assert {body["evenement"] for body in bodies} == {"tache.ouverte"}
    assert all(body["dossier"]["id"] == instance_id for body in bodies)
    assert all(body["tache"]["id"] and body["tache"]["titre"] for body in bodies)


def test_a_rolled_back_change_sends_nothing(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscribe(db, receiver, EventType.DOSSIER_STATUT, EventType.TACHE_OUVERTE)
    deposer(db, upload_dir, commit=False)
    make_worker(sessions).run_until_idle()
    assert deliveries(db) == []
    assert db.scalars(select(Job).where(Job.kind == str(JobKind.WEBHOOK))).all() == []
    assert receiver.received == []


def test_a_paused_subscription_receives_nothing(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscription_id, _secret = subscribe(db, receiver, EventType.DOSSIER_STATUT)
    subscriptions.set_active(db, SYSTEM, subscription_id, False)
    db.commit()
    deposer(db, upload_dir)
    make_worker(sessions).run_until_idle()
    assert deliveries(db) == []
    assert receiver.received == []

    # Paused after the event was written: its delivery is not sent either.
    subscriptions.set_active(db, SYSTEM, subscription_id, True)
    db.commit()
    deposer(db, upload_dir)
    subscriptions.set_active(db, SYSTEM, subscription_id, False)
    db.commit()
    make_worker(sessions).run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.SKIPPED
    assert receiver.received == []
    # *Renvoyer* is refused while the subscription stays paused.
    with pytest.raises(Conflict, match="suspendu"):
        delivery.resend(db, SYSTEM, row.id)
    db.rollback()
    kinds = [
        event.summary
        for event in db.scalars(select(AuditEvent).where(AuditEvent.kind == "webhook"))
    ]
    assert any("suspendu" in text for text in kinds) and any("repris" in text for text in kinds)


def test_retries_wait_longer_each_time_then_succeed(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscribe(db, receiver, EventType.DOSSIER_STATUT)
    receiver.answers = [500, 500]
    deposer(db, upload_dir)
    worker = make_worker(sessions)
    worker.run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.response_code == 500 and row.last_error == "Le récepteur a répondu HTTP 500."
    assert row.next_attempt_at is not None and row.last_attempt_at is not None
    assert row.next_attempt_at - row.last_attempt_at == BACKOFF
    # Not yet due: the worker sends nothing more.
    worker.run_until_idle()
    assert len(receiver.received) == 1

    make_due(db)
    worker.run_until_idle()
    (row,) = deliveries(db)
    assert row.attempts == 2 and row.status == DeliveryStatus.PENDING
    assert row.next_attempt_at is not None and row.last_attempt_at is not None
    assert row.next_attempt_at - row.last_attempt_at == 2 * BACKOFF

    make_due(db)
    worker.run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 3
    assert row.response_code == 200 and row.last_error is None
    ids = {item.headers["Inventaire-Delivery"] for item in receiver.received}
    assert len(receiver.received) == 3 and ids == {row.delivery_id}


def test_failed_after_the_last_attempt_then_resent_with_the_same_id(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscribe(db, receiver, EventType.DOSSIER_STATUT)
    receiver.answers = [503] * 4
    deposer(db, upload_dir)
    worker = make_worker(sessions)
    for _attempt in range(4):
        worker.run_until_idle()
        make_due(db)
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.FAILED and row.attempts == 4
    assert row.next_attempt_at is None
    assert len(receiver.received) == 4

    delivery.resend(db, SYSTEM, row.id)
    db.commit()
    with pytest.raises(Conflict):  # already waiting for its attempt
        delivery.resend(db, SYSTEM, row.id)
    db.rollback()
    worker.run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 5
    first, last = receiver.received[0], receiver.received[-1]
    assert last.headers["Inventaire-Delivery"] == first.headers["Inventaire-Delivery"]
    assert last.body == first.body


def test_connection_refused_is_retried(
    db: Session, sessions: sessionmaker[Session], upload_dir: Path
) -> None:
    with webhook_receiver() as gone:
        subscribe(db, gone, EventType.DOSSIER_STATUT)
    deposer(db, upload_dir)  # the receiver is stopped: nobody listens on its port
    make_worker(sessions).run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.response_code is None
    assert row.last_error == "Connexion refusée par le récepteur."


def test_private_addresses_are_refused_unless_allowed(
    db_engine: Engine, receiver: Receiver, upload_dir: Path, db: Session
) -> None:
    guarded = make_session_factory(db_engine, settings(allow_private=False))
    with guarded() as session:
        for url, message in (
            (receiver.url, "adresse privée, locale ou réservée"),
            ("http://[::1]/x", "adresse privée, locale ou réservée"),
            ("http://169.254.169.254/latest/meta-data", "adresse privée, locale ou réservée"),
            ("http://10.1.2.3/", "adresse privée, locale ou réservée"),
            ("http://localhost:8080/", "adresse privée, locale ou réservée"),
            ("file:///etc/passwd", "Seules les adresses http:// ou https://"),
            ("https://utilisateur:secret@exemple.fr/", "ni de mot de passe"),
        ):
            with pytest.raises(FormInvalid) as refused:
                subscriptions.subscribe(
                    session, SYSTEM, url=url, events=[str(EventType.DOSSIER_STATUT)]
                )
            assert message in refused.value.errors["url"], url
            session.rollback()

    # Subscribed where private addresses were allowed, delivered by a worker where they are
    # not: the address is checked again at delivery, and nothing reaches the receiver.
    subscribe(db, receiver, EventType.DOSSIER_STATUT)
    deposer(db, upload_dir)
    make_worker(guarded).run_until_idle()
    (row,) = deliveries(db)
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    assert row.last_error is not None and "127.0.0.1" in row.last_error
    assert receiver.received == []


def test_register_entries_published_expired_and_withdrawn_are_delivered(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    subscribe(db, receiver, EventType.FICHE_PUBLIEE, EventType.FICHE_ECHUE, EventType.FICHE_RETIREE)
    organisations = {row.kind: row for row in db.scalars(select(Organisation))}
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    played = scenario.run(db, store, SCENARIOS["favorable"], organisations)
    assert played.passed, played.message
    db.commit()
    worker = make_worker(sessions)
    worker.run_until_idle()
    bodies = [json.loads(item.body) for item in receiver.received]
    assert [body["evenement"] for body in bodies] == ["registre.fiche_publiee"]
    numero = bodies[0]["fiche"]["numero"]
    assert bodies[0]["fiche"]["statut"] == "active"
    assert bodies[0]["fiche"]["dossier_id"] == played.instance_id

    # Its fin de validité comes (its job made due), then a retrait decides it is withdrawn.
    db.execute(
        update(Job)
        .where(Job.kind == str(JobKind.FIN_VALIDITE), Job.status == JobStatus.PENDING)
        .values(run_at=Job.created_at)
    )
    jobs.enqueue(
        db,
        [
            NewJob(
                kind=JobKind.RETRAIT,
                key=f"retrait-test:{numero}",
                label=f"Retrait de {numero}",
                instance_id=None,
                payload={"numero": numero, "motif": "Décision de la commission"},
                run_at=utcnow() + timedelta(days=1),
            )
        ],
    )
    db.commit()
    worker.run_until_idle()
    make_due_kind(db, JobKind.RETRAIT)
    worker.run_until_idle()
    bodies = [json.loads(item.body) for item in receiver.received]
    assert [body["evenement"] for body in bodies] == [
        "registre.fiche_publiee",
        "registre.fiche_echue",
        "registre.fiche_retiree",
    ]
    assert [body["fiche"]["statut"] for body in bodies] == ["active", "echue", "retiree"]
    assert {body["fiche"]["numero"] for body in bodies} == {numero}
    assert len({body["id"] for body in bodies}) == 3


def make_due_kind(db: Session, kind: JobKind) -> None:
    db.rollback()
    db.execute(
        update(Job)
        .where(Job.kind == str(kind), Job.status == JobStatus.PENDING)
        .values(run_at=Job.created_at)
    )
    db.commit()


def test_the_engine_functions_an_api_calls(db: Session, receiver: Receiver) -> None:
    """subscribe (an organisation's own), list, update, delete: each audited, bad input in
    French."""
    ministere = db.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert ministere is not None
    made = subscriptions.subscribe(
        db,
        SYSTEM,
        url=receiver.url,
        events=[str(EventType.TACHE_OUVERTE)],
        organisation_id=ministere.id,
    )
    db.commit()
    key = made.subscription.id
    assert [row.id for row in subscriptions.subscriptions(db)] == [key]
    assert [
        row.id for row in subscriptions.subscriptions(db, organisation_id=ministere.id, every=False)
    ] == [key]
    assert subscriptions.subscriptions(db, organisation_id=ministere.id + 1000, every=False) == []

    changed = subscriptions.update(
        db,
        SYSTEM,
        key,
        url=receiver.url + "/v2",
        events=[str(EventType.FICHE_ECHUE), str(EventType.DOSSIER_STATUT)],
        description="Nouvelle adresse",
    )
    db.commit()
    # Events keep the catalogue's order; the secret does not change.
    assert changed.events == [str(EventType.DOSSIER_STATUT), str(EventType.FICHE_ECHUE)]
    assert subscriptions.secret_of(db, changed) == made.secret
    with pytest.raises(FormInvalid) as refused:
        subscriptions.update(db, SYSTEM, key, url="gopher://x", events=[], description="x" * 301)
    assert set(refused.value.errors) == {"url", "events", "description"}
    db.rollback()
    assert subscriptions.delete(db, SYSTEM, key) == receiver.url + "/v2"
    db.commit()
    assert subscriptions.subscriptions(db) == []
    summaries = [
        event.summary
        for event in db.scalars(
            select(AuditEvent).where(AuditEvent.kind == "webhook").order_by(AuditEvent.id)
        )
    ]
    assert summaries == [
        f"Webhook créé vers {receiver.url}.",
        f"Webhook {key} modifié ({receiver.url}/v2).",
        f"Webhook {key} supprimé ({receiver.url}/v2).",
    ]


def test_an_organisations_subscription_hears_only_its_dossiers(
    db: Session, sessions: sessionmaker[Session], receiver: Receiver, upload_dir: Path
) -> None:
    other = db.scalar(select(Organisation).where(Organisation.kind == "cpne"))
    assert other is not None
    subscriptions.subscribe(
        db,
        SYSTEM,
        url=receiver.url,
        events=[str(EventType.DOSSIER_STATUT)],
        organisation_id=other.id,
    )
    db.commit()
    deposer(db, upload_dir)  # a Ministère's dossier
    make_worker(sessions).run_until_idle()
    assert deliveries(db) == [] and receiver.received == []


def test_a_receiver_that_trickles_its_answer_is_cut_off() -> None:
    """A byte every 0.2 s stays under the read timeout: the attempt's own deadline ends it."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.is_set():
                try:
                    connection.sendall(b"X")
                except OSError:
                    return
                stop.wait(0.2)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    try:
        outcome = sending.post(
            f"http://127.0.0.1:{port}/lent",
            b"{}",
            {},
            WebhookSettings(allow_private=True, read_timeout=1.0, total_timeout=1.5),
        )
    finally:
        stop.set()
        server.close()
        thread.join(5)
    assert not outcome.delivered and outcome.code is None
    assert outcome.error == "Délai dépassé\u00a0: le récepteur a répondu trop lentement."
