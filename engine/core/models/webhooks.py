"""Webhooks (engine/webhooks, docs/webhooks.md): who subscribed to which events, and every
delivery promised to them with its last attempt."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class WebhookSubscription(Base):
    """A receiver's URL and the events it wants. Its signing secret is never stored: it is
    derived from the server's secret key and `secret_nonce` (engine/webhooks/signing.py)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(300), default="")
    # The event types (engine/webhooks/events.py), a JSON list of their names.
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_nonce: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Only this organisation's dossiers (an organisation's own system, through the API);
    # None: every dossier (a subscription made by an administrator).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Every attempt failed: *Renvoyer* starts again.
    FAILED = "failed"
    # Its subscription was paused when its turn came: nothing sent.
    SKIPPED = "skipped"


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.PENDING: "En attente",
    DeliveryStatus.DELIVERED: "Livrée",
    DeliveryStatus.FAILED: "En échec",
    DeliveryStatus.SKIPPED: "Non envoyée (abonnement suspendu)",
}


class WebhookDelivery(Base):
    """One event for one subscription: its body, written with the change that caused it, and
    what its attempts gave. `delivery_id` goes in every attempt's header, resends too."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(String(40))
    # The JSON body exactly as sent (each attempt signs these bytes).
    body: Mapped[str] = mapped_column(Text)
    # The dossier it is about, if any (no foreign key: a deleted draft leaves the log alone).
    instance_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
