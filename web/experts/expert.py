"""The expert's pages, opened by their invitation's link: no account, no sign-in.

The link (`/avis-expert/<token>`) is checked once, then exchanged for a scope held by the
browser's session (the invitation's id in the signed session cookie) and the browser is sent
on to `/avis-expert/`, so that the token leaves the address bar, the history and any Referer.
That scope opens the invitation's dossier alone (its filed side, read-only), its pieces and the
opinion form; it is checked again at every request (a revocation or the deadline closes it at
once) and gives no other right: the expert is not a user (`g.actor` stays None), every other
page asks to sign in."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from engine.core.errors import Conflict, FormInvalid
from engine.core.models import InvitationExpert
from engine.workflow.experts import expert_side
from engine.workflow.experts.expert_side import LinkRefused
from engine.workflow.messagerie import writing
from web.database import db
from web.formdata import document_store
from web.pieces import send_piece

bp = Blueprint("avis_expert", __name__, url_prefix="/avis-expert")
# The session's key that holds the invitation an expert's browser opened.
SCOPE = "avis_expert"


def _refused(error: LinkRefused) -> Response:
    status = int(error.context.get("status", 410))
    response = make_response(
        render_template("experts/refus.html", message=error.user_message), status
    )
    return _private(response)


def _private(response: Response) -> Response:
    # Never kept by a cache: the page is one person's. (The site's Referrer-Policy,
    # same-origin, already keeps any address of ours from other sites.)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _invitation() -> InvitationExpert:
    return expert_side.invitation_by_id(db(), session.get(SCOPE))


@bp.get("/<string:token>")
def lien(token: str) -> Response:
    """The invitation's link: checked, then exchanged for the session's scope."""
    try:
        invitation = expert_side.invitation_by_token(db(), token[:200])
    except LinkRefused as error:
        return _refused(error)
    session[SCOPE] = invitation.id
    return _private(redirect(url_for("avis_expert.page"), 303))


@bp.get("/")
def page() -> Response:
    try:
        invitation = _invitation()
    except LinkRefused as error:
        return _refused(error)
    return _render(invitation, "", {}, 200)


def _render(
    invitation: InvitationExpert, text: str, errors: dict[str, str], status: int
) -> Response:
    view = expert_side.expert_page(db(), invitation)
    response = make_response(
        render_template("experts/expert.html", dossier=view, text=text, errors=errors), status
    )
    return _private(response)


@bp.post("/")
def avis() -> Response:
    try:
        invitation = _invitation()
    except LinkRefused as error:
        return _refused(error)
    text = request.form.get(writing.BODY_FIELD, "")
    uploads = [
        writing.Upload(upload.filename, upload.stream)
        for upload in request.files.getlist(writing.PIECES_FIELD)
        if upload and upload.filename
    ]
    try:
        expert_side.give_opinion(db(), document_store(), invitation.id, text, uploads)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return _render(_invitation(), text, error.errors, 422)
    except Conflict as error:
        db().rollback()
        flash(error.user_message, "info")
        return _private(redirect(url_for("avis_expert.page"), 303))
    except LinkRefused as error:
        db().rollback()
        return _refused(error)
    flash("Votre avis a été transmis. Merci pour votre contribution.", "success")
    return _private(redirect(url_for("avis_expert.page"), 303))


@bp.get("/pieces/<int:document_id>")
def piece(document_id: int) -> Response:
    try:
        invitation = _invitation()
    except LinkRefused as error:
        return _refused(error)
    document, path = expert_side.piece_for_expert(db(), document_store(), invitation, document_id)
    return send_piece(path, document.name, document.content_type, document.sha256)
