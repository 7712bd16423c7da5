"""*Nouvelle demande* as a submitter uses it: the page tags keep what was typed, a draft can be
deleted (confirmed, audited, by its organisation only), Back after the dépôt shows the dossier."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import AuditEvent, Document, Instance, User
from tests.dossiers import walk_until
from tests.support import Browser, location_id, pdf, text_of

NewBrowser = Callable[[], Browser]


def new_draft(browser: Browser) -> int:
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    assert created.status_code == 302
    return location_id(created, r"/demandes/(\d+)/saisie")


def logged_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def test_a_page_tag_saves_what_was_typed(browser_factory: NewBrowser) -> None:
    demandeur = logged_in(browser_factory, "demandeur@example.org")
    dossier = new_draft(demandeur)
    url = f"/demandes/{dossier}/saisie/identification"
    page = demandeur.get(url)
    assert 'value="page:descriptif"' in page.get_data(as_text=True)
    moved = demandeur.post(url, {"intitule": "Habilitation cordiste", "_action": "page:descriptif"})
    assert moved.status_code == 302
    assert moved.headers["Location"].endswith(f"/demandes/{dossier}/saisie/descriptif")
    back = demandeur.get(url)
    assert 'value="Habilitation cordiste"' in back.get_data(as_text=True)


def test_the_author_deletes_a_draft_after_confirming(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    demandeur = logged_in(browser_factory, "demandeur@example.org")
    dossier = new_draft(demandeur)
    url = f"/demandes/{dossier}/saisie/references"
    saved = demandeur.post(
        url,
        {
            "texte_reglementaire": "Arrêté du 1er juin 2026",
            "piece_texte_reglementaire": pdf("arrete.pdf"),
            "_action": "brouillon",
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    session.rollback()
    key = session.scalar(select(Document.storage_key).where(Document.instance_id == dossier))
    assert key is not None
    stored = list(upload_dir.rglob(key))
    assert stored, "the piece is on disk"

    assert "Supprimer le brouillon" in text_of(demandeur.get(url))
    confirm = demandeur.get(f"/demandes/{dossier}/supprimer")
    assert confirm.status_code == 200
    assert "Cette suppression est définitive." in text_of(confirm)

    # Another organisation's submitter may neither see nor delete it.
    other = logged_in(browser_factory, "demandeur2@example.org")
    assert other.get(f"/demandes/{dossier}/supprimer").status_code == 404
    refused = other.post(f"/demandes/{dossier}/supprimer", from_page="/demandes/")
    assert refused.status_code == 404
    session.rollback()
    assert session.get(Instance, dossier) is not None

    deleted = demandeur.post(f"/demandes/{dossier}/supprimer")
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith("/demandes/")
    assert "Le brouillon a été supprimé." in text_of(demandeur.get("/demandes/"))
    assert demandeur.get(f"/demandes/{dossier}").status_code == 404
    session.rollback()
    assert session.get(Instance, dossier) is None
    assert not any(path.exists() for path in stored)
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "brouillon_supprime")).one()
    author = session.scalar(select(User.id).where(User.email == "demandeur@example.org"))
    assert event.actor_id == author
    assert event.details is not None and event.details["dossier"] == dossier


def test_back_after_the_depot_shows_the_dossier(browser_factory: NewBrowser) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    demandeur = walker.demandeur
    for page in ("identification", "evaluation_certification"):
        back = demandeur.get(f"/demandes/{walker.dossier_id}/saisie/{page}")
        assert back.status_code == 302
        assert back.headers["Location"].endswith(f"/demandes/{walker.dossier_id}")
    shown = demandeur.get(f"/demandes/{walker.dossier_id}")
    assert walker.reference is not None and walker.reference in text_of(shown)
    # A filed request is no draft: it cannot be deleted.
    refused = demandeur.post(
        f"/demandes/{walker.dossier_id}/supprimer", from_page=f"/demandes/{walker.dossier_id}"
    )
    assert refused.status_code == 409
    assert "ne peut plus être supprimée" in text_of(refused)


def test_a_page_sent_again_after_the_depot_is_told_it_was_not_kept(
    browser_factory: NewBrowser, session: Session
) -> None:
    """A second click on « Déposer » (or an old tab) after the dépôt: the dossier's page, saying
    that what was just sent was not kept; the dossier is filed once."""
    walker = walk_until(browser_factory, "examiner_recevabilite")
    demandeur = walker.demandeur
    url = f"/demandes/{walker.dossier_id}/saisie/evaluation_certification"
    token = demandeur.csrf(f"/demandes/{walker.dossier_id}")
    again = demandeur.client.post(url, data={"_action": "deposer", "csrf_token": token})
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/demandes/{walker.dossier_id}")
    page = text_of(demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Cette demande a déjà été déposée : ce que vous venez d" in page
    session.rollback()
    depots = session.scalars(
        select(AuditEvent.id).where(
            AuditEvent.instance_id == walker.dossier_id, AuditEvent.kind == "depot"
        )
    ).all()
    assert len(depots) == 1
