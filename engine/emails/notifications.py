"""What each step of the procedure sends: one email job per recipient, rendered when its cause
happens (so it says what was true then) and delivered by the worker (`engine.emails.mailer`).

Where the diagram asks for an email:
- any element with the property `courriel` sends that template (or each of a comma-separated
  list) when it completes (the dépôt, the decision, a reminder event, an end event);
- a user task sends `courrielTache` (default `tache_en_attente`) when it reaches a queue.
And outside the diagram: a message of a dossier's messagerie tells its other side
(`for_message`), a locked account its owner (`for_account_lock`), an account's owner the link
to choose a new password (`for_password_reset`).

The addresses written in emails come from the web layer (`settings_of(session).links`): the
engine knows no web page. Every email reads as a letter of the service in charge: its name and
contacts (`service_*`) come from the dossier's process, an operator's settings overriding them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.core.actor import Actor
from engine.core.clock import add_months, as_utc, french_time, utcnow
from engine.core.models import Instance, RoleName, User, WorkItem
from engine.core.settings import INVENTAIRE_SERVICE_ID, ServiceContact, settings_of
from engine.core.typography import date_filter, moment_filter
from engine.definitions.definition import definition_for
from engine.definitions.rules import process_rules, service_contact
from engine.emails.recipients import SUBMITTER_SIDE, Addressee, addressees, standing_in
from engine.emails.templates import render, template
from engine.jobs import JobKind, NewJob

DEFAULT_TASK_TEMPLATE = "tache_en_attente"
ACCOUNT_LOCK_TEMPLATE = "connexions_suspendues"
PASSWORD_RESET_TEMPLATE = "reinitialisation_mot_de_passe"
# A message of the messagerie: to the submitter's side, or to the agents.
MESSAGE_TO_SUBMITTER = "message_demandeur"
MESSAGE_TO_AGENTS = "message_instruction"


def for_completed_tasks(
    session: Session,
    instance: Instance,
    workflow: Any,
    tasks: list[Any],
    documents: list[str] | None = None,
) -> list[NewJob]:
    """Emails named by the `courriel` property of the elements just completed (the author of
    an act gets its email too: the acknowledgement of a dépôt is for the one who filed).
    `documents`: what the same action adds to the dossier (« Lettre de décision »: the
    elements' `document` property), which its emails announce (`documents_joints`)."""
    jobs: list[NewJob] = []
    for task in tasks:
        names = listed_property(task, "courriel")
        if not names:
            continue
        context = dossier_context(session, instance, workflow, dict(task.data))
        context["documents_joints"] = list(documents or [])
        for name in names:
            kind = template(name).recipient
            for to in addressees(session, instance, kind, task.data, None):
                jobs.append(_email(instance, name, to, context, f"{task.id}"))
    return jobs


def for_event(
    session: Session,
    instance: Instance,
    workflow: Any,
    names: list[str],
    data: dict[str, Any],
    cause: str,
) -> list[NewJob]:
    """Emails of templates `names` about something that happened beside the workflow (a séance
    moved), to each template's recipients, over the dossier's `data`; `cause` keys them."""
    context = dossier_context(session, instance, workflow, data)
    return [
        _email(instance, name, to, context, cause)
        for name in names
        for to in addressees(session, instance, template(name).recipient, data, None)
    ]


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
        context = dossier_context(session, instance, workflow, dict(task.data)) | {
            "tache": item.task_title,
            "attribuee": item.assignee_id is not None or item.claimed_by_id is not None,
        }
        if item.role == RoleName.DEMANDEUR:  # a submitter's task opens from their dossier
            context["lien"] = context["lien_demandeur"]
        for to in addressees(session, instance, template(name).recipient, task.data, item):
            if to.user_id != actor.id:
                jobs.append(_email(instance, name, to, context, item.task_id))
    return jobs


def for_publication(
    session: Session,
    instance: Instance,
    numero: str,
    start: datetime,
    end: datetime | None,
    template: str = "publication",
    documents: list[str] | None = None,
) -> list[NewJob]:
    """`documents`: what the publication adds to the dossier (its attestation), announced."""
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "numero": numero,
        "debut": date_filter(start),
        "fin": date_filter(end),
        "lien_registre": settings_of(session).links.fiche(numero),
        "lien_demandeur": settings_of(session).links.dossier(instance.id, submitter=True),
        "aujourdhui": date_filter(utcnow()),
        "documents_joints": list(documents or []),
    } | service_values(session, instance)
    return [
        _email(instance, template, to, context, "publication")
        for to in addressees(session, instance, "demandeur", {}, None)
    ]


def for_reassignment(session: Session, instance: Instance, item: WorkItem, target: User) -> NewJob:
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "tache": item.task_title,
        "attribuee": True,
        "lien": settings_of(session).links.dossier(instance.id, submitter=False),
        "aujourdhui": date_filter(utcnow()),
    } | service_values(session, instance)
    # A task handed to an absent agent is announced to their suppléant, who works it meanwhile.
    [told, *_] = standing_in(session, [target]) or [target]
    to = Addressee(told.email, told.name, told.id)
    return _email(instance, DEFAULT_TASK_TEMPLATE, to, context, f"{item.task_id}:reattribution")


def for_message(
    session: Session, instance: Instance, message_id: int, to_submitter: bool, author: Actor
) -> list[NewJob]:
    """A message of the dossier's messagerie: its other side is told there is one, with a link
    to the dossier, never what it says (an email leaves the platform; the message does not)."""
    name = MESSAGE_TO_SUBMITTER if to_submitter else MESSAGE_TO_AGENTS
    links = settings_of(session).links
    context = {
        "reference": instance.reference or "",
        "intitule": instance.title,
        "statut": instance.status_label,
        "aujourdhui": date_filter(utcnow()),
        "lien_demandeur": links.dossier(instance.id, submitter=True),
        "lien_instruction": links.dossier(instance.id, submitter=False),
    } | service_values(session, instance)
    return [
        _email(instance, name, to, context, f"message-{message_id}")
        for to in addressees(session, instance, template(name).recipient, {}, None)
        if to.user_id is None or to.user_id != author.id
    ]


def for_account_lock(session: Session, user: User, until: datetime, failures: int) -> NewJob:
    """The owner of an account locked after too many wrong passwords is told (one per lock)."""
    context = {
        "destinataire": user.name,
        "adresse": user.email,
        "tentatives": failures,
        "heure": french_time(until),
        "jusqua": moment_filter(until),
        "lien": settings_of(session).links.sign_in(),
        "aujourdhui": date_filter(utcnow()),
    } | _platform_service(session).template_values()
    return _account_email(user, ACCOUNT_LOCK_TEMPLATE, context, until.isoformat())


def for_password_reset(session: Session, user: User, token: str, until: datetime) -> NewJob:
    """The link to choose a new password (asked on the sign-in page), valid until `until`."""
    context = {
        "destinataire": user.name,
        "adresse": user.email,
        "heure": french_time(until),
        "lien": settings_of(session).links.password_reset(token),
        "aujourdhui": date_filter(utcnow()),
    } | _platform_service(session).template_values()
    # One per request: the token differs each time (its time of issue).
    return _account_email(user, PASSWORD_RESET_TEMPLATE, context, token_digest(token))


def _account_email(user: User, name: str, context: dict[str, Any], once_per: str) -> NewJob:
    """An email about an account (no dossier), sent once per `once_per`."""
    subject, body = render(template(name), context)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:compte:{user.id}:{name}:{once_per}",
        label=f"Courriel «\u00a0{subject}\u00a0» à {user.email}",
        instance_id=None,
        payload={"template": name, "to": user.email, "subject": subject, "body": body},
    )


def token_digest(token: str) -> str:
    """What a job's key may say of a secret link: a short hash, never the link itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


# --- helpers ---------------------------------------------------------------------------------


def listed_property(task: Any, name: str) -> list[str]:
    """The names an element's property lists, comma-separated (`courriel`, `document`)."""
    listed = spiff.task_properties(task.task_spec).get(name) or ""
    return [value.strip() for value in listed.split(",") if value.strip()]


def dossier_context(
    session: Session, instance: Instance, workflow: Any, data: dict[str, Any]
) -> dict[str, Any]:
    """What a letter about this dossier may say, as of now: the element's data, the dossier's
    reference, title, status, deadlines, date of receipt, links, the service and what silence
    makes (the emails' values; a generated document's too, engine/pdf)."""
    deadlines = {timer.spec_id: date_filter(timer.due) for timer in spiff.waiting_timers(workflow)}
    links = settings_of(session).links
    received = as_utc(instance.date_depot) if instance.date_depot else utcnow()
    return (
        data
        | {
            "reference": instance.reference or "",
            "intitule": instance.title,
            "statut": instance.status_label,
            "echeances": deadlines,
            "aujourdhui": date_filter(utcnow()),
            "date_depot": date_filter(received),
            "lien_demandeur": links.dossier(instance.id, submitter=True),
            "lien_instruction": links.dossier(instance.id, submitter=False),
        }
        | _silence_values(session, instance, received)
        | service_values(session, instance)
    )


def service_values(session: Session, instance: Instance) -> dict[str, str]:
    """`service_nom`, `service_adresse`, `service_courriel`, `service_telephone`: the process's
    service, each value the operator sets for that service winning."""
    definition = definition_for(session, instance.process_version_id)
    return service_contact(definition, settings_of(session)).template_values()


def _platform_service(session: Session) -> ServiceContact:
    """Who signs what concerns an account rather than a dossier: the service the unkeyed
    settings name (the Inventaire's), as it did before services were told apart."""
    return settings_of(session).service_override(INVENTAIRE_SERVICE_ID) or ServiceContact()


def _silence_values(session: Session, instance: Instance, received: datetime) -> dict[str, Any]:
    """What silence makes, where the process owner says (CRPA R. 112-5, R. 112-11-1)."""
    rule = process_rules(definition_for(session, instance.process_version_id)).silence_vaut
    if rule is None:
        return {"silence_vaut": ""}
    return {
        "silence_vaut": rule.nature,
        "silence_libelle": rule.libelle,
        "silence_delai_mois": rule.delai_mois,
        "silence_date": date_filter(add_months(received, rule.delai_mois)),
    }


def _email(
    instance: Instance, name: str, to: Addressee, context: dict[str, Any], cause: str
) -> NewJob:
    found = template(name)
    values = dict(context)
    if "lien" not in values:
        side = "lien_demandeur" if found.recipient in SUBMITTER_SIDE else "lien_instruction"
        values["lien"] = context.get(side, "")
    values["destinataire"] = to.name
    subject, body = render(found, values)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:{instance.id}:{cause}:{name}:{to.key}",
        label=f"Courriel «\u00a0{subject}\u00a0» à {to.email}",
        instance_id=instance.id,
        payload={"template": name, "to": to.email, "subject": subject, "body": body},
    )
