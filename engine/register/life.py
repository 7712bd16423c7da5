"""The life of a register entry after its publication: fin de validité, renewal, retrait.

- Fin de validité: the end date is the last day of validity; each active entry has a job due
  at the start (Paris time) of the next day that makes it *Échue* (never a scan at read time).
  Attestations may still be delivered until the date limite de délivrance (the end date plus
  the process value `delai_limite_delivrance_mois`), kept in the entry's content.
- Renewal: a submitter of the certifier's organisation opens a new recensement dossier,
  prefilled from the entry and linked to it; once recensed, the new entry follows the old one.
- Retrait: the commission opens a dossier of the `retrait` process about the entry; its
  service task `retirer_inventaire` queues the job that makes the entry *Retirée*.

Each register has its own procedures (PROCESSES): an entry of the Répertoire spécifique is
renewed by `enregistrement-rs` and withdrawn by `retrait-rs` (France compétences), never by the
CNCP's Inventaire procedures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import SYSTEM, Actor
from engine.core.clock import add_months_to_date, french_date, utcnow
from engine.core.errors import NotFound
from engine.core.models import (
    REGISTER_STATUS_LABELS,
    REGISTRE_A,
    REGISTRE_DE,
    Instance,
    InstanceStatus,
    Job,
    JobStatus,
    Organisation,
    RegisterEntry,
    RegisterStatus,
    Registre,
    WorkItem,
    WorkItemStatus,
    registre_of,
)
from engine.definitions.definition import definition_for, get_latest_version
from engine.definitions.rules import ProcessRules, process_rules
from engine.emails import notifications
from engine.jobs import JobKind, NewJob
from engine.jobs.api import JobRun
from engine.pdf import generation
from engine.register.filing import form_values
from engine.register.opendata.fiche import date_to_moment, moment_to_date
from engine.register.publication import dossier_values, publish
from engine.webhooks import outbox
from engine.webhooks.events import EventType
from engine.workflow import access
from engine.workflow.actions.starting import start_instance
from engine.workflow.lookup import form_of

RETRAIT_KEY = "retrait"
# The processes that renew and withdraw an entry, per register.
RENEWAL_PROCESSES = {Registre.INVENTAIRE: "recensement", Registre.RS: "enregistrement-rs"}
RETRAIT_PROCESSES = {Registre.INVENTAIRE: RETRAIT_KEY, Registre.RS: "retrait-rs"}


def renewal_process(entry: RegisterEntry) -> str:
    """The process a renewal of this entry opens: its own register's."""
    return RENEWAL_PROCESSES[Registre(entry.registre)]


def retrait_process(entry: RegisterEntry) -> str:
    """The process that withdraws this entry: its own register's."""
    return RETRAIT_PROCESSES[Registre(entry.registre)]


def entry_by_numero(session: Session, numero: str) -> RegisterEntry:
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero[:20]))
    if entry is None:
        raise NotFound(
            f"Aucune certification n'a le numéro «\u00a0{numero[:20]}\u00a0» au registre."
        )
    return entry


def certifier_organisation(session: Session, entry: RegisterEntry) -> Organisation | None:
    """The organisation behind an entry: the one that filed it, else one with a certifier's
    SIRET (an entry imported from France compétences)."""
    if entry.instance_id is not None:
        instance = session.get(Instance, entry.instance_id)
        if instance is not None and instance.organisation_id is not None:
            return session.get(Organisation, instance.organisation_id)
    sirets = [
        str(certifier.get("siret"))
        for certifier in (entry.certificateurs or {}).get("certificateurs", [])
        if certifier.get("siret")
    ]
    if not sirets:
        return None
    return session.scalar(
        select(Organisation).where(Organisation.siret.in_(sirets)).order_by(Organisation.id)
    )


# --- fin de validité --------------------------------------------------------------------------

# Where an entry keeps its date limite de délivrance (DATE_LIMITE_DELIVRANCE, as AAAA-MM-JJ).
LIMITE_DELIVRANCE = "date_limite_delivrance"


def echeance(fin: datetime) -> datetime:
    """When an entry whose last day of validity is `fin` becomes *Échue*: the start of the next
    day, Paris time."""
    return date_to_moment(moment_to_date(fin) + timedelta(days=1))


def kept_withdrawn(entry: RegisterEntry, values: dict[str, Any]) -> dict[str, Any]:
    """An entry's new values (a re-import) with its withdrawal kept: a withdrawal is a decision,
    so a *Retirée* entry stays *Retirée* whatever its dates or a later export say (a new
    registration gets a new number), with the decision's motive and its date limite de
    délivrance when the new values give none."""
    if entry.statut != RegisterStatus.RETIREE:
        return values
    kept = values | {"statut": RegisterStatus.RETIREE, "motif_retrait": entry.motif_retrait}
    limite = (entry.content or {}).get(LIMITE_DELIVRANCE)
    content = values.get("content")
    if limite and isinstance(content, dict) and not content.get(LIMITE_DELIVRANCE):
        kept["content"] = content | {LIMITE_DELIVRANCE: limite}
    return kept


def is_past_end(fin: datetime | None, now: datetime) -> bool:
    """Whether an entry ending on `fin` is past its end at `now` (the end date is still valid)."""
    return fin is not None and now >= echeance(fin)


def limite_delivrance(day: date, rules: ProcessRules) -> date:
    """The date until which attestations may still be delivered after `day` (an end of
    validity, a withdrawal): `delai_limite_delivrance_mois` months later."""
    return add_months_to_date(day, rules.delai_limite_delivrance_mois)


def set_limite_delivrance(entry: RegisterEntry, day: date) -> None:
    entry.content = dict(entry.content or {}) | {LIMITE_DELIVRANCE: day.isoformat()}


def fin_validite_key(numero: str) -> str:
    return f"fin-validite:{numero}:"


def schedule_fin_validite(session: Session, entry: RegisterEntry) -> None:
    """The job that makes an active entry *Échue* the day after its end date (a new end date,
    after a re-import, gets its own job; the former one then finds nothing to do)."""
    if entry.statut != RegisterStatus.ACTIVE or entry.fin_validite is None:
        return
    fin = moment_to_date(entry.fin_validite).isoformat()
    jobs.enqueue(
        session,
        [
            NewJob(
                kind=JobKind.FIN_VALIDITE,
                key=f"{fin_validite_key(entry.numero)}{fin}",
                label=f"Fin de validité de {entry.numero}",
                instance_id=entry.instance_id,
                payload={"numero": entry.numero, "fin": fin},
                run_at=echeance(entry.fin_validite),
            )
        ],
    )


def fin_validite_job(run: JobRun) -> str:
    """The entry's end date has passed: it becomes *Échue*, unless that date changed since."""
    session = run.session
    payload = run.job.payload or {}
    entry = entry_by_numero(session, str(payload.get("numero", "")))
    if entry.statut != RegisterStatus.ACTIVE:
        return f"{entry.numero} est déjà {REGISTER_STATUS_LABELS[RegisterStatus(entry.statut)]}."
    fin = entry.fin_validite
    if fin is None or moment_to_date(fin).isoformat() != payload.get("fin"):
        return (
            f"La fin de validité de {entry.numero} a changé\u00a0: cette échéance est sans objet."
        )
    now = utcnow()
    entry.statut = RegisterStatus.ECHUE
    entry.statut_change_le = now
    entry.updated_at = now
    summary = f"Certification {entry.numero} échue\u00a0: fin de validité atteinte."
    audit.record(session, entry.instance_id, SYSTEM, "registre", summary)
    outbox.entry_changed(session, EventType.FICHE_ECHUE, entry)
    return summary


# --- retrait ----------------------------------------------------------------------------------


def start_retrait(session: Session, actor: Actor, numero: str) -> Instance:
    """The commission opens the retrait of an active entry (one at a time per entry)."""
    entry = entry_by_numero(session, numero)
    access.enforce(session, _retrait_refusal(session, actor, entry))
    title = f"Retrait de {entry.numero} — {entry.intitule}"
    organisation = certifier_organisation(session, entry)
    # The process values of the entry's own register's retrait (retrait-rs for an RS entry).
    version = get_latest_version(session, retrait_process(entry))
    rules = process_rules(definition_for(session, version.id))
    instance = start_instance(
        session,
        actor,
        retrait_process(entry),
        organisation_id=organisation.id if organisation else None,
        title=title,
        start_data={
            "numero_inventaire": entry.numero,
            "intitule_certification": entry.intitule,
            "fin_validite": french_date(entry.fin_validite),
            "certificateur_connu": organisation is not None,
            # Until the certifier answers: no hearing asked.
            "demande_audition": False,
            # The process values the forms and timers start from (process.json, "regles").
            "delai_observations_jours": rules.delai_observations_jours,
            "delai_limite_delivrance_mois": rules.delai_limite_delivrance_mois,
            # Set by the decision, else by the rule (script « Fixer la date limite »).
            "date_limite_delivrance": None,
        },
    )
    instance.reference = f"RET-{entry.numero}-{instance.id}"[:20]
    return instance


def _retrait_refusal(session: Session, actor: Actor, entry: RegisterEntry) -> access.Refusal | None:
    """`access.refusal_to_start_retrait` with what it reads: the retrait process, the retrait
    of this entry in progress."""
    version = get_latest_version(session, retrait_process(entry))

    def running() -> str | None:
        return session.scalar(
            select(Instance.reference).where(
                Instance.status == InstanceStatus.RUNNING,
                Instance.title.startswith(f"Retrait de {entry.numero} — "),
                Instance.process_version.has(key=version.key),
            )
        )

    definition = definition_for(session, version.id)
    return access.refusal_to_start_retrait(actor, entry, definition, running)


def retrait_job(run: JobRun) -> str:
    """The retrait process decided it: the entry becomes *Retirée*, its fin de validité ends."""
    session = run.session
    payload = run.job.payload or {}
    entry = entry_by_numero(session, str(payload.get("numero", "")))
    if entry.statut == RegisterStatus.RETIREE:
        return f"{entry.numero} est déjà retirée."
    now = utcnow()
    entry.statut = RegisterStatus.RETIREE
    entry.statut_change_le = now
    entry.updated_at = now
    entry.motif_retrait = str(payload.get("motif", ""))[:10000]
    limite = _date_or_none(payload.get(LIMITE_DELIVRANCE))
    if limite is not None:
        set_limite_delivrance(entry, limite)
    for job in session.scalars(
        select(Job).where(
            Job.idempotency_key.startswith(fin_validite_key(entry.numero)),
            Job.status == JobStatus.PENDING,
        )
    ):
        jobs.cancel(job, "certification retirée")
    summary = f"Certification {entry.numero} retirée {REGISTRE_DE[registre_of(entry.registre)]}."
    audit.record(session, run.job.instance_id, SYSTEM, "registre", summary)
    if entry.instance_id is not None:
        audit.record(session, entry.instance_id, SYSTEM, "registre", summary)
    outbox.entry_changed(session, EventType.FICHE_RETIREE, entry)
    return summary


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# --- renewal ----------------------------------------------------------------------------------


def start_renewal(session: Session, actor: Actor, numero: str) -> Instance:
    """*Demander le renouvellement*: a new request prefilled from the entry, linked to it."""
    entry = entry_by_numero(session, numero)
    access.enforce(session, _renewal_refusal(session, actor, entry))
    end = entry.fin_validite
    instance = start_instance(
        session,
        actor,
        renewal_process(entry),
        start_data={
            "renouvellement_de": entry.numero,
            "fin_validite_precedente": moment_to_date(end).isoformat() if end else None,
        },
        title=entry.intitule,
    )
    item = session.scalar(
        select(WorkItem).where(
            WorkItem.instance_id == instance.id, WorkItem.status == WorkItemStatus.OPEN
        )
    )
    if item is not None:
        item.draft = prefill(session, instance, item, entry)
    audit.record(
        session,
        instance.id,
        actor,
        "renouvellement",
        f"Demande de renouvellement de {entry.numero} créée, préremplie depuis la fiche.",
    )
    session.flush()
    return instance


def _renewal_refusal(session: Session, actor: Actor, entry: RegisterEntry) -> access.Refusal | None:
    """`access.refusal_to_renew` with what it reads: the entry's certifier organisation."""
    organisation = certifier_organisation(session, entry)
    return access.refusal_to_renew(actor, entry, organisation.id if organisation else None)


@dataclass(frozen=True)
class EntryActions:
    """The buttons a fiche offers: exactly the actions the rules allow this visitor."""

    renew: bool
    retrait: bool


def entry_actions(session: Session, actor: Actor | None, numero: str) -> EntryActions:
    """*Demander le renouvellement* and *Engager un retrait*, by the rules `start_renewal` and
    `start_retrait` enforce (none to the public)."""
    if actor is None or actor.id is None:
        return EntryActions(renew=False, retrait=False)
    entry = entry_by_numero(session, numero)
    return EntryActions(
        renew=_renewal_refusal(session, actor, entry) is None,
        retrait=_retrait_refusal(session, actor, entry) is None,
    )


def prefill(
    session: Session, instance: Instance, item: WorkItem, entry: RegisterEntry
) -> dict[str, Any]:
    """The filing form's fields from the previous dossier, else from the entry (no pieces:
    they belong to the previous dossier and are filed again)."""
    definition = definition_for(session, instance.process_version_id)
    form = form_of(definition, item)
    names = {field.name for field in form.fields} - set(form.file_fields())
    values = dossier_values(session, entry.instance_id) if entry.instance_id else {}
    if not values:
        certifiers = (entry.certificateurs or {}).get("certificateurs", [])
        values = (
            dict(entry.content or {})
            | {"intitule": entry.intitule, "categorie": entry.categorie}
            | form_values(entry.content or {}, certifiers if isinstance(certifiers, list) else [])
        )
    return {name: value for name, value in values.items() if name in names and value is not None}


def publish_job(run: JobRun) -> str:
    """The publication job of a recensed dossier: its entry, its fin de validité, the email."""
    session = run.session
    instance = session.get(Instance, run.job.instance_id) if run.job.instance_id else None
    if instance is None:
        return "Dossier introuvable\u00a0: rien à publier."
    entry = publish(session, instance, dict(run.job.payload or {}))
    where = REGISTRE_A[registre_of(entry.registre)]
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "publication",
        f"Certification publiée {where} sous le numéro {entry.numero}.",
    )
    if entry.fin_validite is not None and LIMITE_DELIVRANCE not in (entry.content or {}):
        rules = process_rules(definition_for(session, instance.process_version_id))
        set_limite_delivrance(entry, limite_delivrance(moment_to_date(entry.fin_validite), rules))
    schedule_fin_validite(session, entry)
    outbox.entry_changed(session, EventType.FICHE_PUBLIEE, entry)
    if entry.debut_validite is not None:
        jobs.enqueue(
            session,
            notifications.for_publication(
                session,
                instance,
                entry.numero,
                entry.debut_validite,
                entry.fin_validite,
                "rs_publication" if entry.registre == Registre.RS else "publication",
                # Its attestation, queued by the publication step (`document`), comes next.
                generation.awaiting_entry(session, instance.id),
            ),
        )
    return f"Publiée {where} sous le numéro {entry.numero}."
