"""Emails of the procedure: French templates, their recipients, one job per email.

Templates live in `engine/courriels/` (the admin pages show them): a header (`destinataire:`,
`objet:`), a `---` line, then the body, rendered by a sandboxed Jinja environment. An email is
rendered when its cause happens (so it says what was true then) and sent by the worker.

Where the diagram asks for an email:
- any element with the property `courriel` sends that template when it completes (the
  deposit, the decision, a reminder event, an end event);
- a user task sends `courrielTache` (default `tache_en_attente`) when it reaches a queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import utcnow
from engine.core.directory import users_with_role
from engine.core.errors import ExecutionError
from engine.core.models import Instance, RoleName, User, WorkItem, as_id
from engine.jobs import JobKind, NewJob

TEMPLATES_DIR = Path(__file__).parent / "courriels"
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_TASK_TEMPLATE = "tache_en_attente"
# The public address written in links; `configure()` sets it from INVENTAIRE_BASE_URL.
_settings = {"base_url": "http://localhost:5000"}

RECIPIENT_LABELS = {
    "demandeur": "Le demandeur (auteur du dossier)",
    "rapporteur": "Le rapporteur désigné",
    "file": "La personne à qui la tâche est attribuée, sinon chaque membre de son équipe",
    "organisation": "Les demandeurs de l'organisation du dossier (le certificateur d'un retrait)",
    "compte": "Le titulaire du compte (hors procédure)",
}
ACCOUNT_LOCK_TEMPLATE = "connexions_suspendues"


def configure(base_url: str) -> None:
    _settings["base_url"] = base_url.rstrip("/")


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    recipient: str
    subject: str
    body: str
    source: str


@cache
def templates() -> dict[str, EmailTemplate]:
    return {
        path.stem: _parse_template(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES_DIR.glob("*.txt"))
    }


def _parse_template(name: str, text: str) -> EmailTemplate:
    header, _, body = text.partition("\n---\n")
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in header.splitlines())
    )
    recipient = fields.get("destinataire", "")
    if recipient not in RECIPIENT_LABELS or not fields.get("objet") or not body:
        raise ValueError(f"Modèle de courriel {name} : en-tête destinataire/objet ou corps absent.")
    return EmailTemplate(name, recipient, fields["objet"], body, text)


# A variable this dossier lacks (a field left empty, a timer not set) reads as empty.
_environment = SandboxedEnvironment(
    undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=True
)


@cache
def _compiled(source: str) -> Template:
    return _environment.from_string(source)


def render(template: EmailTemplate, context: dict[str, Any]) -> tuple[str, str]:
    try:
        subject = _compiled(template.subject).render(context)
        body = _compiled(template.body).render(context)
    except TemplateError as error:
        raise ExecutionError(
            f"Le modèle de courriel « {template.name} » ne peut pas être rendu : {error}."
        ) from error
    return " ".join(subject.split())[:300], body


def french_date(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y") if moment else ""


def french_time(moment: datetime) -> str:
    """« 14 h 05 », Paris time."""
    return moment.astimezone(PARIS).strftime("%H h %M")


def french_moment(moment: datetime) -> str:
    """« 27/11/2026 à 14 h 05 », Paris time."""
    return f"{french_date(moment)} à {french_time(moment)}"


# --- what a step of the procedure sends ------------------------------------------------------


def for_completed_tasks(
    session: Session, instance: Instance, workflow: Any, tasks: list[Any]
) -> list[NewJob]:
    """Emails named by the `courriel` property of the elements just completed (the author of
    an act gets its email too: the acknowledgement of a deposit is for the one who filed)."""
    jobs: list[NewJob] = []
    for task in tasks:
        name = spiff.task_properties(task.task_spec).get("courriel")
        if not name:
            continue
        context = _dossier_context(instance, workflow, dict(task.data))
        for user in _recipients(session, instance, _template(name).recipient, task.data, None):
            jobs.append(_email(instance, name, user, context, f"{task.id}"))
    return jobs


def for_new_items(
    session: Session, instance: Instance, workflow: Any, items: list[WorkItem], actor: Actor
) -> list[NewJob]:
    """A task arriving in a queue: its holders (or the designated person) are told."""
    jobs: list[NewJob] = []
    for item in items:
        task = spiff.find_task(workflow, item.task_id)
        if task is None:
            continue
        name = spiff.task_properties(task.task_spec).get("courrielTache", DEFAULT_TASK_TEMPLATE)
        if name == "aucun":
            continue
        template = _template(name)
        context = _dossier_context(instance, workflow, dict(task.data)) | {
            "tache": item.task_title,
            "attribuee": item.assignee_id is not None,
        }
        if item.role == RoleName.DEMANDEUR:  # a submitter's task opens from their dossier
            context["lien"] = context["lien_demandeur"]
        for user in _recipients(session, instance, template.recipient, task.data, item):
            if user.id != actor.id:
                jobs.append(_email(instance, name, user, context, item.task_id))
    return jobs


def for_publication(
    session: Session, instance: Instance, numero: str, start: datetime, end: datetime | None
) -> list[NewJob]:
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "numero": numero,
        "debut": french_date(start),
        "fin": french_date(end),
        "lien_registre": f"{_settings['base_url']}/registre/{numero}",
        "aujourdhui": french_date(utcnow()),
    }
    return [
        _email(instance, "publication", user, context, "publication")
        for user in _recipients(session, instance, "demandeur", {}, None)
    ]


def for_reassignment(instance: Instance, item: WorkItem, target: User) -> NewJob:
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "tache": item.task_title,
        "attribuee": True,
        "lien": f"{_settings['base_url']}/instruction/dossiers/{instance.id}",
        "aujourdhui": french_date(utcnow()),
    }
    return _email(instance, DEFAULT_TASK_TEMPLATE, target, context, f"{item.task_id}:reattribution")


def for_account_lock(user: User, until: datetime, failures: int) -> NewJob:
    """The owner of an account locked after too many wrong passwords is told (one per lock)."""
    template = _template(ACCOUNT_LOCK_TEMPLATE)
    context = {
        "destinataire": user.name,
        "adresse": user.email,
        "tentatives": failures,
        "heure": french_time(until),
        "jusqua": french_moment(until),
        "lien": f"{_settings['base_url']}/connexion",
        "aujourdhui": french_date(utcnow()),
    }
    subject, body = render(template, context)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:compte:{user.id}:{ACCOUNT_LOCK_TEMPLATE}:{until.isoformat()}",
        label=f"Courriel « {subject} » à {user.email}",
        instance_id=None,
        payload={
            "template": ACCOUNT_LOCK_TEMPLATE,
            "to": user.email,
            "subject": subject,
            "body": body,
        },
    )


# --- helpers ---------------------------------------------------------------------------------


def _template(name: str) -> EmailTemplate:
    found = templates().get(name)
    if found is None:
        raise ExecutionError(f"Modèle de courriel inconnu : « {name} ».")
    return found


def _dossier_context(instance: Instance, workflow: Any, data: dict[str, Any]) -> dict[str, Any]:
    deadlines = {timer.spec_id: french_date(timer.due) for timer in spiff.waiting_timers(workflow)}
    return data | {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "echeances": deadlines,
        "aujourdhui": french_date(utcnow()),
        "lien_demandeur": f"{_settings['base_url']}/demandes/{instance.id}",
        "lien_instruction": f"{_settings['base_url']}/instruction/dossiers/{instance.id}",
    }


def _recipients(
    session: Session,
    instance: Instance,
    kind: str,
    data: dict[str, Any],
    item: WorkItem | None,
) -> list[User]:
    if kind == "demandeur":
        return _active(session, instance.created_by_id)
    if kind == "rapporteur":
        return _active(session, as_id(data.get("rapporteur_id")))
    if kind == "organisation":
        if instance.organisation_id is None:
            return []
        return users_with_role(
            session, RoleName.DEMANDEUR, organisation_id=instance.organisation_id
        )
    if item is None:
        return []
    if item.assignee_id is not None:
        return _active(session, item.assignee_id)
    if item.organisation_id is None and item.role == RoleName.DEMANDEUR:
        return []  # a submitters' task belongs to one organisation
    return users_with_role(session, item.role, organisation_id=item.organisation_id)


def _active(session: Session, user_id: int | None) -> list[User]:
    user = session.get(User, user_id) if user_id is not None else None
    return [user] if user is not None and user.active else []


def _email(
    instance: Instance, name: str, user: User, context: dict[str, Any], cause: str
) -> NewJob:
    template = _template(name)
    values = dict(context)
    if "lien" not in values:
        submitter = template.recipient in ("demandeur", "organisation")
        side = "lien_demandeur" if submitter else "lien_instruction"
        values["lien"] = context.get(side, "")
    values["destinataire"] = user.name
    subject, body = render(template, values)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:{instance.id}:{cause}:{name}:{user.id}",
        label=f"Courriel « {subject} » à {user.email}",
        instance_id=instance.id,
        payload={"template": name, "to": user.email, "subject": subject, "body": body},
    )
