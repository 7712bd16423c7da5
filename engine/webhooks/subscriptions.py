"""Subscriptions: made, listed, changed, paused, resumed and deleted, each change in the
caller's transaction with its audit event (the caller commits)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import FormInvalid, NotFound
from engine.core.models import WebhookDelivery, WebhookSubscription, as_id
from engine.core.settings import settings_of
from engine.webhooks import addresses, signing
from engine.webhooks.events import EventType

AUDIT_KIND = "webhook"
MAX_DESCRIPTION = 300


@dataclass(frozen=True)
class Subscribed:
    """A new subscription and its secret: shown to its maker once, never listed after."""

    subscription: WebhookSubscription
    secret: str


def _checked(
    session: Session, url: str, events: Iterable[str], description: str
) -> tuple[str, list[str], str]:
    errors: dict[str, str] = {}
    settings = settings_of(session)
    try:
        addresses.check_on_subscribing(url, settings.webhooks.allow_private)
    except addresses.AddressRefused as error:
        errors["url"] = error.user_message
    known = {str(kind) for kind in EventType}
    chosen = list(dict.fromkeys(str(kind) for kind in events))
    if not chosen:
        errors["events"] = "Choisissez au moins un événement."
    elif any(kind not in known for kind in chosen):
        errors["events"] = "Choisissez les événements dans la liste."
    text = description.strip()
    if len(text) > MAX_DESCRIPTION:
        errors["description"] = f"La description tient en {MAX_DESCRIPTION} caractères au plus."
    if errors:
        raise FormInvalid(errors, {"url": url, "events": chosen, "description": description})
    return url.strip(), [kind for kind in (str(k) for k in EventType) if kind in chosen], text


def subscribe(
    session: Session,
    actor: Actor,
    *,
    url: str,
    events: Iterable[str],
    description: str = "",
    organisation_id: int | None = None,
) -> Subscribed:
    """A new active subscription; its secret is returned once (FormInvalid on bad input)."""
    clean_url, chosen, text = _checked(session, url, events, description)
    nonce = signing.new_nonce()
    secret = signing.subscription_secret(settings_of(session).link_secret, nonce)
    now = utcnow()
    subscription = WebhookSubscription(
        url=clean_url,
        description=text,
        events=chosen,
        secret_nonce=nonce,
        active=True,
        organisation_id=organisation_id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    _audit(session, actor, subscription, f"Webhook créé vers {clean_url}.")
    return Subscribed(subscription, secret)


def subscriptions(
    session: Session, *, organisation_id: int | None = None, every: bool = True
) -> list[WebhookSubscription]:
    """The subscriptions, newest first: all of them (`every`), or one organisation's."""
    query = select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if not every:
        query = query.where(WebhookSubscription.organisation_id == organisation_id)
    return list(session.scalars(query))


def get(session: Session, subscription_id: object) -> WebhookSubscription:
    key = as_id(subscription_id)
    found = session.get(WebhookSubscription, key) if key is not None else None
    if found is None:
        raise NotFound("Abonnement introuvable.")
    return found


def update(
    session: Session,
    actor: Actor,
    subscription_id: object,
    *,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> WebhookSubscription:
    """Change where and what a subscription receives (its secret stays)."""
    subscription = get(session, subscription_id)
    clean_url, chosen, text = _checked(session, url, events, description)
    subscription.url = clean_url
    subscription.events = chosen
    subscription.description = text
    subscription.updated_at = utcnow()
    _audit(session, actor, subscription, f"Webhook {subscription.id} modifié ({clean_url}).")
    return subscription


def set_active(
    session: Session, actor: Actor, subscription_id: object, active: bool
) -> WebhookSubscription:
    """Pause (nothing is written for it, its pending deliveries are not sent) or resume."""
    subscription = get(session, subscription_id)
    if subscription.active != active:
        subscription.active = active
        subscription.updated_at = utcnow()
        what = "repris" if active else "suspendu"
        _audit(session, actor, subscription, f"Webhook {subscription.id} {what}.")
    return subscription


def delete(session: Session, actor: Actor, subscription_id: object) -> str:
    """The subscription and its deliveries' log; its URL, for the caller's message."""
    subscription = get(session, subscription_id)
    url = subscription.url
    _audit(session, actor, subscription, f"Webhook {subscription.id} supprimé ({url}).")
    session.execute(
        sql_delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    session.delete(subscription)
    session.flush()
    return url


def secret_of(session: Session, subscription: WebhookSubscription) -> str:
    return signing.subscription_secret(settings_of(session).link_secret, subscription.secret_nonce)


def _audit(session: Session, actor: Actor, subscription: WebhookSubscription, text: str) -> None:
    audit.record(
        session,
        None,
        actor,
        AUDIT_KIND,
        text,
        details={
            "abonnement": subscription.id,
            "url": subscription.url,
            "evenements": list(subscription.events),
            "actif": subscription.active,
        },
    )
