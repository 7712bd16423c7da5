"""A dossier's workflow: restored with its script engine, stored under the version check, its
ready tasks projected into work items and its status label set."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.errors import ExecutionError
from engine.core.models import REGISTRE_A, Instance, InstanceStatus, WorkItem, registre_of
from engine.definitions.definition import ProcessDefinition, definition_for
from engine.jobs import JobKind, NewJob
from engine.workflow import assignment
from engine.workflow.conflicts import flush_or_conflict
from engine.workflow.status import dossier_status, open_items_of, set_status, waiting_labels_of
from engine.workflow.worklists import index

# Every session that changes a dossier keeps its row of the worklists' index in step.
index.install()


def scripts_for(session: Session, instance: Instance) -> spiff.ScriptEngine:
    engine = spiff.ScriptEngine()

    def services(name: str, params: dict[str, Any], data: dict[str, Any]) -> Any:
        # A service queues its job, run after the commit (retried, an incident if it fails).
        job = service_job(name, instance, data)
        jobs.enqueue(session, [job])
        return {"statut": "programmé", "travail": job.label}

    engine.environment.service_handler = services
    return engine


def service_job(name: str, instance: Instance, data: dict[str, Any]) -> NewJob:
    """The job behind each service task operator of the diagrams (docs/process-model.md)."""
    if name == "publier_inventaire":
        kept = ("duree_annees", "categorie_retenue", "renouvellement_de", "registre")
        where = REGISTRE_A[registre_of(data.get("registre"))]
        return NewJob(
            kind=JobKind.PUBLICATION,
            key=f"publication:{instance.id}",
            label=f"Publication {where} ({instance.reference})",
            instance_id=instance.id,
            payload={key: data.get(key) for key in kept},
        )
    if name == "retirer_inventaire":
        numero = str(data.get("numero_inventaire", ""))
        return NewJob(
            kind=JobKind.RETRAIT,
            key=f"retrait:{instance.id}",
            # The retrait of either register (retrait, retrait-rs): its job names neither.
            label=f"Retrait de {numero} du registre",
            instance_id=instance.id,
            payload={
                "numero": numero,
                "motif": data.get("motivation_retrait") or "",
                "date_limite_delivrance": data.get("date_limite_delivrance"),
            },
        )
    raise ExecutionError(f"Service inconnu\u00a0: «\u00a0{name}\u00a0».")


def load_workflow(session: Session, instance: Instance, definition: ProcessDefinition) -> Any:
    return spiff.load_state(instance.state, definition.parsed, scripts_for(session, instance))


def save_state(
    session: Session,
    instance: Instance,
    workflow: Any,
    *,
    flush: bool = True,
    completed: list[Any] | None = None,
) -> None:
    """Write the new state; the version column makes the UPDATE fail if someone acted first."""
    instance.state = spiff.dump_state(workflow)
    instance.state_format = spiff.STATE_FORMAT
    instance.updated_at = utcnow()
    end = spiff.reached_end_event(workflow, completed)
    if end is not None:
        instance.status = InstanceStatus.COMPLETED
        instance.end_event = spiff.spec_id(end)
    if flush:
        flush_or_conflict(session, instance_id=instance.id)


def refresh_projection(
    session: Session,
    instance: Instance,
    definition: ProcessDefinition,
    workflow: Any,
    *,
    completed_task_id: str | None = None,
    actor: Actor | None = None,
) -> list[WorkItem]:
    """Work items in step with the workflow's ready tasks, and the status they give."""
    items = assignment.project(
        session, instance, definition, workflow, completed_task_id=completed_task_id, actor=actor
    )
    label = dossier_status(definition, instance, items, waiting_labels_of(workflow))
    set_status(session, instance, label, actor)
    return items


def restatus(session: Session, instance: Instance, actor: Actor) -> None:
    """After a claim or a release: the same rule on the open work items (the workflow is
    restored only if none of them gives a label)."""
    definition = definition_for(session, instance.process_version_id)

    def waiting() -> list[str]:
        return waiting_labels_of(load_workflow(session, instance, definition))()

    label = dossier_status(definition, instance, open_items_of(session, instance), waiting)
    set_status(session, instance, label, actor)
    instance.updated_at = utcnow()
