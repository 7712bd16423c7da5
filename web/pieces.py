"""Downloading a piece: only for those who may see its dossier (404 otherwise)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_file
from werkzeug.wrappers import Response

from engine.workflow import documents
from web.auth import current_actor, login_required
from web.database import db
from web.formdata import document_store

bp = Blueprint("pieces", __name__, url_prefix="/pieces")


@bp.get("/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    document, path = documents.get_for_download(
        db(), document_store(), current_actor(), document_id
    )
    return send_piece(path, document.name, document.content_type, document.sha256)


def send_piece(path: Path, name: str, content_type: str, sha256: str) -> Response:
    """A stored file as a download under its name, never cached outside the user's browser."""
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=name,
        etag=sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
