"""How far each user has read a dossier's messages: set when the dossier's page shows them."""

from __future__ import annotations

from sqlalchemy import case
from sqlalchemy.orm import Session

from engine.core import dialect
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import MessageRead
from engine.workflow.lookup import get_instance


def mark_read(session: Session, actor: Actor, instance_id: int, last_message_id: int) -> None:
    """The actor has read the dossier's messages up to `last_message_id` (the newest their
    page showed). A mark never goes back: a page opened earlier and shown later (two tabs)
    leaves a newer mark as it is. The caller commits."""
    get_instance(session, actor, instance_id)  # NotFound when the dossier is not theirs
    if actor.id is None:
        return
    now = utcnow()
    session.execute(
        dialect.insert_or_update(
            session,
            MessageRead,
            {
                "instance_id": instance_id,
                "user_id": actor.id,
                "last_message_id": last_message_id,
                "read_at": now,
            },
            [MessageRead.instance_id, MessageRead.user_id],
            {
                "last_message_id": case(
                    (MessageRead.last_message_id < last_message_id, last_message_id),
                    else_=MessageRead.last_message_id,
                ),
                "read_at": now,
            },
        )
    )
