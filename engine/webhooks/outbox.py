"""Events written with the change that causes them: one delivery row and one job per
subscription that wants the event, in the caller's transaction (an outbox). A change rolled
back takes its deliveries with it; a change committed has them, whatever happens after.

Events about a dossier are written once it has a reference (filed, or opened by the staff):
a draft is its submitter's own until then.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core import process_cache
from engine.core.clock import utcnow
from engine.core.models import (
    DeliveryStatus,
    Instance,
    RegisterEntry,
    WebhookDelivery,
    WebhookSubscription,
    WorkItem,
)
from engine.core.settings import settings_of
from engine.jobs import JobKind, NewJob
from engine.webhooks import events
from engine.webhooks.events import EventType

# The body's format version: a receiver may check it.
BODY_VERSION = 1


def dossier_status_changed(session: Session, instance: Instance) -> None:
    if instance.reference is None:
        return
    with session.no_autoflush:
        wanted = _wanted(session, EventType.DOSSIER_STATUT, instance)
        if wanted:
            resource = events.dossier_resource(settings_of(session), instance)
            _write(session, wanted, EventType.DOSSIER_STATUT, resource, instance)


def tasks_opened(session: Session, instance: Instance, items: list[WorkItem]) -> None:
    if instance.reference is None or not items:
        return
    with session.no_autoflush:
        wanted = _wanted(session, EventType.TACHE_OUVERTE, instance)
        if not wanted:
            return
        settings = settings_of(session)
        for item in items:
            resource = events.task_resource(settings, instance, item)
            _write(session, wanted, EventType.TACHE_OUVERTE, resource, instance)


def entry_changed(session: Session, event: EventType, entry: RegisterEntry) -> None:
    emit(session, event, events.entry_resource(settings_of(session), entry), None)


def emit(
    session: Session, event: EventType, resource: dict[str, Any], instance: Instance | None
) -> list[WebhookDelivery]:
    """A delivery and its job for each active subscription that wants `event`. Nothing is
    flushed here: the caller's flush (under its version check) comes first."""
    with session.no_autoflush:
        return _write(session, _wanted(session, event, instance), event, resource, instance)


def _wanted(session: Session, event: EventType, instance: Instance | None) -> list[Subscribed]:
    """The active subscriptions that want `event` (a handful: one small query, and the event's
    body is built only when there is one)."""
    active = process_cache.cached(
        session,
        ("webhook_subscription",),
        "active",
        (WebhookSubscription,),
        lambda: _active(session),
    )
    return [
        subscription
        for subscription in active
        if str(event) in subscription.events
        and (
            subscription.organisation_id is None
            or event not in events.DOSSIER_EVENTS
            or (instance is not None and subscription.organisation_id == instance.organisation_id)
        )
    ]


@dataclass(frozen=True)
class Subscribed:
    """What the outbox needs of an active subscription (kept by each process between
    transactions, engine.core.process_cache: not an ORM object)."""

    id: int
    events: tuple[str, ...]
    organisation_id: int | None


def _active(session: Session) -> tuple[Subscribed, ...]:
    rows = session.execute(
        select(
            WebhookSubscription.id,
            WebhookSubscription.events,
            WebhookSubscription.organisation_id,
        ).where(WebhookSubscription.active.is_(True))
    )
    return tuple(
        Subscribed(id, tuple(events or ()), organisation_id) for id, events, organisation_id in rows
    )


def _write(
    session: Session,
    wanted: list[Subscribed],
    event: EventType,
    resource: dict[str, Any],
    instance: Instance | None,
) -> list[WebhookDelivery]:
    if not wanted:
        return []
    now = utcnow()
    made: list[WebhookDelivery] = []
    planned: list[NewJob] = []
    for subscription in wanted:
        delivery_id = str(uuid.uuid4())
        body = {
            "version": BODY_VERSION,
            "id": delivery_id,
            "evenement": str(event),
            "survenu_le": now.isoformat(),
            **resource,
        }
        delivery = WebhookDelivery(
            delivery_id=delivery_id,
            subscription_id=subscription.id,
            event=str(event),
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            instance_id=instance.id if instance is not None else None,
            status=DeliveryStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        session.add(delivery)
        made.append(delivery)
        planned.append(attempt_job(delivery_id, str(event), key_suffix="1", attempt=1))
    jobs.enqueue(session, planned)
    return made


def attempt_job(
    delivery_id: str,
    event: str,
    *,
    key_suffix: str,
    attempt: int,
    run_at: datetime | None = None,
) -> NewJob:
    """The job of one attempt. `attempt`: its number in this round (1 at the event and at each
    *Renvoyer*); `key_suffix` makes each job's key new (the attempts so far + 1, or a
    resend's own)."""
    return NewJob(
        kind=JobKind.WEBHOOK,
        key=f"webhook:{delivery_id}:{key_suffix}",
        label=f"Webhook «\u00a0{event}\u00a0», tentative {attempt}",
        instance_id=None,
        payload={"livraison": delivery_id, "tentative": attempt},
        run_at=run_at,
    )
