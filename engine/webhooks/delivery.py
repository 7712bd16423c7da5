"""The worker's side: one attempt of one delivery (the `webhook` job), its result in the
delivery's log, the next attempt scheduled with a growing wait; *Renvoyer*.

The attempt commits what it read before the HTTP call (the job stays `running` under the
worker's lease), so no database lock is held while a receiver answers. A worker that dies
during the call leaves the job to another, which sends again with the same delivery id:
deliveries are at least once, and the receiver deduplicates on `Inventaire-Delivery`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit, dialect
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, NotFound
from engine.core.models import (
    DELIVERY_STATUS_LABELS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    as_id,
)
from engine.core.settings import settings_of
from engine.jobs.api import JobRun
from engine.webhooks import outbox, sending, signing
from engine.webhooks.subscriptions import AUDIT_KIND, secret_of


def deliver_job(run: JobRun) -> str:
    session = run.session
    payload = run.job.payload or {}
    delivery = session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.delivery_id == str(payload.get("livraison", ""))
        )
    )
    if delivery is None:
        return "Livraison introuvable (abonnement supprimé)\u00a0: rien à envoyer."
    if delivery.status != DeliveryStatus.PENDING:
        label = DELIVERY_STATUS_LABELS[DeliveryStatus(delivery.status)]
        return f"Livraison déjà «\u00a0{label}\u00a0»."
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None:
        return "Abonnement supprimé\u00a0: rien à envoyer."
    if not subscription.active:
        delivery.status = DeliveryStatus.SKIPPED
        delivery.next_attempt_at = None
        return "Abonnement suspendu\u00a0: livraison non envoyée."
    settings = settings_of(session).webhooks
    secret = secret_of(session, subscription)
    attempt = int(payload.get("tentative") or 1)
    body = delivery.body.encode()
    timestamp = int(utcnow().timestamp())
    headers = {
        signing.DELIVERY_HEADER: delivery.delivery_id,
        signing.EVENT_HEADER: delivery.event,
        signing.SIGNATURE_HEADER: signing.signature_header(secret, timestamp, body),
    }
    url = subscription.url
    run.commit_intent()
    outcome = sending.post(url, body, headers, settings)
    dialect.begin_writing(session)
    return _record(session, delivery, outcome, attempt)


def _record(
    session: Session, delivery: WebhookDelivery, outcome: sending.Outcome, attempt: int
) -> str:
    settings = settings_of(session).webhooks
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = outcome.code
    delivery.duration_ms = outcome.duration_ms
    if outcome.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.last_error = None
        delivery.next_attempt_at = None
        return f"Livrée (HTTP {outcome.code}, tentative {attempt})."
    delivery.last_error = outcome.error
    if outcome.refused or attempt >= settings.max_attempts:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        plural = "s" if attempt > 1 else ""
        return f"En échec après {attempt} tentative{plural}\u00a0: {outcome.error}"
    delivery.next_attempt_at = now + settings.delay_after(attempt)
    jobs.enqueue(
        session,
        [
            outbox.attempt_job(
                delivery.delivery_id,
                delivery.event,
                key_suffix=str(delivery.attempts + 1),
                attempt=attempt + 1,
                run_at=delivery.next_attempt_at,
            )
        ],
    )
    return f"Tentative {attempt} en échec\u00a0: {outcome.error} Nouvelle tentative programmée."


def get(session: Session, delivery_key: object) -> WebhookDelivery:
    key = as_id(delivery_key)
    found = session.get(WebhookDelivery, key) if key is not None else None
    if found is None:
        raise NotFound("Livraison introuvable.")
    return found


def resend(session: Session, actor: Actor, delivery_key: object) -> WebhookDelivery:
    """*Renvoyer*: a new round of attempts, the same delivery id and body (the receiver
    recognises it); refused while it waits for an attempt or its subscription is paused."""
    delivery = get(session, delivery_key)
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict("Cette livraison attend déjà sa prochaine tentative.")
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None or not subscription.active:
        raise Conflict("L'abonnement est suspendu\u00a0: reprenez-le avant de renvoyer.")
    now = utcnow()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    jobs.enqueue(
        session,
        [
            outbox.attempt_job(
                delivery.delivery_id,
                delivery.event,
                key_suffix=f"renvoi-{uuid.uuid4().hex[:12]}",
                attempt=1,
                run_at=now,
            )
        ],
    )
    audit.record(
        session,
        None,
        actor,
        AUDIT_KIND,
        f"Webhook {subscription.id}\u00a0: livraison {delivery.delivery_id} renvoyée.",
        details={"abonnement": subscription.id, "livraison": delivery.delivery_id},
    )
    return delivery
