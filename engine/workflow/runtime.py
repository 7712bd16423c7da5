"""User actions on dossiers, each within the caller's transaction (DESIGN §4).

Load the instance → check the actor → validate the form → restore the workflow → complete the
task → run the engine → store the new state under the optimistic lock → project work items →
audit. The caller commits; on any exception it rolls back, so nothing is half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engine import jobs
from engine.bpmn import spiff
from engine.core import audit
from engine.core.actor import SYSTEM, Actor
from engine.core.clock import utcnow
from engine.core.counter import dossier_reference
from engine.core.errors import Conflict, ExecutionError, Forbidden, FormInvalid, NotFound
from engine.core.models import (
    Document,
    Instance,
    InstanceStatus,
    Organisation,
    RoleName,
    Submission,
    User,
    WorkItem,
    WorkItemStatus,
    as_id,
)
from engine.definitions.definition import ProcessDefinition, definition_for, get_latest_version
from engine.definitions.forms import FormDefinition, prune_hidden, split_for_storage, validate
from engine.emails import notifications
from engine.jobs import JobKind, NewJob
from engine.workflow import assignment, followups
from engine.workflow.access import can_see_instance, may_hold, may_work_on

# Start values a diagram can count on (the steps asking for complements may change the delay).
DEFAULT_COMPLEMENTS_DAYS = 30


@dataclass(frozen=True)
class ActionResult:
    instance_id: int
    reference: str | None
    status_label: str
    message: str


# --- helpers ---------------------------------------------------------------------------------


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
        kept = ("duree_annees", "categorie_retenue", "renouvellement_de")
        return NewJob(
            kind=JobKind.PUBLICATION,
            key=f"publication:{instance.id}",
            label=f"Publication à l'Inventaire ({instance.reference})",
            instance_id=instance.id,
            payload={key: data.get(key) for key in kept},
        )
    if name == "retirer_inventaire":
        numero = str(data.get("numero_inventaire", ""))
        return NewJob(
            kind=JobKind.WITHDRAWAL,
            key=f"retrait:{instance.id}",
            label=f"Retrait de {numero} de l'Inventaire",
            instance_id=instance.id,
            payload={"numero": numero, "motif": data.get("motivation_retrait") or ""},
        )
    raise ExecutionError(f"Service inconnu : « {name} ».")


def load_workflow(session: Session, instance: Instance, definition: ProcessDefinition) -> Any:
    return spiff.load_state(instance.state, definition.parsed, scripts_for(session, instance))


def get_instance(session: Session, actor: Actor, instance_id: int) -> Instance:
    instance = session.get(Instance, instance_id)
    if instance is None or not can_see_instance(actor, instance):
        raise NotFound("Dossier introuvable.")
    return instance


def get_work_item(session: Session, work_item_id: int) -> WorkItem:
    # Its instance comes in the same query: every caller reads it next.
    item = session.get(WorkItem, work_item_id, options=[joinedload(WorkItem.instance)])
    if item is None:
        raise NotFound("Tâche introuvable.")
    return item


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user is not None else "un autre utilisateur"


def conflict_message(session: Session, work_item_id: int) -> str:
    """After a lost race (and a rollback): who did what, in French."""
    item = session.get(WorkItem, work_item_id)
    if item is None:
        return "Ce dossier vient d'être modifié par un autre utilisateur."
    if item.status == WorkItemStatus.COMPLETED:
        when = item.completed_at.strftime("%d/%m/%Y à %H:%M") if item.completed_at else ""
        return (
            f"Cette tâche (« {item.task_title} ») a déjà été traitée par "
            f"{_user_name(session, item.completed_by_id)} le {when}."
        )
    if item.status == WorkItemStatus.CANCELLED:
        return f"Cette tâche (« {item.task_title} ») n'est plus d'actualité : le dossier a avancé."
    if item.claimed_by_id:
        return (
            f"Cette tâche (« {item.task_title} ») a été prise en charge par "
            f"{_user_name(session, item.claimed_by_id)}."
        )
    return "Ce dossier vient d'être modifié par un autre utilisateur ; rechargez la page."


def _open_item_for(session: Session, actor: Actor, work_item_id: int) -> tuple[WorkItem, Instance]:
    item = get_work_item(session, work_item_id)
    instance = session.get(Instance, item.instance_id)
    if instance is None:
        raise NotFound("Dossier introuvable.")
    if not can_see_instance(actor, instance):
        raise NotFound("Tâche introuvable.")
    if item.status != WorkItemStatus.OPEN:
        raise Conflict(conflict_message(session, item.id), work_item_id=item.id)
    if not may_work_on(actor, item):
        raise Forbidden("Cette tâche ne vous est pas attribuée.")
    if item.claimed_by_id and item.claimed_by_id != actor.id:
        raise Conflict(conflict_message(session, item.id), work_item_id=item.id)
    if instance.status == InstanceStatus.ERROR:
        raise Conflict(
            "Ce dossier est bloqué par une erreur du processus ; le propriétaire du processus "
            "en est informé.",
            work_item_id=item.id,
        )
    return item, instance


def _save(
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
        _flush_instance(session, instance)


def _flush_instance(session: Session, instance: Instance) -> None:
    # Read before the flush: a failed flush expires the instance, which then cannot be loaded.
    instance_id = instance.id
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Ce dossier vient d'être modifié par un autre utilisateur.", instance_id=instance_id
        ) from None


def _refresh_projection(
    session: Session,
    instance: Instance,
    definition: ProcessDefinition,
    workflow: Any,
    *,
    completed_task_id: str | None = None,
    actor: Actor | None = None,
) -> list[WorkItem]:
    items = assignment.project(
        session, instance, definition, workflow, completed_task_id=completed_task_id, actor=actor
    )
    _set_status(
        session,
        instance,
        assignment.status_label(definition, workflow, items, instance),
        actor,
    )
    return items


def _set_status(session: Session, instance: Instance, label: str, actor: Actor | None) -> None:
    """Change the French status, leaving a trace the submitter can read."""
    if label == instance.status_label:
        return
    instance.status_label = label
    audit.record(session, instance.id, actor or SYSTEM, "statut", f"Statut : {label}.")


# --- starting a dossier ----------------------------------------------------------------------


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
    staff (the withdrawal of a certification) names the organisation concerned, if any.
    """
    version = get_latest_version(session, key)
    definition = definition_for(session, version.id)
    if definition.start_role == RoleName.DEMANDEUR:
        if not actor.has(RoleName.DEMANDEUR) or actor.organisation_id is None:
            raise Forbidden("Seul un demandeur rattaché à une organisation peut créer une demande.")
        organisation_id = actor.organisation_id
    elif not actor.has(definition.start_role):
        raise Forbidden(
            f"Seul le rôle « {definition.start_role} » peut engager : {definition.title}."
        )
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
    _refresh_projection(session, instance, definition, workflow)
    followups.after_change(session, instance, workflow, actor, timers_before=set())
    summary = (
        "Demande créée (brouillon)."
        if definition.start_role == RoleName.DEMANDEUR
        else (f"Dossier ouvert : {definition.title}.")
    )
    audit.record(session, instance.id, actor, "creation", summary)
    session.flush()
    return instance


# --- drafts ----------------------------------------------------------------------------------


def form_of(definition: ProcessDefinition, item: WorkItem) -> FormDefinition:
    if not item.form or item.form not in definition.forms:
        raise NotFound("Formulaire introuvable pour cette tâche.")
    return definition.forms[item.form]


def save_draft(
    session: Session,
    actor: Actor,
    work_item_id: int,
    data: dict[str, Any],
    *,
    fields: list[str] | None = None,
) -> WorkItem:
    """Keep partial input between visits (types and sizes checked, required fields not)."""
    item, instance = _open_item_for(session, actor, work_item_id)
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    errors = validate(form, data, partial=True, fields=fields)
    if errors:
        raise FormInvalid(errors, data)
    _check_references(session, definition, form, instance, data, errors)
    if errors:
        raise FormInvalid(errors, data)
    draft = dict(item.draft or {})
    for name in fields if fields is not None else [field.name for field in form.fields]:
        draft.pop(name, None)
    draft.update(data)
    item.draft = draft
    _update_title(definition, instance, draft)
    instance.updated_at = utcnow()
    audit.record(
        session, instance.id, actor, "brouillon", "Brouillon enregistré.", task_spec=item.task_spec
    )
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("Ce dossier vient d'être modifié par un autre utilisateur.") from None
    return item


def _update_title(definition: ProcessDefinition, instance: Instance, data: dict[str, Any]) -> None:
    if definition.title_field and isinstance(data.get(definition.title_field), str):
        instance.title = data[definition.title_field][:300]


def _check_references(
    session: Session,
    definition: ProcessDefinition,
    form: FormDefinition,
    instance: Instance,
    data: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Pieces must belong to this dossier; designated users must hold the expected role."""
    for name in form.file_fields():
        value = data.get(name)
        ids = value if isinstance(value, list) else ([value] if value else [])
        for doc_id in ids:
            key = as_id(doc_id)
            document = session.get(Document, key) if key is not None else None
            if document is None or document.instance_id != instance.id:
                errors[name] = "Cette pièce n'appartient pas à ce dossier."
    for name, role in form.user_fields().items():
        value = data.get(name)
        if value is None:
            continue
        key = as_id(value)
        user = session.get(User, key) if key is not None else None
        if user is None or not may_be_designated(definition, instance, name, role, user):
            errors[name] = "Choisissez une personne de la liste."


def may_be_designated(
    definition: ProcessDefinition, instance: Instance, name: str, role: str, user: User
) -> bool:
    """The rule of `access.may_hold` for the field's role and for each lane whose tasks go to
    the person the field designates; a role that works for the dossier's organisation in some
    lane is designated within that organisation only."""
    if not user.active:
        return False
    candidate = Actor.from_user(user)
    organisation = instance.organisation_id
    field_scoped = any(
        rule.role == role and rule.scope == "organisation" for rule in definition.lanes.values()
    )
    if not may_hold(candidate, role, organisation if field_scoped else None):
        return False
    return all(
        may_hold(candidate, rule.role, organisation if rule.scope == "organisation" else None)
        for rule in definition.lanes.values()
        if rule.assignee_variable == name
    )


# --- completing a task -----------------------------------------------------------------------


def complete_work_item(
    session: Session, actor: Actor, work_item_id: int, data: dict[str, Any]
) -> ActionResult:
    """Complete a human task with the submitted form data, then run the process on."""
    item, instance = _open_item_for(session, actor, work_item_id)
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    errors = validate(form, data)
    _check_references(session, definition, form, instance, data, errors)
    if errors:
        raise FormInvalid(errors, data)
    workflow = load_workflow(session, instance, definition)
    task = spiff.find_task(workflow, item.task_id)
    if task is None or not spiff.is_ready_human_task(task):
        raise Conflict(conflict_message(session, item.id), work_item_id=item.id)
    timers_before = {timer.task_id for timer in spiff.waiting_timers(workflow)}
    data = prune_hidden(form, data)
    process_values, _dossier_values = split_for_storage(form, data)
    spiff.complete_human_task(task, process_values)
    completed = [task]
    spiff.run_engine(workflow, completed)

    properties = spiff.task_properties(task.task_spec)
    now = utcnow()
    messages = []
    if properties.get("depot") == "true" and instance.reference is None:
        instance.reference = dossier_reference(session, now.year)
        instance.deposited_at = now
        messages.append(f"Votre demande est déposée sous la référence {instance.reference}.")
    _update_title(definition, instance, data)
    item.claimed_by_id = item.claimed_by_id or actor.id
    # Everything below is written by one flush at the end: one UPDATE of the instance (state,
    # status, lock version) instead of two, the inserts batched by the unit of work.
    _save(session, instance, workflow, flush=False, completed=completed)
    with session.no_autoflush:
        items = _refresh_projection(
            session, instance, definition, workflow, completed_task_id=item.task_id, actor=actor
        )
    new_items = [row for row in items if row.id is None]
    session.add(
        Submission(
            instance_id=instance.id,
            work_item_id=item.id,
            task_spec=item.task_spec,
            task_title=item.task_title,
            form=item.form or "",
            data=data,
            submitted_by_id=actor.id,
            submitted_at=now,
        )
    )
    kind = "depot" if properties.get("depot") == "true" else "tache"
    summary = (
        f"Demande déposée ({instance.reference})."
        if kind == "depot"
        else f"« {item.task_title} » traitée."
    )
    audit.record(
        session,
        instance.id,
        actor,
        kind,
        summary,
        task_spec=item.task_spec,
        details=audit.summarize_changes(process_values),
    )
    if instance.status == InstanceStatus.COMPLETED:
        audit.record(session, instance.id, actor, "fin", f"Dossier clos : {instance.status_label}.")
    followups.after_change(
        session,
        instance,
        workflow,
        actor,
        completed=completed,
        new_items=new_items,
        timers_before=timers_before,
    )
    _flush_instance(session, instance)
    messages.append(f"Statut du dossier : {instance.status_label}.")
    return ActionResult(instance.id, instance.reference, instance.status_label, " ".join(messages))


# --- claiming --------------------------------------------------------------------------------


def claim(session: Session, actor: Actor, work_item_id: int) -> WorkItem:
    """Prendre en charge: the item becomes the actor's alone until released."""
    item, instance = _open_item_for(session, actor, work_item_id)
    if item.claimed_by_id == actor.id:
        return item
    item.claimed_by_id = actor.id
    item.claimed_at = utcnow()
    _restatus(session, instance, actor)
    audit.record(
        session,
        instance.id,
        actor,
        "prise_en_charge",
        f"« {item.task_title} » prise en charge.",
        task_spec=item.task_spec,
    )
    _flush_or_conflict(session, item.id)
    return item


def release(session: Session, actor: Actor, work_item_id: int) -> WorkItem:
    """Libérer: back to the role's shared queue."""
    item, instance = _open_item_for(session, actor, work_item_id)
    if item.claimed_by_id != actor.id:
        raise Conflict("Vous n'avez pas pris en charge cette tâche.")
    item.claimed_by_id = None
    item.claimed_at = None
    _restatus(session, instance, actor)
    audit.record(
        session,
        instance.id,
        actor,
        "liberation",
        f"« {item.task_title} » libérée.",
        task_spec=item.task_spec,
    )
    _flush_or_conflict(session, item.id)
    return item


def reassign(session: Session, actor: Actor, work_item_id: int, user_id: int) -> WorkItem:
    """Réattribuer: the secrétariat (or an admin) hands a task to another holder of its role."""
    item = get_work_item(session, work_item_id)
    instance = session.get(Instance, item.instance_id)
    if instance is None:
        raise NotFound("Dossier introuvable.")
    if item.status != WorkItemStatus.OPEN:
        raise Conflict(conflict_message(session, item.id), work_item_id=item.id)
    if not (actor.has(RoleName.RECEVABILITE) or actor.has(RoleName.ADMIN)):
        raise Forbidden("Seuls le secrétariat et les administrateurs peuvent réattribuer.")
    target = session.get(User, user_id)
    if target is None or not target.active or item.role not in target.role_names:
        raise FormInvalid({"utilisateur": "Choisissez une personne de la liste."})
    if not may_hold(Actor.from_user(target), item.role, item.organisation_id):
        # The task is the dossier's organisation's: nobody outside it may receive it.
        raise Forbidden(
            f"{target.name} n'appartient pas à l'organisation de ce dossier : "
            "la tâche ne peut pas lui être réattribuée."
        )
    definition = definition_for(session, instance.process_version_id)
    rule = definition.lane_rule(item.lane)
    if rule is not None and rule.assignee_variable:
        # The designation is a process variable: change it where the process will read it.
        workflow = load_workflow(session, instance, definition)
        task = spiff.find_task(workflow, item.task_id)
        if task is not None:
            task.set_data(**{rule.assignee_variable: target.id})
            _save(session, instance, workflow)
        item.assignee_id = target.id
    item.claimed_by_id = target.id
    item.claimed_at = utcnow()
    audit.record(
        session,
        instance.id,
        actor,
        "reattribution",
        f"« {item.task_title} » réattribuée à {target.name}.",
        task_spec=item.task_spec,
    )
    if target.id != actor.id:
        jobs.enqueue(session, [notifications.for_reassignment(session, instance, item, target)])
    _flush_or_conflict(session, item.id)
    return item


def _restatus(session: Session, instance: Instance, actor: Actor) -> None:
    definition = definition_for(session, instance.process_version_id)
    items = list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        )
    )
    label = _label_from_items(definition, items)
    if label:
        _set_status(session, instance, label, actor)
    instance.updated_at = utcnow()


def _label_from_items(definition: ProcessDefinition, items: list[WorkItem]) -> str | None:
    for item in sorted(items, key=lambda row: row.id or 0):
        properties = spiff.task_properties(definition.task_spec(item.task_spec))
        if item.claimed_by_id and properties.get("statutPrisEnCharge"):
            return properties["statutPrisEnCharge"]
        if properties.get("statut"):
            return properties["statut"]
    return None


def _flush_or_conflict(session: Session, work_item_id: int) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("Ce dossier vient d'être modifié par un autre utilisateur.") from None


# --- timers ----------------------------------------------------------------------------------


def fire_timer(session: Session, instance_id: int, task_id: str) -> str:
    """A timer's job is due: fire it and run the process on (the worker's transaction)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        return "Dossier introuvable : échéance sans objet."
    if instance.status != InstanceStatus.RUNNING:
        return f"Dossier {instance.status_label.lower()} : échéance sans objet."
    definition = definition_for(session, instance.process_version_id)
    workflow = load_workflow(session, instance, definition)
    timer = spiff.find_task(workflow, task_id)
    if timer is None or not spiff.timer_pending(workflow, task_id):
        return "La tâche a avancé avant l'échéance : rien à faire."
    title = spiff.spec_title(timer)
    timers_before = {waiting.task_id for waiting in spiff.waiting_timers(workflow)} | {task_id}
    spiff.fire_timer(workflow, task_id)
    completed: list[Any] = []
    spiff.run_engine(workflow, completed)
    _save(session, instance, workflow, flush=False, completed=completed)
    with session.no_autoflush:
        items = _refresh_projection(session, instance, definition, workflow, actor=SYSTEM)
    new_items = [row for row in items if row.id is None]
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "echeance",
        f"Échéance atteinte : « {title} ».",
        task_spec=spiff.spec_id(timer),
    )
    if instance.status == InstanceStatus.COMPLETED:
        audit.record(
            session, instance.id, SYSTEM, "fin", f"Dossier clos : {instance.status_label}."
        )
    followups.after_change(
        session,
        instance,
        workflow,
        SYSTEM,
        completed=completed,
        new_items=new_items,
        timers_before=timers_before,
    )
    _flush_instance(session, instance)
    return f"Échéance « {title} » : statut du dossier {instance.status_label}."


# --- failures --------------------------------------------------------------------------------


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
        instance.status_label = "En erreur"
        instance.updated_at = utcnow()
    audit.record(session, instance_id, actor, "incident", message)
    session.flush()
