"""Opening a dossier on the latest version of a process."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import NotFound
from engine.core.models import Instance, InstanceStatus, Organisation, RoleName
from engine.definitions.definition import definition_for, get_latest_version
from engine.workflow import followups
from engine.workflow.access import enforce, refusal_to_start
from engine.workflow.state import refresh_projection, scripts_for

# Start values a diagram can count on (the steps asking for complements may change the delay).
DEFAULT_COMPLEMENTS_DAYS = 30


def start_instance(
    session: Session,
    actor: Actor,
    key: str = "recensement",
    *,
    organisation_id: int | None = None,
    start_data: dict[str, Any] | None = None,
    title: str = "",
) -> Instance:
    """Open a new dossier on the latest version of the process `key`.

    A submitter opens one for their own organisation (a draft request); a process started by
    staff (the retrait of a certification) names the organisation concerned, if any.
    """
    version = get_latest_version(session, key)
    definition = definition_for(session, version.id)
    enforce(session, refusal_to_start(actor, definition))
    if definition.start_role == RoleName.DEMANDEUR:
        organisation_id = actor.organisation_id
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id is not None and organisation is None:
        raise NotFound("Organisation introuvable.")
    now = utcnow()
    instance = Instance(
        process_version_id=version.id,
        status=InstanceStatus.RUNNING,
        status_label=definition.start_status,
        title=title[:300],
        organisation_id=organisation.id if organisation else None,
        created_by_id=actor.id,
        state="",
        created_at=now,
        updated_at=now,
    )
    session.add(instance)
    session.flush()
    workflow = spiff.new_workflow(definition.parsed, scripts_for(session, instance))
    data = {
        "organisation_id": organisation.id if organisation else None,
        "type_organisation": organisation.kind if organisation else None,
        "delai_complements_jours": DEFAULT_COMPLEMENTS_DAYS,
    } | (start_data or {})
    workflow.task_tree.set_data(**data)
    for task in workflow.get_tasks():
        task.set_data(**data)
    spiff.run_engine(workflow)
    instance.state = spiff.dump_state(workflow)
    instance.state_format = spiff.STATE_FORMAT
    refresh_projection(session, instance, definition, workflow)
    followups.after_change(session, instance, workflow, actor, timers_before=set())
    summary = (
        "Demande créée (brouillon)."
        if definition.start_role == RoleName.DEMANDEUR
        else (f"Dossier ouvert\u00a0: {definition.title}.")
    )
    audit.record(session, instance.id, actor, "creation", summary)
    session.flush()
    return instance
