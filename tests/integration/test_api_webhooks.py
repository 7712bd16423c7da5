"""Webhook subscriptions through the API, for administrators: made (the secret in the 201 body
only, once per Idempotency-Key), listed, read, changed, paused, resumed, deleted, each change
audited as the pages' are; the delivery log and *Renvoyer*; refused to everyone else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.actor import SYSTEM
from engine.core.db import make_session_factory
from engine.core.models import DeliveryStatus, IdempotencyKey, WebhookDelivery, WebhookSubscription
from engine.webhooks import subscriptions
from engine.webhooks.events import EventType
from engine.wiring import make_worker
from tests.api import call, token_for
from tests.integration.test_webhooks import deposer, settings
from tests.integration.test_webhooks_admin import PUBLIC_URL, audit_lines
from tests.webhook_receiver import Receiver, webhook_receiver

ADMIN = "admin@example.org"
ALL = ("lecture", "ecriture", "admin")


@pytest.fixture
def hook_sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine, settings())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as server:
        yield server


def count(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(WebhookSubscription)) or 0


def test_an_administrator_manages_a_subscription_through_the_api(
    client: FlaskClient, session: Session
) -> None:
    token = token_for(session, ADMIN, ALL)
    body = {
        "url": PUBLIC_URL,
        "evenements": [str(EventType.DOSSIER_STATUT)],
        "description": "Notre SI",
    }
    key = {"Idempotency-Key": "abonnement-1"}
    made = call(client, "POST", "/api/v1/webhooks", token, json=body, headers=key)
    assert made.status_code == 201, made.json
    secret = made.json["secret"]
    assert secret and made.json["actif"] is True
    key_id = made.json["id"]
    assert made.headers["Location"].endswith(f"/api/v1/webhooks/{key_id}")
    again = call(client, "POST", "/api/v1/webhooks", token, json=body, headers=key)
    assert again.status_code == 201 and again.json == made.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(session) == 1
    # The key's stored answer holds no secret: the replay derived it again.
    session.rollback()
    stored = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "abonnement-1"))
    assert stored is not None and "secret" not in stored.response
    assert secret not in json.dumps(stored.response)

    listed = call(client, "GET", "/api/v1/webhooks", token)
    assert [row["id"] for row in listed.json["elements"]] == [key_id]
    assert "secret" not in listed.json["elements"][0]
    read = call(client, "GET", f"/api/v1/webhooks/{key_id}", token)
    assert read.json["url"] == PUBLIC_URL and "secret" not in read.json

    changed = call(
        client,
        "PATCH",
        f"/api/v1/webhooks/{key_id}",
        token,
        json={"evenements": [str(EventType.FICHE_ECHUE)], "description": "Autre"},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["evenements"] == [str(EventType.FICHE_ECHUE)]
    assert changed.json["description"] == "Autre" and changed.json["url"] == PUBLIC_URL
    paused = call(client, "POST", f"/api/v1/webhooks/{key_id}/suspendre", token)
    assert paused.status_code == 200 and paused.json["actif"] is False
    resumed = call(client, "POST", f"/api/v1/webhooks/{key_id}/reprendre", token)
    assert resumed.json["actif"] is True
    gone = call(client, "DELETE", f"/api/v1/webhooks/{key_id}", token)
    assert gone.status_code == 204
    assert call(client, "GET", f"/api/v1/webhooks/{key_id}", token).status_code == 404
    assert count(session) == 0
    lines = audit_lines(session)
    assert lines[0] == f"Webhook créé vers {PUBLIC_URL}."
    assert any("modifié" in line for line in lines)
    assert any("suspendu" in line for line in lines) and any("repris" in line for line in lines)
    assert lines[-1].startswith(f"Webhook {key_id} supprimé")
    late = call(client, "POST", "/api/v1/webhooks", token, json=body, headers=key)
    assert late.status_code == 409 and "supprimé" in late.json["detail"]


def test_bad_subscriptions_are_answered_per_field_in_french(
    client: FlaskClient, session: Session
) -> None:
    token = token_for(session, ADMIN, ALL)
    wrong = call(
        client,
        "POST",
        "/api/v1/webhooks",
        token,
        json={"url": "ftp://nulle-part", "evenements": ["inconnu"]},
    )
    assert wrong.status_code == 422
    assert wrong.mimetype == "application/problem+json"
    assert set(wrong.json["erreurs"]) == {"url", "evenements"}
    assert wrong.json["erreurs"]["evenements"] == "Choisissez les événements dans la liste."
    missing = call(client, "POST", "/api/v1/webhooks", token, json={"url": 3})
    assert missing.status_code == 422
    assert missing.json["erreurs"]["evenements"] == "Ce champ est obligatoire."
    assert missing.json["erreurs"]["url"] == "Saisissez un texte."
    assert count(session) == 0
    assert call(client, "PATCH", "/api/v1/webhooks/999999", token, json={}).status_code == 404
    resent = call(client, "POST", "/api/v1/webhooks/livraisons/999999/renvoyer", token)
    assert resent.status_code == 404


def test_no_one_but_an_administrator_with_the_admin_scope_may(
    client: FlaskClient, session: Session, hook_sessions: sessionmaker[Session]
) -> None:
    with hook_sessions() as db:
        made = subscriptions.subscribe(
            db, SYSTEM, url=PUBLIC_URL, events=[str(EventType.FICHE_ECHUE)]
        )
        db.commit()
        key = made.subscription.id
    callers = {
        "sans portée admin": token_for(session, ADMIN, ("lecture", "ecriture")),
        "propriétaire": token_for(session, "proprietaire@example.org", ALL),
        "demandeur": token_for(session, "demandeur@example.org", ALL),
        "compte de service": token_for(session, "demandeur@example.org", ALL, kind="service"),
    }
    body = {"url": PUBLIC_URL, "evenements": [str(EventType.DOSSIER_STATUT)]}
    attempts = (
        ("GET", "/api/v1/webhooks", None),
        ("POST", "/api/v1/webhooks", body),
        ("GET", f"/api/v1/webhooks/{key}", None),
        ("PATCH", f"/api/v1/webhooks/{key}", {"description": "x"}),
        ("POST", f"/api/v1/webhooks/{key}/suspendre", None),
        ("DELETE", f"/api/v1/webhooks/{key}", None),
        ("GET", f"/api/v1/webhooks/{key}/livraisons", None),
        ("POST", "/api/v1/webhooks/livraisons/1/renvoyer", None),
    )
    for who, token in callers.items():
        for method, url, payload in attempts:
            response = call(client, method, url, token, json=payload)
            assert response.status_code == 403, (who, method, url, response.status_code)
    assert call(client, "GET", "/api/v1/webhooks").status_code == 401
    session.rollback()
    stored = session.get(WebhookSubscription, key)
    assert stored is not None and stored.active and stored.description == ""
    assert count(session) == 1


def test_the_delivery_log_and_renvoyer(
    client: FlaskClient,
    session: Session,
    hook_sessions: sessionmaker[Session],
    receiver: Receiver,
    upload_dir: Path,
) -> None:
    with hook_sessions() as db:
        made = subscriptions.subscribe(
            db, SYSTEM, url=receiver.url, events=[str(EventType.DOSSIER_STATUT)]
        )
        db.commit()
        key = made.subscription.id
        receiver.answers = [500] * 4
        deposer(db, upload_dir)
    worker = make_worker(hook_sessions)
    worker.run_until_idle()
    token = token_for(session, ADMIN, ALL)
    log = call(client, "GET", f"/api/v1/webhooks/{key}/livraisons", token)
    assert log.status_code == 200, log.json
    [row] = log.json["elements"]
    assert row["statut"] == "pending" or row["statut_libelle"] == "En attente"
    assert row["code_reponse"] == 500 and log.json["suivant"] is None
    waiting = call(client, "POST", f"/api/v1/webhooks/livraisons/{row['id']}/renvoyer", token)
    assert waiting.status_code == 409
    assert waiting.json["detail"] == "Cette livraison attend déjà sa prochaine tentative."
    bad_cursor = call(client, "GET", f"/api/v1/webhooks/{key}/livraisons?curseur=zz", token)
    assert bad_cursor.status_code == 400

    receiver.answers = []
    with hook_sessions() as db:
        stored = db.get(WebhookDelivery, row["id"])
        assert stored is not None
        stored.status = DeliveryStatus.FAILED  # as after its last attempt
        db.commit()
    resent = call(client, "POST", f"/api/v1/webhooks/livraisons/{row['id']}/renvoyer", token)
    assert resent.status_code == 202, resent.json
    assert resent.json["livraison"] == row["livraison"]
    assert resent.json["statut_libelle"] == "En attente"
    worker.run_until_idle()
    after = call(client, "GET", f"/api/v1/webhooks/{key}/livraisons", token)
    assert after.json["elements"][0]["statut_libelle"] == "Livrée"
    ids = [item.headers["Inventaire-Delivery"] for item in receiver.received]
    assert ids == [row["livraison"], row["livraison"]]
    assert any("renvoyée" in line for line in audit_lines(session))
