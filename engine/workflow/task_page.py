"""What a task page needs: the work item, its form, the values to prefill, the instructions, its
deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.directory import users_with_role
from engine.core.errors import InventaireError, NotFound
from engine.core.models import Instance, RoleName, Submission, WorkItem, WorkItemStatus
from engine.core.typography import date_filter
from engine.definitions.definition import ProcessDefinition, definition_for
from engine.definitions.forms import FormDefinition
from engine.definitions.rules import process_rules
from engine.jobs import JobKind
from engine.workflow import access
from engine.workflow import choices as choice_lists
from engine.workflow.lookup import form_of, item_with_instance
from engine.workflow.renewal import renewal_warning
from engine.workflow.state import load_workflow

DECISION_WIDGETS = frozenset({"radio", "select"})


@dataclass(frozen=True)
class Deadline:
    """A task's deadline (an interrupting timer on its boundary): when it falls due, the status
    the dossier then takes (« Classée sans suite »), and whether that closes the dossier."""

    due: datetime
    outcome: str | None = None
    closes: bool = False


def task_deadlines(
    session: Session, instance: Instance, definition: ProcessDefinition
) -> dict[str, Deadline]:
    """The deadline of each task of the dossier that has one running, by task (BPMN id): read
    from the timers' jobs, the earliest when a task has several."""
    found: dict[str, Deadline] = {}
    for job in jobs.pending_for(session, instance.id, JobKind.TIMER):
        timer = definition.task_spec(str((job.payload or {}).get("element", "")))
        outcome = spiff.deadline_of(timer) if timer is not None else None
        if outcome is None:
            continue
        known = found.get(outcome.activity)
        if known is None or job.run_at < known.due:
            found[outcome.activity] = Deadline(job.run_at, outcome.status, outcome.closes)
    return found


@dataclass(frozen=True)
class TaskContext:
    item_id: int
    instance_id: int
    task_spec: str
    title: str
    role: str
    status: str
    claimed_by_id: int | None
    # What the page offers, by the rules the actions enforce (engine.workflow.access): reading
    # the task, its form, *Prendre en charge*, *Libérer*, *Réattribuer* (to `holders`).
    may_read: bool
    may_act: bool
    may_claim: bool
    may_release: bool
    may_reassign: bool
    # Why the form is not offered (None when it is): raised as is when the form is posted.
    refusal: access.Refusal | None
    form: FormDefinition
    values: dict[str, Any]
    instructions: str
    user_choices: dict[str, list[tuple[str, str]]]
    holders: list[tuple[str, str]]
    # A renewal: the entry renewed, and the warning when filed less than 3 months before its end.
    renewal_of: str | None = None
    renewal_warning: str | None = None
    # By when it must be done, shown at the top of its page as on the dossier's.
    deadline: Deadline | None = None


def task_context(
    session: Session, actor: Actor, work_item_id: int, *, for_display: bool = True
) -> TaskContext:
    """The task as its page shows it; NotFound when the actor may not see its dossier.

    `for_display=False` (a form being submitted) skips what only the page needs: restoring the
    workflow for the instructions, the prefilled values and the lists of users.
    """
    item, instance = item_with_instance(session, work_item_id)
    if not access.may_see_dossier(actor, instance):
        raise NotFound("Tâche introuvable.")
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    process_data: dict[str, Any] = {}
    instructions = ""
    values: dict[str, Any] = {}
    choices: dict[str, list[tuple[str, str]]] = {}
    deadline = None
    if for_display and item.status == WorkItemStatus.OPEN:
        deadline = task_deadlines(session, instance, definition).get(item.task_spec)
        workflow = load_workflow(session, instance, definition)
        task = spiff.find_task(workflow, item.task_id)
        if task is not None:
            process_data = dict(task.data)
            instructions = render_instructions(
                spiff.task_instructions(task.task_spec), instruction_values(workflow, task)
            )
    if for_display:
        values = _prefill(session, instance, item, form, process_data, definition)
        # Only the people the form may designate (the same rule as when it is submitted).
        choices = {
            name: [
                (str(user.id), user.name)
                for user in users_with_role(session, role)
                if access.may_be_designated(definition, instance, name, role, user)
            ]
            for name, role in form.user_fields().items()
        } | choice_lists.offered(session, definition, form)
    may_reassign = access.may_reassign(actor, item)
    holders = (
        [(str(user.id), user.name) for user in access.reassignable_to(session, item)]
        if for_display and may_reassign
        else []
    )
    refusal = access.refusal_to_act(actor, item, instance)
    return TaskContext(
        item_id=item.id,
        instance_id=instance.id,
        task_spec=item.task_spec,
        title=item.task_title,
        role=item.role,
        status=item.status,
        claimed_by_id=item.claimed_by_id,
        may_read=access.may_read_task(actor, item),
        may_act=refusal is None,
        may_claim=access.may_claim(actor, item, instance),
        may_release=access.may_release(actor, item, instance),
        may_reassign=may_reassign,
        refusal=refusal,
        form=form,
        values=values,
        instructions=instructions,
        user_choices=choices,
        holders=holders,
        renewal_of=process_data.get("renouvellement_de") or None,
        renewal_warning=renewal_warning(process_data, rules=process_rules(definition)),
        deadline=deadline,
    )


def _prefill(
    session: Session,
    instance: Instance,
    item: WorkItem,
    form: FormDefinition,
    process_data: dict[str, Any],
    definition: ProcessDefinition,
) -> dict[str, Any]:
    """A draft first; else the last answers to this same form (a loop comes back to it), else
    the process variables of the same names.

    What a round decides starts empty: the decisions (choices), the fields shown only with a
    decision (the complements asked, a motive), and a submitter's answer to a request
    (*Compléter la demande*: each round answers a new request; the earlier ones are shown
    read-only beside it). The filing form keeps its prefill (a renewal's values).
    """
    if item.draft:
        return dict(item.draft)
    if item.role == RoleName.DEMANDEUR and item.task_spec not in definition.depot_tasks():
        return {}
    last = session.scalar(
        select(Submission)
        .where(Submission.instance_id == instance.id, Submission.form == (item.form or ""))
        .order_by(Submission.id.desc())
        .limit(1)
    )
    previous = dict(last.data) if last is not None else {}
    decisions = {field.name for field in form.fields if field.widget in DECISION_WIDGETS}
    values: dict[str, Any] = {}
    for field in form.fields:
        if field.name in decisions or set(field.visible_if or {}) & decisions:
            continue
        if field.name in previous:
            values[field.name] = previous[field.name]
        elif field.name in process_data:
            values[field.name] = process_data[field.name]
    return values


def instruction_values(workflow: Any, task: Any) -> dict[str, Any]:
    """What a task's instructions read: the process data, and `echeances`, the dossier's
    deadlines by timer as its emails write them (`6 janvier 2027`)."""
    deadlines = {timer.spec_id: date_filter(timer.due) for timer in spiff.waiting_timers(workflow)}
    return dict(task.data) | {"echeances": deadlines}


def render_instructions(text: str, data: dict[str, Any]) -> str:
    """Fill the instructions' `{{ variable }}` from the process variables.

    They are a Jinja template written in the studio: rendered by Jinja's sandbox in a sandbox
    process, under the diagram code's limits (a loop in a template cannot hang the page). A
    template that fails says so in French instead of showing half a text.
    """
    if "{" not in text:
        return text
    try:
        return spiff.SandboxEnvironment().render(text, data)
    except InventaireError as error:
        reason = error.user_message
    except Exception as error:
        reason = f"{type(error).__name__}\u00a0: {error}"
    return (
        "Les instructions de cette étape n'ont pas pu être préparées "
        f"({reason.rstrip('.')}). Le propriétaire du processus doit corriger le modèle."
    )
