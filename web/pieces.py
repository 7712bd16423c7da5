"""A dossier's pieces: each downloaded, a PDF opened in the browser (sandboxed), all of them as
one ZIP, and the dossier's summary as a PDF made on demand; only for those who may see them
(404 otherwise)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, send_file

from engine.core.clock import utcnow
from engine.core.settings import EngineSettings
from engine.pdf import rendering
from engine.workflow import documents, pieces_zip
from engine.workflow.dossier_page import dossier_view
from web.auth import current_actor, login_required
from web.database import db
from web.formdata import document_store
from web.security_headers import sandbox_piece

bp = Blueprint("pieces", __name__, url_prefix="/pieces")
PDF = "application/pdf"


@bp.get("/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    document, path = documents.get_for_download(
        db(), document_store(), current_actor(), document_id
    )
    return send_piece(path, document.name, document.content_type, document.sha256)


@bp.get("/<int:document_id>/ouvrir")
@login_required
def view(document_id: int) -> Response:
    """A PDF shown by the browser (`inline`, in the sandbox web/security_headers.py puts it
    in); any other type is downloaded."""
    document, path = documents.get_for_download(
        db(), document_store(), current_actor(), document_id
    )
    return send_piece(path, document.name, document.content_type, document.sha256, inline=True)


@bp.get("/dossiers/<int:instance_id>.zip")
@login_required
def archive(instance_id: int) -> Response:
    """Every piece the reader may download, in one ZIP written as it is sent."""
    instance, entries = pieces_zip.archive_entries(
        db(), document_store(), current_actor(), instance_id
    )
    name = pieces_zip.archive_name(instance)
    response = Response(pieces_zip.stream_zip(entries), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    return sandbox_piece(response)


@bp.get("/dossiers/<int:instance_id>/recapitulatif.pdf")
@login_required
def summary(instance_id: int) -> Response:
    """The dossier as its reader sees it (what was filed, the pieces, the history), as a PDF
    made now: nothing is kept."""
    actor = current_actor()
    dossier = dossier_view(db(), actor, instance_id)
    settings: EngineSettings = current_app.extensions["engine_settings"]
    html = render_template("documents/recapitulatif.html", dossier=dossier, produced_at=utcnow())
    content = rendering.pdf_from_html(html, settings)
    response = Response(content, mimetype=PDF)
    name = f"recapitulatif-{pieces_zip.safe_name(dossier.reference or f'dossier-{dossier.id}')}.pdf"
    response.headers.set("Content-Disposition", "inline", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    return sandbox_piece(response, inline_pdf=True)


def send_piece(
    path: Path, name: str, content_type: str, sha256: str, *, inline: bool = False
) -> Response:
    """A stored file under its name, downloaded, never cached outside the user's browser, in
    a sandbox (web/security_headers.py). `inline` asks for it to be shown by the browser: only
    a PDF ever is (the one type the browser's own viewer draws without running anything of the
    file); any other type is an attachment, whatever it claims to be."""
    shown = inline and content_type == PDF
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=not shown,
        download_name=name,
        etag=sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return sandbox_piece(response, inline_pdf=shown)
