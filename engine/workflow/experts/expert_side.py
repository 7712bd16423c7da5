"""What an expert's link opens: their invitation, found by the token's hash and refused in
French once it is revoked or past its deadline; the dossier as its submitters filed it (their
forms and their pieces, read-only: no annotation, no message, no other expert's opinion, no
staff's piece); and the opinion they give, once, with its pieces jointes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit
from engine.core.actor import SYSTEM
from engine.core.clock import utcnow
from engine.core.errors import Conflict, InventaireError, NotFound
from engine.core.models import (
    AvisExpertPiece,
    Document,
    Instance,
    InstanceStatus,
    InvitationExpert,
    InvitationStatus,
    Organisation,
    Submission,
    User,
)
from engine.core.quarantine import UploadOrigin
from engine.core.typography import date_filter
from engine.definitions.definition import definition_for
from engine.emails import experts as emails
from engine.people.accounts import user_names
from engine.workflow import access
from engine.workflow.documents import DocumentStore
from engine.workflow.dossier_page import FiledForm, PieceView, field_titles
from engine.workflow.experts import tokens
from engine.workflow.messagerie import writing
from engine.workflow.messagerie.writing import Upload

INVALID_LINK = (
    "Ce lien d'invitation n'est pas valide. Vérifiez qu'il a été copié en entier depuis le "
    "courriel reçu."
)
# The opinion's text: a letter, not a file (longer texts go in a piece jointe).
MAX_OPINION = 20_000


class LinkRefused(InventaireError):
    """An expert's link that opens nothing (any more): 404 unknown, 410 revoked or expired."""

    http_status = 410


@dataclass(frozen=True)
class ExpertPage:
    """The dossier as the expert reads it, and their invitation."""

    invitation_id: int
    id: int
    reference: str
    title: str
    organisation: str
    process_title: str
    date_depot: datetime | None
    expert_name: str
    inviter: str
    message: str
    deadline: date
    status: str
    answered_at: datetime | None
    opinion: str | None
    opinion_pieces: list[str]
    filed: list[FiledForm]
    pieces: list[PieceView]


def invitation_by_token(session: Session, token: str) -> InvitationExpert:
    """The invitation this link's token opens; LinkRefused (French) when it opens nothing."""
    token = token.strip().lower()
    invitation = (
        session.scalar(
            select(InvitationExpert).where(InvitationExpert.token_hash == tokens.token_hash(token))
        )
        if tokens.looks_like_token(token)
        else None
    )
    if invitation is None:
        raise LinkRefused(INVALID_LINK, status=404)
    check_open(session, invitation)
    return invitation


def invitation_by_id(session: Session, invitation_id: object) -> InvitationExpert:
    """The invitation an expert's session holds, checked again at every request: a revocation
    or the deadline closes it at once."""
    invitation = (
        session.get(InvitationExpert, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None:
        raise LinkRefused(
            "Votre accès d'expert a pris fin. Ouvrez de nouveau le lien du courriel reçu.",
            status=404,
        )
    check_open(session, invitation)
    return invitation


def check_open(session: Session, invitation: InvitationExpert) -> None:
    """Revoked, past its deadline (even before the deadline's job ran) or waiting on a dossier
    closed since: LinkRefused. An invitation answered stays open, to say the opinion was
    given."""
    if invitation.status == InvitationStatus.REVOQUEE:
        raise LinkRefused(
            "Cette invitation a été révoquée par le service qui vous avait sollicité\u00a0: son "
            "lien ne donne plus accès au dossier."
        )
    expired = invitation.status == InvitationStatus.EXPIREE or (
        invitation.status == InvitationStatus.ENVOYEE and utcnow() >= invitation.expires_at
    )
    if expired:
        raise LinkRefused(
            f"Cette invitation a expiré le {date_filter(invitation.echeance)} au soir\u00a0: son "
            "lien ne donne plus accès au dossier. Si vous souhaitez encore donner votre avis, "
            "contactez le service qui vous a sollicité."
        )
    if invitation.status == InvitationStatus.ENVOYEE:
        instance = session.get(Instance, invitation.instance_id)
        if instance is None or instance.status == InstanceStatus.COMPLETED:
            raise LinkRefused(
                "Le dossier sur lequel votre avis était sollicité est clos\u00a0: ce lien n'y "
                "donne plus accès et aucun avis n'est plus attendu."
            )


def expert_page(session: Session, invitation: InvitationExpert) -> ExpertPage:
    instance = session.get(Instance, invitation.instance_id)
    if instance is None:
        raise LinkRefused(INVALID_LINK, status=404)
    definition = definition_for(session, instance.process_version_id)
    organisation = (
        session.get(Organisation, instance.organisation_id) if instance.organisation_id else None
    )
    members = _members(session, instance)
    submissions = [
        row
        for row in session.scalars(
            select(Submission).where(Submission.instance_id == instance.id).order_by(Submission.id)
        )
        if row.submitted_by_id in members
    ]
    names = user_names(
        session,
        {row.submitted_by_id for row in submissions} | {invitation.invited_by_id},
    )
    filed = [
        FiledForm(
            title=row.task_title,
            task_spec=row.task_spec,
            submitted_at=row.submitted_at,
            submitted_by=names.get(row.submitted_by_id or 0, "Demandeur"),
            form=definition.forms.get(row.form),
            data=dict(row.data),
        )
        for row in submissions
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
            labels.get(doc.field or ""),
        )
        for doc in readable_pieces(session, invitation, instance)
    ]
    answered = invitation.status == InvitationStatus.RENDUE
    opinion_pieces = (
        list(
            session.scalars(
                select(AvisExpertPiece.name)
                .where(AvisExpertPiece.invitation_id == invitation.id)
                .order_by(AvisExpertPiece.id)
            )
        )
        if answered
        else []
    )
    return ExpertPage(
        invitation_id=invitation.id,
        id=instance.id,
        reference=instance.reference or "",
        title=instance.title or "Demande sans intitulé",
        organisation=organisation.name if organisation else "—",
        process_title=definition.title,
        date_depot=instance.date_depot,
        expert_name=invitation.expert_name,
        inviter=names.get(invitation.invited_by_id or 0, ""),
        message=invitation.message,
        deadline=invitation.echeance,
        status=invitation.status,
        answered_at=invitation.ended_at if answered else None,
        opinion=invitation.avis if answered else None,
        opinion_pieces=opinion_pieces,
        # Once the opinion is given, the dossier is no longer open to its expert.
        filed=[] if answered else filed,
        pieces=[] if answered else pieces,
    )


def readable_pieces(
    session: Session, invitation: InvitationExpert, instance: Instance
) -> list[Document]:
    """The pieces its submitters filed (`access.expert_may_read_piece`), in their order."""
    rows = session.execute(
        select(Document, User.organisation_id)
        .outerjoin(User, User.id == Document.uploaded_by_id)
        .where(Document.instance_id == instance.id)
        .order_by(Document.id)
    )
    return [
        document
        for document, organisation_id in rows
        if access.expert_may_read_piece(
            invitation,
            instance,
            document.instance_id,
            organisation_id,
            generated=document.modele is not None,
        )
    ]


def piece_for_expert(
    session: Session, store: DocumentStore, invitation: InvitationExpert, document_id: int
) -> tuple[Document, Path]:
    """A piece of the invitation's dossier its expert may read; NotFound for any other (another
    dossier's, the staff's), as for a piece that does not exist."""
    if invitation.status != InvitationStatus.ENVOYEE:
        raise NotFound("Pièce introuvable.")
    document = session.get(Document, document_id)
    instance = session.get(Instance, invitation.instance_id)
    if document is None or instance is None:
        raise NotFound("Pièce introuvable.")
    uploader = session.get(User, document.uploaded_by_id) if document.uploaded_by_id else None
    if not access.expert_may_read_piece(
        invitation,
        instance,
        document.instance_id,
        uploader.organisation_id if uploader is not None else None,
        generated=document.modele is not None,
    ):
        raise NotFound("Pièce introuvable.")
    path = store.path_for(document.storage_key)
    if not path.is_file():
        raise NotFound("Le fichier de cette pièce est introuvable sur le serveur.")
    return document, path


def give_opinion(
    session: Session,
    store: DocumentStore,
    invitation_id: int,
    text: str,
    uploads: list[Upload],
) -> InvitationExpert:
    """The expert's opinion, once: FormInvalid (French, per field) when the text or a piece is
    not acceptable; Conflict when it was given meanwhile (another tab) or the link closed.
    One transaction: the opinion, its pieces, the audit event, the inviter's email; the
    reminder's and the deadline's jobs cancelled."""
    invitation = session.get(InvitationExpert, invitation_id)
    if invitation is None:
        raise LinkRefused(INVALID_LINK, status=404)
    check_open(session, invitation)
    if invitation.status != InvitationStatus.ENVOYEE:
        raise Conflict("Votre avis a déjà été rendu\u00a0: il ne peut plus être modifié.")
    origin = UploadOrigin("avis_expert", invitation.instance_id, None)
    body, checked = writing.checked_text(
        store, text, uploads, "Écrivez votre avis.", max_body=MAX_OPINION, origin=origin
    )
    now = utcnow()
    # Written only if it still waits: a second submission (two tabs) changes nothing.
    done = session.execute(
        update(InvitationExpert)
        .where(
            InvitationExpert.id == invitation.id,
            InvitationExpert.status == InvitationStatus.ENVOYEE,
            InvitationExpert.expires_at > now,
        )
        .values(status=InvitationStatus.RENDUE, avis=body, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise Conflict("Votre avis a déjà été rendu\u00a0: il ne peut plus être modifié.")
    session.refresh(invitation)
    for piece in checked:
        session.add(AvisExpertPiece(invitation_id=invitation.id, **writing.stored(store, piece)))
    for kind in (jobs.JobKind.AVIS_EXPERT_RAPPEL, jobs.JobKind.AVIS_EXPERT_ECHEANCE):
        for job in jobs.pending_for(session, invitation.instance_id, kind):
            if (job.payload or {}).get("invitation_id") == invitation.id:
                jobs.cancel(job, "avis rendu")
    audit.record(
        session,
        invitation.instance_id,
        SYSTEM,
        "avis_expert",
        writing.summary(f"Avis d'expert rendu par {invitation.expert_name}", checked),
        details={"invitation_id": invitation.id, "pieces": writing.traces(checked)},
    )
    instance = session.get(Instance, invitation.instance_id)
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    if instance is not None and inviter is not None and inviter.active:
        jobs.enqueue(
            session, [emails.to_inviter(session, instance, invitation, inviter, given=True)]
        )
    session.flush()
    return invitation


def _members(session: Session, instance: Instance) -> set[int | None]:
    if instance.organisation_id is None:
        return set()
    return set(
        session.scalars(select(User.id).where(User.organisation_id == instance.organisation_id))
    )
