"""Documents generated when their cause happens.

The element of a diagram that produces a document names its template (BPMN property
`document`, comma-separated like `courriel`). Completing it writes, in the same transaction, a
`document` job carrying what the document says as of then (the emails' values, the addressee);
the worker renders it (`document_job`: template → HTML → PDF), keeps it among the dossier's
pieces and records its SHA-256 in the history. A template that needs the register entry
(`exige: inscription`, the attestations) waits for the publication, which runs before it.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import SYSTEM
from engine.core.clock import utcnow
from engine.core.errors import Conflict, NotFound, PermanentFailure
from engine.core.models import Document, Instance, Job, JobStatus, Organisation, RegisterEntry
from engine.core.pieces import DocumentStore
from engine.core.settings import EngineSettings, settings_of
from engine.core.typography import date_filter
from engine.definitions.definition import definition_for
from engine.emails import notifications
from engine.jobs import JobKind, NewJob
from engine.jobs.api import JobRun
from engine.pdf import rendering
from engine.pdf.templates import DocumentTemplate, render, template, templates

PROPERTY = "document"
CONTENT_TYPE = "application/pdf"


def for_completed_tasks(
    session: Session, instance: Instance, workflow: Any, tasks: list[Any]
) -> tuple[list[NewJob], list[str]]:
    """The document jobs the elements just completed ask for, and what each document is (the
    emails of the same action announce them). None for the engine alone, given nowhere to keep
    them (a scenario replayed in a throwaway database, a script): like its emails' links."""
    jobs: list[NewJob] = []
    labels: list[str] = []
    if settings_of(session).pieces_dir is None:
        return jobs, labels
    # What the action left in the process data (a script after the decision may complete it:
    # the date limite de délivrance of a retrait).
    latest = dict(tasks[-1].data) if tasks else {}
    for task in tasks:
        names = notifications.listed_property(task, PROPERTY)
        if not names:
            continue
        values = cause_values(session, instance, workflow, dict(task.data) | latest)
        for name in names:
            found = templates().get(name)
            libelle = found.libelle if found is not None else name
            if found is not None:  # an unknown one is an incident, never announced
                labels.append(libelle)
            reference = instance.reference or f"dossier {instance.id}"
            jobs.append(
                NewJob(
                    kind=JobKind.DOCUMENT,
                    key=f"document:{instance.id}:{task.id}:{name}",
                    label=f"{libelle} ({reference})",
                    instance_id=instance.id,
                    payload={"modele": name, "libelle": libelle, "valeurs": values},
                )
            )
    return jobs, list(dict.fromkeys(labels))


def cause_values(
    session: Session, instance: Instance, workflow: Any, data: dict[str, Any]
) -> dict[str, Any]:
    """What a document says, as of its cause: the values its emails have, the procedure and
    the addressee (the dossier's organisation and contact address)."""
    definition = definition_for(session, instance.process_version_id)
    organisation = (
        session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
    )
    values = notifications.dossier_context(session, instance, workflow, data) | {
        "procedure": definition.title,
        "destinataire_organisation": organisation.name if organisation else "",
        "destinataire_courriel": instance.contact_courriel or "",
    }
    return _plain(values)


def awaiting_entry(session: Session, instance_id: int) -> list[str]:
    """What the documents of a dossier waiting for its register entry are (its attestation,
    announced by the publication's email)."""
    rows = session.scalars(
        select(Job.payload).where(
            Job.instance_id == instance_id,
            Job.kind == str(JobKind.DOCUMENT),
            Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
        )
    )
    labels = []
    for payload in rows:
        found = templates().get(str((payload or {}).get("modele", "")))
        if found is not None and "inscription" in found.needs:
            labels.append(found.libelle)
    return list(dict.fromkeys(labels))


# --- the job ----------------------------------------------------------------------------------


def document_job(run: JobRun) -> str:
    """Render the document, keep it among the dossier's pieces, record its SHA-256."""
    session = run.session
    payload = run.job.payload or {}
    instance = session.get(Instance, run.job.instance_id) if run.job.instance_id else None
    if instance is None:
        raise NotFound("Dossier introuvable\u00a0: aucun document à produire.")
    found = template(str(payload.get("modele", "")))
    settings = settings_of(session)
    values = dict(payload.get("valeurs") or {})
    document = generate(session, settings, instance, found, values)
    return f"{found.libelle}\u00a0: {document.name} (SHA-256 {document.sha256})."


def generate(
    session: Session,
    settings: EngineSettings,
    instance: Instance,
    found: DocumentTemplate,
    values: dict[str, Any],
) -> Document:
    """The document made from its template and values, kept (file, piece, history)."""
    if settings.pieces_dir is None:
        raise PermanentFailure(
            "Aucun dossier où garder les pièces n'est configuré (INVENTAIRE_UPLOAD_DIR)\u00a0: "
            "le document ne peut pas être produit."
        )
    filename, content = produce(session, settings, instance, found, values)
    return keep(session, DocumentStore(settings.pieces_dir), instance, found, filename, content)


def produce(
    session: Session,
    settings: EngineSettings,
    instance: Instance,
    found: DocumentTemplate,
    values: dict[str, Any],
) -> tuple[str, bytes]:
    """The document's file name and PDF bytes (nothing kept): what the bench times."""
    context = values | {"officiel": settings.official}
    if "inscription" in found.needs:
        context |= entry_values(session, instance, settings)
    filename, html = render(found, context)
    return filename, rendering.pdf_from_html(html, settings)


def keep(
    session: Session,
    store: DocumentStore,
    instance: Instance,
    found: DocumentTemplate,
    filename: str,
    content: bytes,
) -> Document:
    """A generated document among the dossier's pieces, its SHA-256 in the history."""
    sha256 = hashlib.sha256(content).hexdigest()
    document = Document(
        instance_id=instance.id,
        name=filename,
        content_type=CONTENT_TYPE,
        size=len(content),
        sha256=sha256,
        storage_key=store.write(content),
        field=None,
        uploaded_by_id=None,
        uploaded_at=utcnow(),
        modele=found.name,
        libelle=found.libelle,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        instance.id,
        SYSTEM,
        "document",
        f"{found.libelle} ajouté aux pièces\u00a0: {filename} (empreinte SHA-256 {sha256}).",
        details={"document_id": document.id, "modele": found.name, "sha256": sha256},
    )
    return document


def entry_values(session: Session, instance: Instance, settings: EngineSettings) -> dict[str, Any]:
    """The register entry an attestation certifies; Conflict (retried) while it is not yet
    published."""
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.instance_id == instance.id))
    if entry is None:
        raise Conflict(
            "La certification de ce dossier n'est pas encore publiée au registre\u00a0: "
            "son attestation sera produite après la publication."
        )
    listed = (entry.certificateurs or {}).get("certificateurs", [])
    return {
        "numero": entry.numero,
        "registre": entry.registre,
        "intitule_inscription": entry.intitule,
        "categorie": entry.categorie,
        "autorite_legitime": entry.autorite_legitime or "",
        "certificateurs": [
            {"nom": str(item.get("nom") or ""), "siret": str(item.get("siret") or "")}
            for item in listed
            if isinstance(item, dict)
        ],
        "date_decision": date_filter(entry.date_decision),
        "debut_validite": date_filter(entry.debut_validite),
        "fin_validite": date_filter(entry.fin_validite),
        "lien_registre": settings.links.fiche(entry.numero),
    }


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (the job's payload): dates as text, anything else as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
