"""Moving running dossiers to a newer version of their process, one by one or in bulk, and back.

A dossier can move when every step it has lived (done, current, waiting), in its process and in
the sub-processes it runs, still exists in the new version with the same nature, lane and form:
the new diagram then takes over for what lies ahead. SpiffWorkflow's diff and migration do the
comparing and the moving (engine.bpmn.spiff's `plan_move`, `apply_move`); the rules of what may
move are ours. Each move is audited with the state it had, so that it can be reverted while the
dossier has not moved on since.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import Conflict, InventaireError, NotFound
from engine.core.models import (
    AuditEvent,
    Instance,
    InstanceStatus,
    ProcessVersion,
    WorkItem,
    WorkItemStatus,
)
from engine.definitions.definition import ProcessDefinition, definition_for, get_latest_version
from engine.workflow import followups
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.state import scripts_for

MIGRATION = "migration"
REVERT = "migration_annulee"


@dataclass(frozen=True)
class Candidate:
    instance_id: int
    reference: str | None
    title: str
    status_label: str
    from_version: int
    to_version: int
    movable: bool
    reasons: list[str]


def plan(
    old: ProcessDefinition,
    new: ProcessDefinition,
    state: str,
    scripts: spiff.ScriptEngine | None = None,
) -> tuple[spiff.VersionMove | None, list[str]]:
    """A dossier in `state` (on `old`) compared with `new`, and why it cannot move (empty: it
    can)."""
    try:
        workflow = spiff.load_state(state, old.parsed, scripts or spiff.ScriptEngine())
        move = spiff.plan_move(workflow, new.parsed)
    except InventaireError as error:
        return None, [error.user_message]
    return move, blocking_reasons(old, new, move)


def blocking_reasons(
    old: ProcessDefinition, new: ProcessDefinition, move: spiff.VersionMove
) -> list[str]:
    """Why the dossier of `move` cannot move to `new`; empty when it can."""
    reasons: list[str] = []
    for step in move.steps:
        before, after, name = step.before, step.after, step.name
        label = getattr(before, "bpmn_name", None) or name
        if after is None:
            reasons.append(
                f"{name}\u00a0: l'étape «\u00a0{label}\u00a0» n'existe plus dans la version "
                f"{new.version}"
            )
        elif step.kind_changed:
            reasons.append(f"{name}\u00a0: l'étape «\u00a0{label}\u00a0» a changé de nature")
        elif step.repeating:
            reasons.append(
                f"{name}\u00a0: l'étape «\u00a0{label}\u00a0» est en cours de répétition "
                "(instances multiples "
                "ou boucle)\u00a0: le dossier termine sur sa version"
            )
        elif getattr(before, "manual", False):
            old_rule, new_rule = old.lane_rule(before.lane), new.lane_rule(after.lane)
            if (old_rule and old_rule.role) != (new_rule and new_rule.role):
                reasons.append(
                    f"{name}\u00a0: l'étape «\u00a0{label}\u00a0» a changé de couloir (rôle)"
                )
            elif old.form_for(before) and not new.form_for(after):
                reasons.append(
                    f"{name}\u00a0: l'étape «\u00a0{label}\u00a0» n'a plus de formulaire"
                )
    return list(dict.fromkeys(reasons))


def candidates(session: Session, key: str) -> list[Candidate]:
    """Running dossiers of the older versions of `key`, and whether each can move."""
    latest = get_latest_version(session, key)
    new = definition_for(session, latest.id)
    rows = session.execute(
        select(Instance, ProcessVersion.version)
        .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
        .where(
            ProcessVersion.key == key,
            ProcessVersion.id != latest.id,
            Instance.status == InstanceStatus.RUNNING,
        )
        .order_by(Instance.id)
    ).all()
    result = []
    for instance, version in rows:
        _move, reasons = plan(
            definition_for(session, instance.process_version_id), new, instance.state
        )
        result.append(
            Candidate(
                instance_id=instance.id,
                reference=instance.reference,
                title=instance.title or "Demande sans intitulé",
                status_label=instance.status_label,
                from_version=version,
                to_version=latest.version,
                movable=not reasons,
                reasons=reasons,
            )
        )
    return result


def migrate(session: Session, actor: Actor, instance_id: int) -> Instance:
    """Move one running dossier to the latest version of its process."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("Dossier introuvable.")
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Seul un dossier en cours peut changer de version.")
    current = session.get(ProcessVersion, instance.process_version_id)
    assert current is not None
    latest = get_latest_version(session, current.key)
    if latest.id == current.id:
        raise Conflict("Ce dossier suit déjà la dernière version.")
    old, new = definition_for(session, current.id), definition_for(session, latest.id)
    move, reasons = plan(old, new, instance.state, scripts_for(session, instance))
    if move is None or reasons:
        raise Conflict(
            "Ce dossier ne peut pas changer de version\u00a0: " + "\u202f; ".join(reasons)
        )
    try:
        spiff.apply_move(move)
    except InventaireError as error:
        raise Conflict(
            f"Ce dossier ne peut pas changer de version\u00a0: {error.user_message}"
        ) from None
    previous_state = instance.state
    workflow = move.workflow
    instance.state = spiff.dump_state(workflow)
    instance.process_version_id = latest.id
    instance.updated_at = utcnow()
    # The new version may time its steps differently: its timers get their jobs.
    jobs.enqueue(session, followups.schedule_timers(session, instance, workflow))
    _retitle_open_items(session, instance, new)
    flush_or_conflict(session)
    audit.record(
        session,
        instance.id,
        actor,
        MIGRATION,
        f"Dossier passé de la version {current.version} à la version {latest.version}.",
        details={
            "from_version_id": current.id,
            "to_version_id": latest.id,
            "state": previous_state,
            "lock_after": instance.lock_version,
        },
    )
    session.flush()
    return instance


def revert(session: Session, actor: Actor, instance_id: int) -> Instance:
    """Put a migrated dossier back on its former version, if it has not moved on since."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("Dossier introuvable.")
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id, AuditEvent.kind.in_([MIGRATION, REVERT]))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None or event.kind != MIGRATION or not event.details:
        raise Conflict("Ce dossier n'a pas de changement de version à annuler.")
    if instance.lock_version != event.details.get("lock_after"):
        raise Conflict(
            "Le dossier a avancé depuis son changement de version\u00a0: l'annuler perdrait ce "
            "qui a été fait depuis."
        )
    back = session.get(ProcessVersion, event.details["from_version_id"])
    moved = session.get(ProcessVersion, instance.process_version_id)
    assert back is not None and moved is not None
    instance.state = event.details["state"]
    instance.process_version_id = back.id
    instance.updated_at = utcnow()
    _retitle_open_items(session, instance, definition_for(session, back.id))
    flush_or_conflict(session)
    audit.record(
        session,
        instance.id,
        actor,
        REVERT,
        f"Changement de version annulé\u00a0: retour de la version {moved.version} "
        f"à la version {back.version}.",
    )
    session.flush()
    return instance


def recent_migrations(session: Session, key: str, limit: int = 50) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .join(Instance, Instance.id == AuditEvent.instance_id)
            .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
            .where(AuditEvent.kind.in_([MIGRATION, REVERT]), ProcessVersion.key == key)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def _retitle_open_items(
    session: Session, instance: Instance, definition: ProcessDefinition
) -> None:
    """Open work items show the names and forms of the version the dossier now follows."""
    for item in session.scalars(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    ):
        task_spec = definition.task_spec(item.task_spec)
        if task_spec is None:
            continue
        item.task_title = spiff.task_title_of(task_spec)
        item.form = spiff.task_properties(task_spec).get("formJsonSchemaFilename")
