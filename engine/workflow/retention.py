"""Personal data kept no longer than needed (RGPD art. 5.1.e; docs/operations.md).

A daily sweep (`JobKind.RETENTION`) tells the owner of each abandoned draft (never filed,
untouched for the retention time less the notice) that it will be deleted, and schedules one
job per dossier to delete the drafts whose notice has run out (`RETENTION_BROUILLON`) and to
anonymise the closed dossiers past their time (`RETENTION_ANONYMISATION`): each in its own
transaction, each audited.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from engine.core import audit, audit_chain
from engine.core.actor import SYSTEM
from engine.core.clock import PARIS, add_months, utcnow
from engine.core.models import Document, Instance, InstanceStatus, Submission, User, WorkItem
from engine.core.pieces import DocumentStore
from engine.core.settings import settings_of
from engine.core.typography import date_filter
from engine.emails.templates import render, template
from engine.jobs.api import JobRun
from engine.jobs.queue import JobKind, NewJob, enqueue

NOTICE_TEMPLATE = "brouillon_suppression"
# At most this many dossiers a sweep handles of each kind (the next day's takes the rest).
SWEEP_BATCH = 500
# The form fields that hold a person's data: the contact's, and any name, email or telephone
# of a person (`certificateur_1_nom`, an organisation's name, is not one).
PERSONAL_FIELD = re.compile(r"^contact_|(^|_)(prenom|courriel|email|telephone|portable)(_|$)")
ANONYMISED = "(anonymisé)"


def personal(field: str) -> bool:
    return PERSONAL_FIELD.search(field) is not None


def schedule(session: Session, after: datetime | None = None) -> None:
    """The next sweep, at 3:00 Paris time (tomorrow's when `after` is given), one row a day."""
    local = (after or utcnow()).astimezone(PARIS)
    day = local.date() + timedelta(days=1 if after is not None else 0)
    run_at = datetime(day.year, day.month, day.day, 3, tzinfo=PARIS)
    enqueue(
        session,
        [
            NewJob(
                kind=JobKind.RETENTION,
                key=f"retention:{day.isoformat()}",
                label="Durées de conservation des données personnelles",
                instance_id=None,
                payload={},
                run_at=max(run_at, utcnow()) if after is None else run_at,
            )
        ],
    )


def sweep_job(run: JobRun) -> str:
    session = run.session
    now = utcnow()
    warned = _send_notices(session, now)
    deletions = _schedule_deletions(session, now)
    anonymisations = _schedule_anonymisations(session, now)
    schedule(session, after=now)
    return (
        f"{warned} avis de suppression, {deletions} brouillon(s) à supprimer, "
        f"{anonymisations} dossier(s) à anonymiser."
    )


def _deadline(session: Session, now: datetime) -> datetime:
    """A draft untouched since before this is past its retention time."""
    return add_months(now, -settings_of(session).retention_draft_months)


def _notice(session: Session) -> timedelta:
    return timedelta(days=settings_of(session).retention_notice_days)


def _abandoned() -> Any:
    return (Instance.date_depot.is_(None), Instance.status == InstanceStatus.RUNNING)


def _send_notices(session: Session, now: datetime) -> int:
    limit = _deadline(session, now) + _notice(session)
    drafts = session.scalars(
        select(Instance)
        .where(
            *_abandoned(),
            Instance.updated_at < limit,
            or_(
                Instance.retention_avis_at.is_(None),
                Instance.retention_avis_at < Instance.updated_at,
            ),
        )
        .order_by(Instance.id)
        .limit(SWEEP_BATCH)
    ).all()
    for draft in drafts:
        deletion = now + _notice(session)
        owner = session.get(User, draft.created_by_id) if draft.created_by_id else None
        told = owner is not None and owner.active and owner.deleted_at is None
        if owner is not None and told:
            enqueue(session, [_notice_email(session, draft, owner, deletion)])
        draft.retention_avis_at = now
        audit.record(
            session,
            draft.id,
            SYSTEM,
            "conservation_avis",
            f"Brouillon abandonné\u00a0: suppression prévue le {date_filter(deletion)}"
            + (f", annoncée à {owner.name}." if owner is not None and told else "."),
            details={"suppression": deletion.isoformat()},
        )
    return len(drafts)


def _notice_email(session: Session, draft: Instance, owner: User, deletion: datetime) -> NewJob:
    months = settings_of(session).retention_draft_months
    context = {
        "destinataire": owner.name,
        "intitule": draft.title or "Demande sans intitulé",
        "derniere_modification": date_filter(draft.updated_at),
        "date_suppression": date_filter(deletion),
        "duree": f"{months}\u00a0mois",
        "lien": settings_of(session).links.dossier(draft.id, submitter=True),
    }
    subject, body = render(template(NOTICE_TEMPLATE), context)
    return NewJob(
        kind=JobKind.EMAIL,
        key=f"courriel:brouillon:{draft.id}:{NOTICE_TEMPLATE}:{draft.updated_at.isoformat()}",
        label=f"Courriel «\u00a0{subject}\u00a0» à {owner.email}",
        instance_id=None,  # the email outlives the draft it announces the deletion of
        payload={"template": NOTICE_TEMPLATE, "to": owner.email, "subject": subject, "body": body},
    )


def _schedule_deletions(session: Session, now: datetime) -> int:
    rows = session.execute(
        select(Instance.id, Instance.retention_avis_at)
        .where(
            *_abandoned(),
            Instance.updated_at < _deadline(session, now),
            Instance.retention_avis_at >= Instance.updated_at,
            Instance.retention_avis_at <= now - _notice(session),
        )
        .order_by(Instance.id)
        .limit(SWEEP_BATCH)
    ).all()
    enqueue(
        session,
        [
            NewJob(
                kind=JobKind.RETENTION_BROUILLON,
                key=f"retention-brouillon:{dossier}:{noticed.isoformat() if noticed else ''}",
                label=f"Suppression du brouillon n° {dossier} (durée de conservation)",
                instance_id=None,
                payload={"dossier": dossier},
            )
            for dossier, noticed in rows
        ],
    )
    return len(rows)


def _schedule_anonymisations(session: Session, now: datetime) -> int:
    months = settings_of(session).retention_closed_months
    ids = session.scalars(
        select(Instance.id)
        .where(
            Instance.status == InstanceStatus.COMPLETED,
            Instance.anonymised_at.is_(None),
            Instance.updated_at < add_months(now, -months),
        )
        .order_by(Instance.id)
        .limit(SWEEP_BATCH)
    ).all()
    enqueue(
        session,
        [
            NewJob(
                kind=JobKind.RETENTION_ANONYMISATION,
                key=f"retention-anonymisation:{dossier}",
                label=f"Anonymisation du dossier n° {dossier} (durée de conservation)",
                instance_id=dossier,
                payload={"dossier": dossier},
            )
            for dossier in ids
        ],
    )
    return len(ids)


def delete_draft_job(run: JobRun) -> str:
    """One abandoned draft deleted with its pieces, unless it was filed or touched since."""
    session = run.session
    dossier = int(run.job.payload["dossier"]) if run.job.payload else 0
    draft = session.get(Instance, dossier)
    now = utcnow()
    if (
        draft is None
        or draft.date_depot is not None
        or draft.status != InstanceStatus.RUNNING
        or draft.retention_avis_at is None
        or draft.retention_avis_at < draft.updated_at
        or draft.updated_at >= _deadline(session, now)
    ):
        return "Rien à supprimer (brouillon déposé, modifié depuis l'avis ou déjà supprimé)."
    keys = list(
        session.scalars(select(Document.storage_key).where(Document.instance_id == dossier))
    )
    audit.record(
        session,
        None,
        SYSTEM,
        "brouillon_supprime",
        f"Brouillon supprimé au terme de sa durée de conservation\u00a0: "
        f"«\u00a0{draft.title or 'Demande sans intitulé'}\u00a0».",
        details={"dossier": dossier, "organisation": draft.organisation_id},
    )
    audit_chain.detach_draft(session, dossier)
    session.execute(delete(Instance).where(Instance.id == dossier))
    session.expunge(draft)
    run.commit_intent()  # the rows gone first; a file left by a crash here holds nothing reachable
    pieces_dir = settings_of(session).pieces_dir
    if pieces_dir is not None:
        store = DocumentStore(pieces_dir, settings_of(session).max_piece_bytes)
        for key in keys:
            store.path_for(key).unlink(missing_ok=True)
    return f"Brouillon n° {dossier} supprimé ({len(keys)} pièce(s))."


def anonymise_job(run: JobRun) -> str:
    """A closed dossier's personal data replaced by « (anonymisé) »: the contact's name, email
    and telephone in what was filed and in drafts, and its contact address. The register's
    published entry is another table, left as it is."""
    session = run.session
    dossier = int(run.job.payload["dossier"]) if run.job.payload else 0
    instance = session.get(Instance, dossier)
    if instance is None or instance.anonymised_at is not None:
        return "Rien à anonymiser."
    fields = anonymise_dossier(session, instance)
    audit.record(
        session,
        dossier,
        SYSTEM,
        "anonymisation",
        "Données personnelles du dossier anonymisées au terme de leur durée de conservation "
        "(RGPD, art. 5.1.e).",
        details={"champs": sorted(fields)},
    )
    return f"Dossier n° {dossier} anonymisé ({len(fields)} champ(s))."


def anonymise_dossier(session: Session, instance: Instance) -> set[str]:
    fields: set[str] = set()
    for submission in session.scalars(
        select(Submission).where(Submission.instance_id == instance.id)
    ):
        submission.data = _anonymised(submission.data, fields)
    for item in session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id)):
        if item.draft:
            item.draft = _anonymised(item.draft, fields)
    if instance.contact_courriel:
        instance.contact_courriel = None
        fields.add("contact_courriel")
    instance.anonymised_at = utcnow()
    return fields


def _anonymised(data: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    result = dict(data)
    for key, value in data.items():
        if personal(key) and value not in (None, ""):
            result[key] = ANONYMISED
            fields.add(key)
    return result
