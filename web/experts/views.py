"""Inviting an expert and revoking an invitation from a dossier's page (staff), and downloading
the opinions' pieces jointes. A refused invitation comes back on the page with what was typed
(422)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import FormInvalid
from engine.core.typography import date_filter
from engine.workflow import access
from engine.workflow.experts import invitations, pieces
from web.auth import allowed, current_actor, login_required
from web.database import db
from web.experts.page import InvitationDraft
from web.formdata import document_store
from web.instruction.views import dossier_page
from web.pieces import send_piece

bp = Blueprint("experts", __name__)


@bp.post("/instruction/dossiers/<int:instance_id>/avis-experts")
@allowed(access.may_read_all_dossiers)
def inviter(instance_id: int) -> Response | tuple[str, int]:
    form = invitations.InvitationForm(
        name=request.form.get(invitations.NAME_FIELD, "")[:1000],
        email=request.form.get(invitations.EMAIL_FIELD, "")[:1000],
        deadline=request.form.get(invitations.DEADLINE_FIELD, "")[:100],
        message=request.form.get(invitations.MESSAGE_FIELD, "")[:100_000],
    )
    try:
        invitation = invitations.invite(db(), current_actor(), instance_id, form)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        values = {
            invitations.NAME_FIELD: form.name,
            invitations.EMAIL_FIELD: form.email,
            invitations.DEADLINE_FIELD: form.deadline,
            invitations.MESSAGE_FIELD: form.message,
        }
        return dossier_page(
            instance_id, status=422, invitation=InvitationDraft(values, error.errors)
        )
    flash(
        f"Invitation envoyée à {invitation.expert_name} ({invitation.expert_email})\u00a0: son "
        f"lien s'ouvre jusqu'au {date_filter(invitation.echeance)} inclus.",
        "success",
    )
    return redirect(url_for("instruction.dossier", instance_id=instance_id, _anchor="avis-experts"))


@bp.post("/instruction/dossiers/<int:instance_id>/avis-experts/<int:invitation_id>/revoquer")
@allowed(access.may_read_all_dossiers)
def revoquer(instance_id: int, invitation_id: int) -> Response:
    invitations.revoke(db(), current_actor(), instance_id, invitation_id)
    db().commit()
    flash("Invitation révoquée\u00a0: son lien ne donne plus accès au dossier.", "success")
    return redirect(url_for("instruction.dossier", instance_id=instance_id, _anchor="avis-experts"))


@bp.get("/pieces-jointes/avis-experts/<int:piece_id>")
@login_required
def piece_avis(piece_id: int) -> Response:
    piece, path = pieces.opinion_piece(db(), document_store(), current_actor(), piece_id)
    return send_piece(path, piece.name, piece.content_type, piece.sha256)
