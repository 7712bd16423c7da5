"""Scenarios: walk-throughs written by process owners, replayed through the real engine."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.directory import users_with_role
from engine.core.errors import InventaireError
from engine.core.models import Instance, Job, Organisation, User, WorkItem, WorkItemStatus
from engine.definitions.definition import definition_for, get_latest_version
from engine.jobs import JobKind
from engine.workflow import documents, lookup, state
from engine.workflow.actions import claims, completing, starting, timers
from engine.workflow.seances import calendar
from engine.workflow.seances import common as seances

# The smallest well-formed PDF: scenario pieces are real uploads of this content.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class Step:
    """Complete `task` with `data`; or, with `timer`, let time pass until that timer fires."""

    task: str
    data: dict[str, Any]
    timer: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    organisation: str
    steps: list[Step]
    expect: dict[str, Any] = field(default_factory=dict)
    # The process the scenario plays (its folder's) and, for a process staff opens (a
    # retrait), the values it starts with.
    key: str = "recensement"
    start_data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScenarioResult:
    scenario: Scenario
    passed: bool
    message: str
    instance_id: int | None = None


def load_scenarios(folder: Path) -> list[Scenario]:
    key = _process_key(folder)
    scenarios = []
    for path in sorted((folder / "scenarios").glob("*.json")):
        scenarios.append(parse_scenario(path.stem, path.read_text(encoding="utf-8"), key))
    return scenarios


def _process_key(folder: Path) -> str:
    try:
        return str(json.loads((folder / "process.json").read_text(encoding="utf-8"))["key"])
    except (OSError, ValueError, KeyError, TypeError):
        return folder.name


def parse_scenario(name: str, text: str, key: str = "recensement") -> Scenario:
    try:
        raw = json.loads(text)
        steps = [
            Step("", {}, str(step["echeance"]))
            if "echeance" in step
            else Step(str(step["task"]), dict(step.get("data", {})))
            for step in raw["steps"]
        ]
        return Scenario(
            name=name,
            title=str(raw.get("title", name)),
            organisation=str(raw.get("organisation", "ministere")),
            steps=steps,
            expect=dict(raw.get("expect", {})),
            key=key,
            start_data=dict(raw.get("donnees_initiales", {})),
        )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise InventaireError(f"Scénario «\u00a0{name}\u00a0» illisible\u00a0: {error}") from None


ActorPicker = Callable[[WorkItem], Actor]


def actor_picker(session: Session, organisation: Organisation) -> ActorPicker:
    """The user a scenario step runs as: the lane's role, the dossier's organisation."""

    def pick(item: WorkItem) -> Actor:
        if item.claimed_by_id is not None:  # arrived taken (designated, or coming back)
            user = session.get(User, item.claimed_by_id)
        elif item.assignee_id is not None:
            user = session.get(User, item.assignee_id)
        else:
            scope = organisation.id if item.organisation_id is not None else None
            holders = users_with_role(session, item.role, organisation_id=scope)
            user = holders[0] if holders else None
        if user is None:
            raise InventaireError(
                f"Aucun utilisateur avec le rôle «\u00a0{item.role}\u00a0» pour ce scénario."
            )
        return Actor.from_user(user)

    return pick


def start(
    session: Session,
    organisation: Organisation,
    pick: ActorPicker | None = None,
    *,
    key: str = "recensement",
    start_data: dict[str, Any] | None = None,
) -> Instance:
    """Open the dossier as the process's starting role: a submitter of the organisation, or
    (a retrait) the first holder of the role, about that organisation."""
    definition = definition_for(session, get_latest_version(session, key).id)
    if definition.start_role != "demandeur":
        holders = users_with_role(session, definition.start_role)
        if not holders:
            raise InventaireError(
                f"Aucun utilisateur avec le rôle «\u00a0{definition.start_role}\u00a0»."
            )
        data = dict(start_data or {})
        concerned = organisation if data.get("certificateur_connu", True) else None
        return starting.start_instance(
            session,
            Actor.from_user(holders[0]),
            key,
            organisation_id=concerned.id if concerned else None,
            start_data=data,
            title=str(data.get("intitule_certification", definition.title)),
        )
    demandeurs = users_with_role(session, "demandeur", organisation_id=organisation.id)
    demandeur = demandeurs[0] if demandeurs else None
    if demandeur is None:
        raise InventaireError(
            f"Aucun demandeur pour l'organisation «\u00a0{organisation.name}\u00a0»."
        )
    return starting.start_instance(session, Actor.from_user(demandeur), key)


def play_step(
    session: Session,
    store: documents.DocumentStore,
    instance: Instance,
    step: Step,
    pick: ActorPicker,
) -> None:
    """Complete the open work item of `step.task` as the user its lane designates."""
    if step.timer is not None:
        pass_time(session, instance, step.timer)
        return
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id,
            WorkItem.status == WorkItemStatus.OPEN,
            WorkItem.task_spec == step.task,
        )
    )
    if item is None:
        waiting = session.scalars(
            select(WorkItem.task_spec).where(
                WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
            )
        ).all()
        raise InventaireError(
            f"La tâche «\u00a0{step.task}\u00a0» n'est pas à faire\u202f; tâches en attente\u00a0: "
            f"{', '.join(waiting) or 'aucune'} (statut\u00a0: {instance.status_label})."
        )
    actor = pick(item)
    if item.organisation_id is None and item.claimed_by_id != actor.id:
        claims.claim(session, actor, item.id)
    data = _materialize(session, store, instance, item, step.data, actor)
    completing.complete_work_item(session, actor, item.id, data)


def pass_time(session: Session, instance: Instance, element: str) -> None:
    """Time passes until the timer `element` fires (as its job would, at its due time).

    A timer already fired when reached (a session date in the past) counts as passed.
    """
    definition = definition_for(session, instance.process_version_id)
    workflow = state.load_workflow(session, instance, definition)
    waiting = [timer for timer in spiff.waiting_timers(workflow) if timer.spec_id == element]
    if waiting:
        timers.fire_timer(session, instance.id, waiting[0].task_id, by_its_job=False)
        return
    if not spiff.has_completed(workflow, element):
        names = ", ".join(timer.spec_id for timer in spiff.waiting_timers(workflow)) or "aucune"
        raise InventaireError(
            f"L'échéance «\u00a0{element}\u00a0» n'est pas attendue\u202f; échéances en "
            f"attente\u00a0: {names} (statut\u00a0: {instance.status_label})."
        )


def _materialize(
    session: Session,
    store: documents.DocumentStore,
    instance: Instance,
    item: WorkItem,
    data: dict[str, Any],
    actor: Actor,
) -> dict[str, Any]:
    """Turn file names into uploaded pieces and emails into user ids."""
    definition = definition_for(session, instance.process_version_id)
    form = lookup.form_of(definition, item)
    result = dict(data)
    for name in form.file_fields():
        value = result.get(name)
        if value is None:
            continue
        names = value if isinstance(value, list) else [value]
        ids = [
            str(
                documents.store(
                    session, store, actor, instance, name, str(filename), io.BytesIO(SAMPLE_PDF)
                ).id
            )
            for filename in names
        ]
        result[name] = ids if isinstance(value, list) else ids[0]
    for name in form.user_fields():
        value = result.get(name)
        if isinstance(value, str) and "@" in value:
            user = session.scalar(select(User).where(User.email == value))
            result[name] = user.id if user is not None else value
    for name, source in form.choice_fields().items():
        value = result.get(name)
        day = _day(value) if source == seances.SOURCE else None
        if day is not None:
            # A séance named by its date: that day's séance of the commission.
            result[name] = calendar.seance_on(session, seances.commission_of(definition), day).id
    return result


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check_expectations(session: Session, instance: Instance, expect: dict[str, Any]) -> list[str]:
    problems = []
    if "end" in expect and instance.end_event != expect["end"]:
        problems.append(
            f"fin attendue «\u00a0{expect['end']}\u00a0», obtenue "
            f"«\u00a0{instance.end_event or 'aucune'}\u00a0»"
        )
    if "statut" in expect and instance.status_label != expect["statut"]:
        problems.append(
            f"statut attendu «\u00a0{expect['statut']}\u00a0», obtenu "
            f"«\u00a0{instance.status_label}\u00a0»"
        )
    for template in expect.get("courriels") or []:
        if template not in emails_planned(session, instance.id):
            problems.append(f"courriel «\u00a0{template}\u00a0» attendu, non envoyé")
    wanted = expect.get("data") or {}
    if wanted:
        definition = definition_for(session, instance.process_version_id)
        workflow = state.load_workflow(session, instance, definition)
        values = spiff.current_data(workflow)
        for key, value in wanted.items():
            if values.get(key) != value:
                problems.append(
                    f"variable «\u00a0{key}\u00a0»\u00a0: attendu {value!r}, obtenu "
                    f"{values.get(key)!r}"
                )
    return problems


def emails_planned(session: Session, instance_id: int) -> set[str]:
    """The templates of the emails this dossier has sent or queued."""
    rows = session.scalars(
        select(Job.payload).where(Job.instance_id == instance_id, Job.kind == str(JobKind.EMAIL))
    )
    return {str((payload or {}).get("template")) for payload in rows}


def run(
    session: Session,
    store: documents.DocumentStore,
    scenario: Scenario,
    organisations: dict[str, Organisation],
) -> ScenarioResult:
    """Play a whole scenario in the caller's transaction and compare with its expectations."""
    organisation = organisations.get(scenario.organisation)
    if organisation is None:
        return ScenarioResult(
            scenario, False, f"type d'organisation inconnu «\u00a0{scenario.organisation}\u00a0»"
        )
    pick = actor_picker(session, organisation)
    instance = start(session, organisation, key=scenario.key, start_data=scenario.start_data)
    for number, step in enumerate(scenario.steps, start=1):
        try:
            play_step(session, store, instance, step, pick)
        except InventaireError as error:
            detail = error.user_message
            errors = getattr(error, "errors", None)
            if errors:
                detail += " " + "; ".join(
                    f"{key or 'formulaire'}\u00a0: {message}" for key, message in errors.items()
                )
            return ScenarioResult(
                scenario,
                False,
                f"étape {number} ({step.task or step.timer})\u00a0: {detail}",
                instance.id,
            )
    problems = check_expectations(session, instance, scenario.expect)
    if problems:
        return ScenarioResult(scenario, False, "; ".join(problems), instance.id)
    return ScenarioResult(scenario, True, f"terminé\u00a0: {instance.status_label}", instance.id)
