"""A dossier's messagerie through the API: its messages as the reader's side sees them on the
dossier's page (engine.workflow.messagerie.reading), and a message sent with the pages' rule
(`access.refusal_to_write_message`, in engine.workflow.messagerie.writing).

A message is JSON («\u00a0texte\u00a0») or multipart («\u00a0texte\u00a0» and up to five
«\u00a0pieces\u00a0»), its pieces jointes checked by the same DocumentStore, antivirus
included, as the pages'. Reading through the API does not mark the messages read: that mark is
the page's."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from pydantic import ValidationError
from spectree import Response as Responses
from sqlalchemy import select

from engine.core.actor import Actor
from engine.core.errors import FormInvalid, NotFound
from engine.core.models import Instance, MessagePiece
from engine.workflow import access
from engine.workflow.messagerie import reading, writing
from web.api.access import caller, require
from web.api.base import bp, spec
from web.api.idempotency import Outcome, once
from web.api.models import ProblemOut
from web.api.more_models import (
    MessageList,
    MessageOut,
    MessagePieceOut,
    MessageSent,
    NewMessage,
)
from web.api.problems import Problem
from web.api.wording import french_errors
from web.database import db
from web.formdata import document_store

TAG = "Messages"


def may_use_messagerie(actor: Actor) -> bool:
    """The pages' spaces that show a messagerie: the submitters' and the instruction's."""
    return access.may_use_submitter_space(actor) or access.may_read_all_dossiers(actor)


def _may_write_on(actor: Actor, view_args: dict[str, Any]) -> None:
    """The messagerie's rule on this dossier, before the body is read (as its page)."""
    instance = db().get(Instance, view_args["dossier_id"])
    if instance is None:
        raise NotFound("Dossier introuvable.")
    access.enforce(db(), access.refusal_to_write_message(actor, instance))


def _json(model: Any, status: int = 200) -> Response:
    return current_app.response_class(
        model.model_dump_json(by_alias=True), status=status, mimetype="application/json"
    )


@bp.get("/dossiers/<int:dossier_id>/messages")
@spec.validate(resp=Responses(HTTP_200=MessageList, HTTP_404=ProblemOut), tags=[TAG])
@require("lecture", may_use_messagerie)
def message_list(dossier_id: int) -> Response:
    """Les messages d'un dossier, du plus ancien au plus récent, tels que votre côté
    (demandeur ou instruction) les lit sur la page du dossier."""
    view = reading.messagerie_view(db(), caller(), dossier_id)
    return _json(
        MessageList(
            elements=[
                MessageOut(
                    id=message.id,
                    envoye_le=message.at,
                    auteur=message.author,
                    cote=message.side,
                    cote_libelle=message.side_label,
                    texte=message.body,
                    pieces=[
                        MessagePieceOut(
                            id=piece.id, nom=piece.name, taille=piece.size, type=piece.content_type
                        )
                        for piece in message.pieces
                    ],
                    de_moi=message.mine,
                    non_lu=message.unread,
                )
                for message in view.messages
            ],
            peut_ecrire=view.may_write,
            refus=view.refusal,
        )
    )


def _body() -> tuple[str, list[writing.Upload]]:
    if request.mimetype != "multipart/form-data":
        return NewMessage.model_validate(request.get_json(silent=True) or {}).texte, []
    try:
        text = NewMessage.model_validate({"texte": request.form.get("texte", "")}).texte
    except ValidationError as error:
        raise Problem(
            422, "La requête contient une erreur.", erreurs=french_errors(error)
        ) from error
    uploads = [
        writing.Upload(upload.filename, upload.stream)
        for upload in request.files.getlist(writing.PIECES_FIELD)
        if upload and upload.filename
    ]
    return text, uploads


@bp.post("/dossiers/<int:dossier_id>/messages")
@spec.validate(
    json=NewMessage,
    resp=Responses(
        HTTP_201=MessageSent, HTTP_403=ProblemOut, HTTP_404=ProblemOut, HTTP_422=ProblemOut
    ),
    tags=[TAG],
)
@require("ecriture", may_use_messagerie, on=_may_write_on)
def send(dossier_id: int) -> Response:
    """Envoyer un message sur un dossier, de votre côté (accepte
    «\u00a0Idempotency-Key\u00a0»)\u202f; en multipart, «\u00a0texte\u00a0» et jusqu'à
    cinq fichiers «\u00a0pieces\u00a0»."""
    text, uploads = _body()
    actor = caller()

    def run() -> Outcome:
        try:
            message = writing.send_message(db(), document_store(), actor, dossier_id, text, uploads)
        except FormInvalid as error:
            db().rollback()
            raise Problem(422, error.user_message, erreurs=error.errors) from error
        pieces = db().scalars(select(MessagePiece).where(MessagePiece.message_id == message.id))
        sent = MessageSent(
            id=message.id,
            envoye_le=message.created_at,
            cote=message.side,
            texte=message.body,
            pieces=[
                MessagePieceOut(id=p.id, nom=p.name, taille=p.size, type=p.content_type)
                for p in pieces
            ],
        )
        return 201, sent.model_dump(mode="json"), None

    return once(run)
