"""After a failed action: the error kept for the process owner, the dossier blocked if need be."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.models import Instance, InstanceStatus
from engine.webhooks import outbox
from engine.workflow.status import ERROR_LABEL


def record_failure(
    session: Session, actor: Actor, instance_id: int, message: str, *, blocking: bool
) -> None:
    """After a rollback: keep the error for the process owner; block the dossier if needed.

    The workflow state is untouched (the last good one). A blocking failure (a loop past the
    engine's limits) puts the dossier in an explicit error state with its message.
    """
    instance = session.get(Instance, instance_id)
    if instance is None:
        return
    if blocking:
        instance.status = InstanceStatus.ERROR
        instance.error_message = message
        changed = instance.status_label != ERROR_LABEL
        instance.status_label = ERROR_LABEL
        instance.updated_at = utcnow()
        if changed:
            outbox.dossier_status_changed(session, instance)
    audit.record(session, instance_id, actor, "incident", message)
    session.flush()
