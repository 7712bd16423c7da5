"""What a reader sees of a dossier's messagerie and annotations privées on its page, and the
unread counts of the lists (*Mes demandes*, *Bannette*, *Tous les dossiers*). Plain dataclasses;
who may read what is asked of engine/workflow/access.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.core.actor import Actor
from engine.core.models import (
    Annotation,
    AnnotationPiece,
    Message,
    MessagePiece,
    MessageRead,
    MessageSide,
    User,
)
from engine.definitions.definition import definition_for
from engine.definitions.rules import process_service
from engine.people.accounts import user_names
from engine.workflow import access
from engine.workflow.lookup import get_instance

# Who wrote a message, when its author's name is not shown: the submitter's side, or the
# agents', named by the dossier's authority (process.json "service" "autorite": « CNCP »,
# « France compétences »), as in the dossier's history.
SUBMITTER_SIDE_LABEL = "Demandeur"


@dataclass(frozen=True)
class PieceJointeView:
    id: int
    name: str
    size: int
    content_type: str


@dataclass(frozen=True)
class MessageView:
    id: int
    at: datetime
    author: str
    side: str
    side_label: str
    body: str
    pieces: list[PieceJointeView]
    # Written by the reader; of the other side and new since the reader last opened the page.
    mine: bool
    unread: bool


@dataclass(frozen=True)
class AnnotationView:
    id: int
    at: datetime
    author: str
    body: str
    pieces: list[PieceJointeView]


@dataclass(frozen=True)
class Messagerie:
    instance_id: int
    messages: list[MessageView]
    unread: int
    # The newest message shown: the read mark the page sets.
    last_id: int | None
    may_write: bool
    # Why the form is not offered (a draft, a closed dossier…), when it is not.
    refusal: str | None
    # None: the reader may not read annotations (a submitter); they are not even mentioned.
    annotations: list[AnnotationView] | None
    may_annotate: bool


def messagerie_view(session: Session, actor: Actor, instance_id: int) -> Messagerie:
    """The dossier's messages for the actor (NotFound when they may not see the dossier), and
    its annotations privées when they may read them."""
    instance = get_instance(session, actor, instance_id)
    staff = access.may_read_staff_side(actor)
    mine = MessageSide.INSTRUCTION if staff else MessageSide.DEMANDEUR
    rows = list(
        session.scalars(
            select(Message).where(Message.instance_id == instance.id).order_by(Message.id)
        )
    )
    read_up_to = _read_mark(session, actor, instance.id)
    notes: list[Annotation] = []
    if access.may_read_annotations(actor, instance):
        notes = list(
            session.scalars(
                select(Annotation)
                .where(Annotation.instance_id == instance.id)
                .order_by(Annotation.id)
            )
        )
    authors = {row.author_id for row in rows} | {note.author_id for note in notes}
    names = user_names(session, authors)
    # A submitter reads the names of their organisation's people, the authority's (« CNCP »,
    # « France compétences ») for the agents.
    colleagues = _same_organisation(session, authors, instance.organisation_id)
    authority = process_service(definition_for(session, instance.process_version_id)).autorite
    side_labels = {MessageSide.DEMANDEUR: SUBMITTER_SIDE_LABEL, MessageSide.INSTRUCTION: authority}

    def author(row: Message) -> str:
        if row.side == MessageSide.INSTRUCTION and not staff:
            return authority
        if row.author_id is None or (not staff and row.author_id not in colleagues):
            return side_labels[MessageSide(row.side)]
        return names.get(row.author_id, side_labels[MessageSide(row.side)])

    message_pieces = _pieces(session, MessagePiece, MessagePiece.message_id, [r.id for r in rows])
    messages = [
        MessageView(
            id=row.id,
            at=row.created_at,
            author=author(row),
            side=row.side,
            side_label=side_labels[MessageSide(row.side)],
            body=row.body,
            pieces=message_pieces.get(row.id, []),
            mine=row.author_id is not None and row.author_id == actor.id,
            unread=row.side != mine and row.id > read_up_to,
        )
        for row in rows
    ]
    refusal = access.refusal_to_write_message(actor, instance)
    annotations = None
    if access.may_read_annotations(actor, instance):
        note_pieces = _pieces(
            session, AnnotationPiece, AnnotationPiece.annotation_id, [n.id for n in notes]
        )
        annotations = [
            AnnotationView(
                id=note.id,
                at=note.created_at,
                author=names.get(note.author_id or 0, authority),
                body=note.body,
                pieces=note_pieces.get(note.id, []),
            )
            for note in notes
        ]
    return Messagerie(
        instance_id=instance.id,
        messages=messages,
        unread=sum(1 for message in messages if message.unread),
        last_id=rows[-1].id if rows else None,
        may_write=refusal is None,
        refusal=refusal.message if refusal is not None else None,
        annotations=annotations,
        may_annotate=access.may_write_annotation(actor, instance),
    )


def unread_counts(session: Session, actor: Actor, instance_ids: Iterable[int]) -> dict[int, int]:
    """{dossier id: messages of the other side the actor has not read} for the dossiers of a
    list's page (those with none are left out). One query, by the index of `message`."""
    ids = sorted(set(instance_ids))
    if not ids or actor.id is None:
        return {}
    other = MessageSide.DEMANDEUR if access.may_read_staff_side(actor) else MessageSide.INSTRUCTION
    rows = session.execute(
        select(Message.instance_id, func.count())
        .outerjoin(
            MessageRead,
            and_(MessageRead.instance_id == Message.instance_id, MessageRead.user_id == actor.id),
        )
        .where(
            Message.instance_id.in_(ids),
            Message.side == other,
            or_(MessageRead.last_message_id.is_(None), Message.id > MessageRead.last_message_id),
        )
        .group_by(Message.instance_id)
    )
    return {instance_id: count for instance_id, count in rows}


def _read_mark(session: Session, actor: Actor, instance_id: int) -> int:
    if actor.id is None:
        return 0
    found = session.scalar(
        select(MessageRead.last_message_id).where(
            MessageRead.instance_id == instance_id, MessageRead.user_id == actor.id
        )
    )
    return found or 0


def _same_organisation(
    session: Session, user_ids: set[int | None], organisation_id: int | None
) -> set[int]:
    wanted = [user_id for user_id in user_ids if user_id is not None]
    if not wanted or organisation_id is None:
        return set()
    return set(
        session.scalars(
            select(User.id).where(User.id.in_(wanted), User.organisation_id == organisation_id)
        )
    )


def _pieces(
    session: Session,
    model: type[MessagePiece] | type[AnnotationPiece],
    parent: InstrumentedAttribute[int],
    parent_ids: list[int],
) -> dict[int, list[PieceJointeView]]:
    """{message or annotation id: its pieces jointes, in the order they were given}."""
    found: dict[int, list[PieceJointeView]] = {}
    if not parent_ids:
        return found
    rows = session.execute(
        select(parent, model.id, model.name, model.size, model.content_type)
        .where(parent.in_(parent_ids))
        .order_by(model.id)
    )
    for parent_id, piece_id, name, size, content_type in rows:
        found.setdefault(parent_id, []).append(PieceJointeView(piece_id, name, size, content_type))
    return found
