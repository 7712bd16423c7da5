"""Read models for the dossier pages: plain dataclasses, never ORM objects or workflow tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.models import (
    REGISTRE_A,
    AuditEvent,
    Instance,
    Organisation,
    RegisterEntry,
    RoleName,
    Submission,
    User,
    WorkItem,
    WorkItemStatus,
    registre_of,
)
from engine.core.settings import settings_of
from engine.definitions.definition import ProcessDefinition, definition_for
from engine.definitions.forms import FormDefinition
from engine.definitions.rules import process_service, service_contact
from engine.people.accounts import user_names
from engine.workflow import access, documents
from engine.workflow.lookup import get_instance
from engine.workflow.state import load_workflow
from engine.workflow.task_page import (
    DECISION_WIDGETS,
    Deadline,
    instruction_values,
    render_instructions,
    task_deadlines,
)
from engine.workflow.timeline import TimelineEntry, grouped_drafts, submitter_reads


@dataclass(frozen=True)
class FiledForm:
    title: str
    task_spec: str
    submitted_at: datetime
    submitted_by: str
    form: FormDefinition | None
    data: dict[str, Any]
    # For a submitter reading a reviewer's answers: the decision addressed to them (the form's
    # `ui:messageDemandeur`), shown instead of the answers.
    message: str | None = None


@dataclass(frozen=True)
class PieceView:
    id: int
    name: str
    size: int
    content_type: str
    uploaded_at: datetime
    field: str | None
    # What the piece is: the title of the form field it was given in (« Mandat »…).
    label: str | None = None


@dataclass(frozen=True)
class WorkItemView:
    id: int
    instance_id: int
    task_spec: str
    title: str
    role: str
    created_at: datetime
    claimed_by: str | None
    claimed_by_me: bool
    assignee: str | None
    may_act: bool
    # Its page opens to this reader (to act on it, or to hand it over).
    may_open: bool
    # A deadline on the task (an interrupting timer on its boundary): when it falls due and the
    # status the dossier then takes (e.g. « Classée sans suite »).
    deadline: Deadline | None = None
    # What the task asks, in the process owner's words (its instructions, filled in); only for
    # a submitter's task, shown at the top of their dossier page.
    instructions: str = ""


@dataclass(frozen=True)
class DossierView:
    id: int
    reference: str | None
    title: str
    status_label: str
    status: str
    organisation: str
    organisation_kind: str
    created_at: datetime
    date_depot: datetime | None
    updated_at: datetime
    error_message: str | None
    process_version: int | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    filed: list[FiledForm] = field(default_factory=list)
    pieces: list[PieceView] = field(default_factory=list)
    open_items: list[WorkItemView] = field(default_factory=list)
    register_numero: str | None = None
    # The procedure (« Enregistrement au Répertoire spécifique ») and the service in charge, as
    # the acknowledgement names them.
    process_title: str = ""
    service: str = ""
    # The authority in charge, as the submitter's page names it (process.json "service"): the
    # author of the staff's steps (« France compétences ») and « entre les mains de … ».
    autorite: str = ""
    de_autorite: str = ""
    # « Numéro au Répertoire spécifique », « Numéro à l'Inventaire »: the entry's register.
    register_label: str = ""


def dossier_view(session: Session, actor: Actor, instance_id: int) -> DossierView:
    """What the actor may read of a dossier (NotFound when they may not see it)."""
    instance = get_instance(session, actor, instance_id)
    definition = definition_for(session, instance.process_version_id)
    submitter_only = not access.may_read_staff_side(actor)
    organisation = (
        session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
    )

    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == instance.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.instance_id == instance.id).order_by(Submission.id)
        )
    )
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN)
            .order_by(WorkItem.id)
        )
    )
    users = user_names(
        session,
        {event.actor_id for event in events}
        | {row.submitted_by_id for row in submissions}
        | {item.claimed_by_id for item in items}
        | {item.assignee_id for item in items},
    )
    demandeur_ids = _demandeur_ids(session, instance)
    service = process_service(definition)

    def who(actor_id: int | None) -> str:
        # Submitters read the authority (« CNCP », « France compétences ») for its agents:
        # names of staff stay internal.
        if submitter_only and actor_id not in demandeur_ids:
            return service.autorite
        return users.get(actor_id or 0, "Système")

    shown_to_submitter = definition.tasks_shown_to_submitter()
    timeline = grouped_drafts(
        [
            TimelineEntry(event.at, who(event.actor_id), event.kind, event.summary)
            for event in events
            if not submitter_only or submitter_reads(event.kind, event.actor_id in demandeur_ids)
        ]
    )
    filed = [
        _filed(
            row,
            definition,
            who,
            addressed=submitter_only and row.submitted_by_id not in demandeur_ids,
        )
        for row in submissions
        if not submitter_only
        or row.submitted_by_id in demandeur_ids
        or row.task_spec in shown_to_submitter
    ]
    labels = field_titles(definition)
    pieces = [
        PieceView(
            doc.id,
            doc.name,
            doc.size,
            doc.content_type,
            doc.uploaded_at,
            doc.field,
            # A generated document says what it is (« Lettre de décision »).
            doc.libelle or labels.get(doc.field or ""),
        )
        for doc in documents.readable_pieces(session, actor, instance)
    ]
    entry = session.execute(
        select(RegisterEntry.numero, RegisterEntry.registre).where(
            RegisterEntry.instance_id == instance.id
        )
    ).first()
    return DossierView(
        id=instance.id,
        reference=instance.reference,
        title=instance.title or "Demande sans intitulé",
        status_label=instance.status_label,
        status=instance.status,
        organisation=organisation.name if organisation else "—",
        organisation_kind=organisation.kind if organisation else "",
        created_at=instance.created_at,
        date_depot=instance.date_depot,
        updated_at=instance.updated_at,
        error_message=None if submitter_only else instance.error_message,
        process_version=definition.version,
        timeline=timeline,
        filed=filed,
        pieces=pieces,
        open_items=_open_items(
            session,
            instance,
            definition,
            actor,
            users,
            [item for item in items if not submitter_only or item.role == RoleName.DEMANDEUR],
        ),
        register_numero=entry.numero if entry else None,
        process_title=definition.title,
        service=service_contact(definition, settings_of(session)).nom,
        autorite=service.autorite,
        de_autorite=service.de_autorite,
        register_label=f"Numéro {REGISTRE_A[registre_of(entry.registre)]}" if entry else "",
    )


def field_titles(definition: ProcessDefinition) -> dict[str, str]:
    """The title of every field of the process's forms, by name (a piece's label)."""
    titles: dict[str, str] = {}
    for form in definition.forms.values():
        for spec in form.fields:
            titles.setdefault(spec.name, spec.title)
    return titles


def _filed(
    row: Submission,
    definition: ProcessDefinition,
    who: Callable[[int | None], str],
    *,
    addressed: bool,
) -> FiledForm:
    """A filed form; `addressed`: a reviewer's answers read by the submitter, who reads the
    decision written for them, never the reviewers' choices (*Refuser*, *Déclarer irrecevable*)."""
    form = definition.forms.get(row.form)
    data = dict(row.data)
    message = None
    if addressed and form is not None:
        if form.submitter_message:
            message = render_instructions(form.submitter_message, data)
        else:
            data = {
                name: value
                for name, value in data.items()
                if name not in form or form.get_field(name).widget not in DECISION_WIDGETS
            }
    return FiledForm(
        title=row.task_title,
        task_spec=row.task_spec,
        submitted_at=row.submitted_at,
        submitted_by=who(row.submitted_by_id),
        form=form,
        data=data,
        message=message,
    )


def _demandeur_ids(session: Session, instance: Instance) -> set[int | None]:
    if instance.organisation_id is None:
        return set()
    return set(
        session.scalars(select(User.id).where(User.organisation_id == instance.organisation_id))
    )


def _open_items(
    session: Session,
    instance: Instance,
    definition: ProcessDefinition,
    actor: Actor,
    users: dict[int, str],
    items: list[WorkItem],
) -> list[WorkItemView]:
    if not items:
        return []
    deadlines = task_deadlines(session, instance, definition)
    asked = _instructions(session, instance, definition, items)
    return [
        _item_view(
            item,
            instance,
            actor,
            users,
            deadline=deadlines.get(item.task_spec),
            instructions=asked.get(item.task_id, ""),
        )
        for item in items
    ]


def _instructions(
    session: Session, instance: Instance, definition: ProcessDefinition, items: list[WorkItem]
) -> dict[str, str]:
    """The submitters' tasks' instructions, filled from the process data (by task id)."""
    wanted = [
        item
        for item in items
        if item.role == RoleName.DEMANDEUR
        and item.task_spec not in definition.depot_tasks()
        and spiff.task_instructions(definition.task_spec(item.task_spec))
    ]
    if not wanted:
        return {}
    workflow = load_workflow(session, instance, definition)
    found: dict[str, str] = {}
    for item in wanted:
        task = spiff.find_task(workflow, item.task_id)
        if task is not None:
            text = spiff.task_instructions(task.task_spec)
            found[item.task_id] = render_instructions(text, instruction_values(workflow, task))
    return found


def _item_view(
    item: WorkItem,
    instance: Instance,
    actor: Actor,
    users: dict[int, str],
    *,
    deadline: Deadline | None = None,
    instructions: str = "",
) -> WorkItemView:
    return WorkItemView(
        id=item.id,
        instance_id=item.instance_id,
        task_spec=item.task_spec,
        title=item.task_title,
        role=item.role,
        created_at=item.created_at,
        claimed_by=users.get(item.claimed_by_id) if item.claimed_by_id else None,
        claimed_by_me=item.claimed_by_id is not None and item.claimed_by_id == actor.id,
        assignee=users.get(item.assignee_id) if item.assignee_id else None,
        may_act=access.may_act(actor, item, instance),
        may_open=access.may_read_task(actor, item),
        deadline=deadline,
        instructions=instructions,
    )
