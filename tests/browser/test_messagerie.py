"""The messagerie in Chromium (issue 12, §1): the submitter sends a message with a PDF, the
secretariat finds it unread in its lists, reads it, downloads the piece and answers; the
submitter reads the answer. axe finds no serious or critical violation on the pages with the
messagerie, its errors and the annotations privées."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from engine.studio.scenario import SAMPLE_PDF
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.dossiers import walk_until
from tests.support import Browser

QUESTION = "Bonjour, voici le référentiel signé par le président du jury."
ANSWER = "Merci, nous l'avons bien reçu et l'examinons."


def sign_in_as(page: Page, server: str, email: str) -> None:
    page.context.clear_cookies()
    login(page, server, email)


def test_a_message_with_a_pdf_answered_by_the_secretariat(
    page: Page, live_server: str, browser_factory: Callable[[], Browser], tmp_path: Path
) -> None:
    instance_id = walk_until(browser_factory, "examiner_recevabilite").dossier_id
    piece = tmp_path / "referentiel-signe.pdf"
    piece.write_bytes(SAMPLE_PDF)

    # The submitter writes from their dossier's page, with a PDF.
    sign_in_as(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/demandes/{instance_id}")
    messagerie = page.locator("#messagerie")
    expect(messagerie).to_contain_text("Aucun message pour le moment.")
    page.get_by_label("Votre message").fill(QUESTION)
    page.get_by_label("Pièces jointes (facultatif)").set_input_files(piece)
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_url(f"**/demandes/{instance_id}#messagerie")
    expect(page.locator(".fr-alert--success")).to_contain_text("Message envoyé.")
    expect(messagerie).to_contain_text(QUESTION)
    expect(messagerie).to_contain_text("referentiel-signe.pdf")
    assert violations(page) == [], "the submitter's dossier page with a message"

    # A message refused (empty) says why, next to its field.
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_load_state()
    expect(page.locator("#message-texte-erreur")).to_contain_text("Écrivez votre message.")
    assert violations(page) == [], "the messagerie's error"

    # The secretariat: the Bannette counts it unread and leads to it.
    sign_in_as(page, live_server, "recevabilite@example.org")
    page.goto(f"{live_server}/instruction/")
    assert violations(page) == [], "Bannette with an unread message"
    page.get_by_role("link", name="1 message non lu").click()
    page.wait_for_url(f"**/instruction/dossiers/{instance_id}#messagerie")
    messagerie = page.locator("#messagerie")
    expect(messagerie).to_contain_text(QUESTION)
    expect(messagerie).to_contain_text("Claire Demandeur (demandeur)")
    expect(messagerie.get_by_text("Nouveau", exact=True)).to_be_visible()
    with page.expect_download() as download:
        messagerie.get_by_role("link", name="referentiel-signe.pdf").click()
    assert Path(download.value.path()).read_bytes() == SAMPLE_PDF

    page.get_by_label("Message au demandeur").fill(ANSWER)
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_url(f"**/instruction/dossiers/{instance_id}#messagerie")
    expect(messagerie).to_contain_text(ANSWER)
    page.get_by_label("Nouvelle annotation privée").fill(
        "Référentiel conforme à la version déposée."
    )
    page.get_by_role("button", name="Ajouter l'annotation").click()
    page.wait_for_url(f"**/instruction/dossiers/{instance_id}#annotations")
    expect(page.locator("#annotations")).to_contain_text("Référentiel conforme")
    assert violations(page) == [], "the staff's dossier page with messages and an annotation"
    page.goto(f"{live_server}/instruction/dossiers")
    expect(page.get_by_text("message non lu")).to_have_count(0)

    # The submitter reads the answer, from « CNCP », and never the annotation.
    sign_in_as(page, live_server, "demandeur@example.org")
    page.goto(f"{live_server}/demandes/")
    expect(page.get_by_text("1 message non lu")).to_be_visible()
    assert violations(page) == [], "Mes demandes with an unread message"
    page.locator("tr", has_text="1 message non lu").get_by_role("link").click()
    page.wait_for_url(f"**/demandes/{instance_id}")
    messagerie = page.locator("#messagerie")
    expect(messagerie).to_contain_text(ANSWER)
    expect(messagerie).to_contain_text("CNCP")
    expect(messagerie).not_to_contain_text("Rose Recevabilité")
    expect(page.locator("main")).not_to_contain_text("Référentiel conforme")
    expect(page.locator("#annotations")).to_have_count(0)
