"""A subscription's delivery log, one page at a time, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.listing import Page, paginate
from engine.core.models import WebhookDelivery

PAGE_SIZE = 50


def deliveries(
    session: Session, subscription_id: int, page: int | None = 1, size: int = PAGE_SIZE
) -> Page[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
    )
    found = paginate(session, query, page, size)
    return Page([row[0] for row in found.rows], found.page, found.pages, found.total, found.size)
