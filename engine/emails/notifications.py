"""What each step of the procedure sends: one email job per recipient, rendered when its cause
happens (so it says what was true then) and delivered by the worker (`engine.emails.mailer`).

Where the diagram asks for an email:
- any element with the property `courriel` sends that template when it completes (the
  dépôt, the decision, a reminder event, an end event);
- a user task sends `courrielTache` (default `tache_en_attente`) when it reaches a queue.

The addresses written in emails come from the web layer (`settings_of(session).links`): the
engine knows no web page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import french_date, french_moment, french_time, utcnow
from engine.core.models import Instance, RoleName, User, WorkItem
from engine.core.settings import settings_of
from engine.emails.recipients import SUBMITTER_SIDE, recipients
from engine.emails.templates import render, template
from engine.jobs import JobKind, NewJob

DEFAULT_TASK_TEMPLATE = "tache_en_attente"
ACCOUNT_LOCK_TEMPLATE = "connexions_suspendues"


def for_completed_tasks(
    session: Session, instance: Instance, workflow: Any, tasks: list[Any]
) -> list[NewJob]:
    """Emails named by the `courriel` property of the elements just completed (the author of
    an act gets its email too: the acknowledgement of a dépôt is for the one who filed)."""
    jobs: list[NewJob] = []
    for task in tasks:
        name = spiff.task_properties(task.task_spec).get("courriel")
        if not name:
            continue
        context = _dossier_context(session, instance, workflow, dict(task.data))
        for user in recipients(session, instance, template(name).recipient, task.data, None):
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
        context = _dossier_context(session, instance, workflow, dict(task.data)) | {
            "tache": item.task_title,
            "attribuee": item.assignee_id is not None,
        }
        if item.role == RoleName.DEMANDEUR:  # a submitter's task opens from their dossier
            context["lien"] = context["lien_demandeur"]
        for user in recipients(session, instance, template(name).recipient, task.data, item):
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
        "lien_registre": settings_of(session).links.fiche(numero),
        "aujourdhui": french_date(utcnow()),
    }
    return [
        _email(instance, "publication", user, context, "publication")
        for user in recipients(session, instance, "demandeur", {}, None)
    ]


def for_reassignment(session: Session, instance: Instance, item: WorkItem, target: User) -> NewJob:
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "tache": item.task_title,
        "attribuee": True,
        "lien": settings_of(session).links.dossier(instance.id, submitter=False),
        "aujourdhui": french_date(utcnow()),
    }
    return _email(instance, DEFAULT_TASK_TEMPLATE, target, context, f"{item.task_id}:reattribution")


def for_account_lock(session: Session, user: User, until: datetime, failures: int) -> NewJob:
    """The owner of an account locked after too many wrong passwords is told (one per lock)."""
    context = {
        "destinataire": user.name,
        "adresse": user.email,
        "tentatives": failures,
        "heure": french_time(until),
        "jusqua": french_moment(until),
        "lien": settings_of(session).links.sign_in(),
        "aujourdhui": french_date(utcnow()),
    }
    subject, body = render(template(ACCOUNT_LOCK_TEMPLATE), context)
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


def _dossier_context(
    session: Session, instance: Instance, workflow: Any, data: dict[str, Any]
) -> dict[str, Any]:
    deadlines = {timer.spec_id: french_date(timer.due) for timer in spiff.waiting_timers(workflow)}
    links = settings_of(session).links
    return data | {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "echeances": deadlines,
        "aujourdhui": french_date(utcnow()),
        "lien_demandeur": links.dossier(instance.id, submitter=True),
        "lien_instruction": links.dossier(instance.id, submitter=False),
    }


def _email(
    instance: Instance, name: str, user: User, context: dict[str, Any], cause: str
) -> NewJob:
    found = template(name)
    values = dict(context)
    if "lien" not in values:
        side = "lien_demandeur" if found.recipient in SUBMITTER_SIDE else "lien_instruction"
        values["lien"] = context.get(side, "")
    values["destinataire"] = user.name
    subject, body = render(found, values)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:{instance.id}:{cause}:{name}:{user.id}",
        label=f"Courriel « {subject} » à {user.email}",
        instance_id=instance.id,
        payload={"template": name, "to": user.email, "subject": subject, "body": body},
    )
