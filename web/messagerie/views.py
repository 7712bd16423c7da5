"""Writing a message or an annotation privée from a dossier's page, and downloading their pieces
jointes. A refused form comes back on the dossier's page with what was typed (422)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import FormInvalid
from engine.workflow import access
from engine.workflow.messagerie import pieces, writing
from web.auth import allowed, current_actor, login_required
from web.database import db
from web.demandes.views import dossier_page as submitter_page
from web.formdata import document_store
from web.instruction.views import dossier_page as staff_page
from web.messagerie.page import Draft
from web.pieces import send_piece

bp = Blueprint("messagerie", __name__)
PageRenderer = Callable[[int, Draft | None, int], tuple[str, int]]
# The forms whose text may be long: read whole up to LONG_TEXT_BYTES (a million characters,
# accented), so that a text far too long is refused with its French message and given back,
# not cut by a 413; past that, the 413 page.
LONG_TEXTS = frozenset(
    {
        "messagerie.message_demandeur",
        "messagerie.message_instruction",
        "messagerie.annotation",
        "avis_expert.avis",
        "experts.inviter",
    }
)
LONG_TEXT_BYTES = 4 * 1024 * 1024


def init_app(app: Flask) -> None:
    # Before every other hook: the CSRF check reads the form first.
    app.before_request_funcs.setdefault(None, []).insert(0, _room_for_long_texts)
    # The pieces jointes' size limit, as the forms' hints say it (« 20 Mo »).
    app.jinja_env.globals["max_piece_size"] = app.extensions["engine_settings"].max_piece_size


def _room_for_long_texts() -> None:
    if request.endpoint in LONG_TEXTS:
        request.max_form_memory_size = LONG_TEXT_BYTES


@bp.post("/demandes/<int:instance_id>/messages")
@allowed(access.may_use_submitter_space)
def message_demandeur(instance_id: int) -> Response | tuple[str, int]:
    return _write(instance_id, "message", submitter_page, "demandes.dossier")


@bp.post("/instruction/dossiers/<int:instance_id>/messages")
@allowed(access.may_read_all_dossiers)
def message_instruction(instance_id: int) -> Response | tuple[str, int]:
    return _write(instance_id, "message", staff_page, "instruction.dossier")


@bp.post("/instruction/dossiers/<int:instance_id>/annotations")
@allowed(access.may_read_all_dossiers)
def annotation(instance_id: int) -> Response | tuple[str, int]:
    return _write(instance_id, "annotation", staff_page, "instruction.dossier")


def _write(
    instance_id: int, kind: str, page: PageRenderer, endpoint: str
) -> Response | tuple[str, int]:
    actor = current_actor()
    text = request.form.get(writing.BODY_FIELD, "")
    uploads = [
        writing.Upload(upload.filename, upload.stream)
        for upload in request.files.getlist(writing.PIECES_FIELD)
        if upload and upload.filename
    ]
    action = writing.send_message if kind == "message" else writing.write_annotation
    try:
        action(db(), document_store(), actor, instance_id, text, uploads)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return page(instance_id, Draft(kind, text, error.errors), 422)
    if kind == "annotation":
        flash("Annotation privée ajoutée.", "success")
        anchor = "annotations"
    else:
        flash("Message envoyé.", "success")
        anchor = "messagerie"
    return redirect(url_for(endpoint, instance_id=instance_id, _anchor=anchor))


@bp.get("/pieces-jointes/messages/<int:piece_id>")
@login_required
def piece_message(piece_id: int) -> Response:
    piece, path = pieces.message_piece(db(), document_store(), current_actor(), piece_id)
    return send_piece(path, piece.name, piece.content_type, piece.sha256)


@bp.get("/pieces-jointes/annotations/<int:piece_id>")
@login_required
def piece_annotation(piece_id: int) -> Response:
    piece, path = pieces.annotation_piece(db(), document_store(), current_actor(), piece_id)
    return send_piece(path, piece.name, piece.content_type, piece.sha256)
