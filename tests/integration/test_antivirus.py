"""The antivirus hook (issue 13, §3) against a real clamd (Debian's clamav-daemon, started by
the test with EICAR's signature): an infected upload is refused in French with what was typed
kept, its bytes quarantined out of every user's reach with an incident row and an audit event,
never attached to the dossier; a clamd that cannot be reached refuses uploads (fail closed) or
lets them through when the operator chose so (fail open). Skipped when clamd is not installed."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.antivirus import AntivirusUnavailable, ClamdScanner, parse_address
from engine.core.models import (
    AuditEvent,
    Document,
    InvitationExpert,
    Message,
    QuarantinedFile,
)
from engine.studio.scenario import SAMPLE_PDF
from tests.clamd import EICAR, SIGNATURE, Clamd, running_clamd
from tests.dossiers import walk_until
from tests.experts import EXPERT_EMAIL, OPINION, emails_to, invite, link_path
from tests.messagerie import QUESTION, write
from tests.support import Browser, location_id, pdf, text_of

NewBrowser = Callable[[], Browser]
TYPED = "Souder en toutes positions."
# A file that passes the check by content (a PDF by its first bytes) and carries EICAR.
INFECTED_PDF = SAMPLE_PDF.replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF")
UNAVAILABLE = "L'analyse antivirus est indisponible : le fichier « referentiel.pdf » n'a pas pu"


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    with running_clamd(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def quarantine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quarantaine")


def make_app(database_url: str, upload_dir: Path, **settings: Any) -> Flask:
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
            "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
            "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
            **settings,
        }
    )


@pytest.fixture(scope="module")
def app(
    db_engine: Any, database_url: str, upload_dir: Path, clamd: Clamd, quarantine_dir: Path
) -> Iterator[Flask]:
    """The application with clamd configured (fail closed, the default)."""
    application = make_app(
        database_url, upload_dir, CLAMD=clamd.socket_path, QUARANTINE_DIR=str(quarantine_dir)
    )
    yield application
    application.extensions["db_engine"].dispose()


def draft_page(browser: Browser) -> tuple[int, str]:
    browser.login("demandeur@example.org")
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    dossier_id = location_id(created, r"/demandes/(\d+)/saisie")
    return dossier_id, f"/demandes/{dossier_id}/saisie/descriptif"


def send(browser: Browser, url: str, name: str, content: bytes) -> tuple[int, str]:
    response = browser.post(
        url,
        {
            "competences_attestees": TYPED,
            "referentiel_competences": (io.BytesIO(content), name),
            "_action": "brouillon",
        },
        content_type="multipart/form-data",
    )
    return response.status_code, text_of(response)


def count(session: Session, model: Any) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model)) or 0


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_clamd_gives_its_verdicts_over_a_unix_socket_and_tcp(clamd: Clamd) -> None:
    large_clean = SAMPLE_PDF + b"%" + b"x" * 300_000  # several INSTREAM chunks
    for address in (clamd.socket_path, f"unix:{clamd.socket_path}", clamd.tcp_address):
        scanner = ClamdScanner(address, timeout=30)
        assert scanner.ping(), address
        verdict = scanner.scan(EICAR)
        assert verdict.infected and verdict.signature is not None, address
        assert verdict.signature.startswith(SIGNATURE), verdict
        assert not scanner.scan(SAMPLE_PDF).infected, address
        assert not scanner.scan(large_clean).infected, address
        found = scanner.scan(large_clean + EICAR)  # the signature in the last chunk
        assert found.signature is not None and found.signature.startswith(SIGNATURE)


def test_a_daemon_that_cannot_be_reached_gives_no_verdict(tmp_path: Path) -> None:
    with pytest.raises(AntivirusUnavailable):
        ClamdScanner(str(tmp_path / "absent.sock"), timeout=2).scan(EICAR)
    assert not ClamdScanner(str(tmp_path / "absent.sock"), timeout=2).ping()
    with pytest.raises(ValueError, match="INVENTAIRE_CLAMD"):
        parse_address("clamd-sans-port")
    assert parse_address("[::1]:3310")[1] == ("::1", 3310)


def test_an_infected_piece_is_refused_quarantined_and_the_typed_text_kept(
    browser_factory: NewBrowser, session: Session, upload_dir: Path, quarantine_dir: Path
) -> None:
    browser = browser_factory()
    dossier_id, url = draft_page(browser)
    documents, stored = count(session, Document), files_in(upload_dir)
    quarantined = files_in(quarantine_dir)

    status, page = send(browser, url, "referentiel.pdf", INFECTED_PDF)
    assert status == 422, page[:1500]
    assert (
        "Le fichier « referentiel.pdf » a été refusé : l'antivirus y a détecté un code "
        f"malveillant ({SIGNATURE}" in page
    )
    assert "n'est pas joint au dossier" in page
    assert TYPED in page  # what was typed is kept
    assert count(session, Document) == documents
    assert files_in(upload_dir) == stored
    # Its bytes are in the quarantine folder (outside the pieces' folder), readable by the
    # service's account alone; the incident names the dossier, the user and the signature.
    [kept] = [path for path in files_in(quarantine_dir) if path not in quarantined]
    assert kept.read_bytes() == INFECTED_PDF
    assert kept.stat().st_mode & 0o077 == 0
    session.rollback()
    incident = session.scalars(
        select(QuarantinedFile).where(QuarantinedFile.instance_id == dossier_id)
    ).one()
    assert incident.name == "referentiel.pdf" and incident.context == "piece"
    assert incident.storage_key == kept.name and incident.signature.startswith(SIGNATURE)
    assert incident.uploaded_by_id is not None
    [event] = session.scalars(
        select(AuditEvent).where(
            AuditEvent.instance_id == dossier_id, AuditEvent.kind == "quarantaine"
        )
    ).all()
    assert "referentiel.pdf" in event.summary and event.actor_id == incident.uploaded_by_id
    # The dossier's page lists no such piece and no such history line for its submitter.
    shown = text_of(browser.get(f"/demandes/{dossier_id}"))
    assert "referentiel.pdf" not in shown and "antivirus" not in shown

    # Any file is scanned, whatever its type; a clean one goes through.
    status, page = send(browser, url, "eicar.com", EICAR)
    assert status == 422 and "« eicar.com » a été refusé : l'antivirus" in page, page[:1500]
    status, page = send(browser, url, "referentiel.pdf", SAMPLE_PDF)
    assert status == 302, page[:1500]
    assert count(session, Document) == documents + 1
    assert count(session, QuarantinedFile) == 2


def test_infected_pieces_jointes_and_opinions_are_refused_with_the_text_kept(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande", organisation="cpne")
    dossier = walker.dossier_id
    infected = (io.BytesIO(INFECTED_PDF), "releve.pdf")
    refused = write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION, [infected])
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "« releve.pdf » a été refusé : l'antivirus y a détecté" in shown
    assert QUESTION in shown
    assert count(session, Message) == 0
    rapporteur = walker.as_user("rapporteur@example.org")
    infected = (io.BytesIO(INFECTED_PDF), "note.pdf")
    noted = write(rapporteur, f"/instruction/dossiers/{dossier}/annotations", "Note.", [infected])
    assert noted.status_code == 422 and "« note.pdf » a été refusé" in text_of(noted)
    # An expert's opinion with an infected piece: refused, the opinion's text given back.
    assert invite(rapporteur, dossier).status_code == 302
    walker.run_jobs()
    [email] = emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")
    expert = browser_factory()
    assert expert.get(link_path(email)).status_code == 303
    given = expert.post(
        "/avis-expert/",
        {"texte": OPINION, "pieces": [(io.BytesIO(INFECTED_PDF), "rapport.pdf")]},
        content_type="multipart/form-data",
    )
    assert given.status_code == 422
    assert "« rapport.pdf » a été refusé : l'antivirus" in text_of(given)
    assert OPINION in text_of(given)
    session.rollback()
    assert session.scalars(select(InvitationExpert.avis)).one() is None
    contexts = session.scalars(
        select(QuarantinedFile.context)
        .where(QuarantinedFile.instance_id == dossier)
        .order_by(QuarantinedFile.id)
    ).all()
    assert contexts == ["message", "annotation", "avis_expert"]
    # The staff read the incidents in the dossier's history; the submitter does not.
    history = text_of(rapporteur.get(f"/instruction/dossiers/{dossier}"))
    assert "mis en quarantaine : releve.pdf" in history
    assert "quarantaine" not in text_of(walker.demandeur.get(f"/demandes/{dossier}"))
    sent = write(walker.demandeur, f"/demandes/{dossier}/messages", QUESTION, [pdf("bon.pdf")])
    assert sent.status_code == 302


def test_when_clamd_cannot_answer_uploads_are_refused_unless_the_operator_fails_open(
    database_url: str, upload_dir: Path, session: Session, tmp_path: Path
) -> None:
    absent = str(tmp_path / "absent.sock")
    closed = make_app(database_url, upload_dir, CLAMD=absent, QUARANTINE_DIR=str(tmp_path))
    opened = make_app(
        database_url, upload_dir, CLAMD=absent, CLAMD_FAIL_OPEN=True, QUARANTINE_DIR=str(tmp_path)
    )
    try:
        browser = Browser(closed.test_client())
        _, url = draft_page(browser)
        documents = count(session, Document)
        status, page = send(browser, url, "referentiel.pdf", SAMPLE_PDF)
        assert status == 422, page[:1500]
        assert UNAVAILABLE in page and "Réessayez dans quelques minutes" in page
        assert TYPED in page
        assert count(session, Document) == documents

        browser = Browser(opened.test_client())
        _, url = draft_page(browser)
        status, page = send(browser, url, "referentiel.pdf", SAMPLE_PDF)
        assert status == 302, page[:1500]
        assert count(session, Document) == documents + 1
        assert count(session, QuarantinedFile) == 0
    finally:
        closed.extensions["db_engine"].dispose()
        opened.extensions["db_engine"].dispose()
