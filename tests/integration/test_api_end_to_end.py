"""The API's done-when, end to end: a submitter's system files a request through the API (a
draft made, filled, a piece uploaded, filed) with an `Idempotency-Key`; the reviewers complete
every following step on the pages, as users, until the certification is recensed and the
worker publishes it; meanwhile a webhook subscription delivers each status change of the
dossier, signed, to a real HTTP server on 127.0.0.1, exactly once; and the API's changes of
the register since a cursor taken before the publication return the published entry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import AuditEvent, Instance, User, WebhookDelivery
from engine.webhooks import signing, subscriptions
from engine.webhooks.events import EventType
from tests.api import call, token_for
from tests.dossiers import SCENARIOS
from tests.integration.test_api_dossiers import _filing_data
from tests.recensed import sessions_of
from tests.support import Browser, text_of
from tests.walk import DEMANDEUR_OF, Walker
from tests.webhook_receiver import Receiver, webhook_receiver

FAVORABLE = SCENARIOS["favorable"]
STATUS = str(EventType.DOSSIER_STATUT)


@pytest.fixture
def hooked_app(db_engine: Engine, database_url: str, upload_dir: Path) -> Iterator[Flask]:
    """The app as the tests' one, but allowed to deliver to a private address (127.0.0.1)."""
    from web import create_app

    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
            "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
            "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
            "WEBHOOKS_ALLOW_PRIVATE": True,
        }
    )
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as server:
        yield server


def subscribe(app: Flask, receiver: Receiver) -> str:
    """An administrator's subscription to status changes, made by the engine: its secret."""
    with sessions_of(app)() as db:
        admin = db.scalar(select(User).where(User.email == "admin@example.org"))
        assert admin is not None
        made = subscriptions.subscribe(
            db,
            Actor.from_user(admin),
            url=receiver.url,
            events=[STATUS],
            description="Système d'information du certificateur",
        )
        db.commit()
        return made.secret


def file_through_the_api(client: FlaskClient, token: str, session: Session) -> tuple[int, str, int]:
    """The request filed by the submitter's system: its id, its reference, and the last event
    of its trail while it was a draft (no event is sent about a dossier with no reference)."""
    key = {"Idempotency-Key": "bout-en-bout-creation"}
    new = {"processus": "recensement"}
    created = call(client, "POST", "/api/v1/dossiers", token, json=new, headers=key)
    assert created.status_code == 201, created.json
    dossier = int(created.json["id"])
    again = call(client, "POST", "/api/v1/dossiers", token, json=new, headers=key)
    assert again.status_code == 201 and again.json == created.json
    saved = call(
        client,
        "PATCH",
        f"/api/v1/dossiers/{dossier}/brouillon",
        token,
        json={"donnees": {"intitule": FAVORABLE.steps[0].data["intitule"]}},
    )
    assert saved.status_code == 200, saved.json
    data = _filing_data(client, token, dossier)  # its pieces uploaded first
    session.rollback()
    drafted = session.scalar(
        select(func.max(AuditEvent.id)).where(AuditEvent.instance_id == dossier)
    )
    assert drafted is not None
    key = {"Idempotency-Key": "bout-en-bout-depot"}
    body = {"donnees": data}
    filed = call(client, "POST", f"/api/v1/dossiers/{dossier}/depot", token, json=body, headers=key)
    assert filed.status_code == 201, filed.json
    # The system's connection dropped: it sends the same filing again, with the same key.
    retried = call(
        client, "POST", f"/api/v1/dossiers/{dossier}/depot", token, json=body, headers=key
    )
    assert retried.status_code == 201 and retried.json == filed.json
    assert retried.headers["Idempotent-Replayed"] == "true"
    return dossier, str(filed.json["reference"]), drafted


def status_trail(session: Session, dossier: int, drafted: int) -> list[str]:
    """The dossier's status changes since it was filed, from its audit trail."""
    session.rollback()
    summaries = session.scalars(
        select(AuditEvent.summary)
        .where(
            AuditEvent.instance_id == dossier,
            AuditEvent.kind == "statut",
            AuditEvent.id > drafted,
        )
        .order_by(AuditEvent.id)
    )
    return [re.sub(r"^Statut\u00a0: (.*)\.$", r"\1", summary) for summary in summaries]


def test_a_request_filed_through_the_api_is_recensed_on_the_pages_and_heard_by_webhook(
    hooked_app: Flask, receiver: Receiver, session: Session
) -> None:
    secret = subscribe(hooked_app, receiver)
    api = hooked_app.test_client()
    token = token_for(session, DEMANDEUR_OF[FAVORABLE.organisation])
    dossier, reference, drafted = file_through_the_api(api, token, session)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Instance)) == 1
    depots = select(func.count()).where(
        AuditEvent.instance_id == dossier, AuditEvent.kind == "depot"
    )
    assert session.scalar(depots) == 1, "the retried filing filed nothing more"

    before = call(api, "GET", "/api/v1/registre/changements")
    assert before.status_code == 200
    cursor = before.json["curseur"]
    already = {entry["numero"] for entry in before.json["elements"]}

    # The reviewers, each in their browser, complete every following step.
    walker = Walker(lambda: Browser(hooked_app.test_client()), FAVORABLE.organisation)
    walker.dossier_id = dossier
    walker.reference = reference
    assert reference in text_of(walker.demandeur.get(f"/demandes/{dossier}"))
    for step in FAVORABLE.steps[1:]:
        walker.step(step.task, step.data, step.timer)
    walker.run_jobs()  # the publication, the emails and the webhooks' deliveries
    page = text_of(walker.demandeur.get(f"/demandes/{dossier}"))
    match = re.search(r"Numéro à l'Inventaire (INV\d{5})", page)
    assert match, page[:2000]
    numero = match.group(1)
    assert numero in text_of(walker.demandeur.get(f"/registre/{numero}"))

    # Each status change of the dossier, exactly once (by delivery id), signed.
    heard: dict[str, dict[str, object]] = {}
    for got in receiver.received:
        body = json.loads(got.body)
        assert got.headers["Inventaire-Event"] == STATUS
        assert got.headers["Inventaire-Delivery"] == body["id"]
        header = got.headers["Inventaire-Signature"]
        stamp = int(dict(part.split("=", 1) for part in header.split(","))["t"])
        assert signing.verify(secret, header, got.body, now=stamp)
        assert not signing.verify("whsec_autre", header, got.body, now=stamp)
        assert body["id"] not in heard, "a delivery received twice"
        heard[body["id"]] = body
    # In the order the changes were made (the outbox's rows, written with each change).
    session.rollback()
    made = session.scalars(select(WebhookDelivery.delivery_id).order_by(WebhookDelivery.id))
    ordered = [heard[delivery_id] for delivery_id in made]
    assert len(ordered) == len(heard)
    assert all(body["dossier"]["id"] == dossier for body in ordered)  # type: ignore[index]
    assert all(body["dossier"]["reference"] == reference for body in ordered)  # type: ignore[index]
    statuses = [body["dossier"]["statut"] for body in ordered]  # type: ignore[index]
    trail = status_trail(session, dossier, drafted)
    assert len(trail) >= 3, trail
    assert statuses == trail

    # A mirror of the register, from its cursor taken before the publication.
    changes = call(api, "GET", f"/api/v1/registre/changements?depuis={cursor}")
    assert changes.status_code == 200, changes.json
    entries = {entry["numero"]: entry for entry in changes.json["elements"]}
    assert numero in entries and numero not in already
    assert entries[numero]["intitule"] == FAVORABLE.steps[0].data["intitule"]
