"""The avis d'experts in Chromium (issue 12, §1): the rapporteur invites an expert from the
dossier's page; the expert opens the link of their email (no account), reads the dossier,
gives an opinion with a PDF; the secretariat reads it and downloads the piece. axe finds no
serious or critical violation on the staff's section, the expert's page (its form, its error,
the opinion given) and the page of a link that opens nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from engine.studio.scenario import SAMPLE_PDF
from engine.wiring import make_worker
from tests.browser.test_accessibility import violations
from tests.browser.test_messagerie import sign_in_as
from tests.dossiers import walk_until
from tests.experts import ASKED, EXPERT, EXPERT_EMAIL, OPINION, emails_to, in_days, link_path
from tests.support import Browser


def test_an_expert_gives_an_opinion_with_a_pdf_read_by_the_secretariat(
    page: Page,
    live_server: str,
    app: Flask,
    browser_factory: Callable[[], Browser],
    session: Session,
    tmp_path: Path,
) -> None:
    instance_id = walk_until(browser_factory, "instruire_demande", organisation="cpne").dossier_id
    piece = tmp_path / "rapport-expert.pdf"
    piece.write_bytes(SAMPLE_PDF)

    # The rapporteur invites the expert from the dossier's page.
    sign_in_as(page, live_server, "rapporteur@example.org")
    page.goto(f"{live_server}/instruction/dossiers/{instance_id}")
    section = page.locator("#avis-experts")
    expect(section).to_contain_text("Aucun expert n'a été sollicité.")
    page.get_by_label("Nom de l'expert").fill(EXPERT)
    page.get_by_label("Adresse électronique de l'expert").fill("pas une adresse")
    page.get_by_label("Date limite de l'avis").fill(in_days(12).isoformat())
    page.get_by_label("Message à l'expert (facultatif)").fill(ASKED)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    expect(page.locator("#expert-courriel-erreur")).to_contain_text("n'est pas valide")
    expect(page.get_by_label("Nom de l'expert")).to_have_value(EXPERT)
    assert violations(page) == [], "the invitation form's error"
    page.get_by_label("Adresse électronique de l'expert").fill(EXPERT_EMAIL)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_url(f"**/instruction/dossiers/{instance_id}#avis-experts")
    expect(page.locator(".fr-alert--success")).to_contain_text(f"Invitation envoyée à {EXPERT}")
    expect(section).to_contain_text("Envoyée")
    assert violations(page) == [], "the staff's dossier page with an invitation"

    # The expert opens the link of their email, with no account.
    make_worker(app.extensions["db_sessions"]).run_until_idle()
    path = link_path(emails_to(session, EXPERT_EMAIL, "avis_expert_invitation")[0])
    page.context.clear_cookies()
    page.goto(f"{live_server}{path}")
    page.wait_for_url(f"{live_server}/avis-expert/")
    expect(page.locator("h1")).to_contain_text("Avis d'expert sur le dossier")
    expect(page.locator("main")).to_contain_text(ASKED)
    expect(page.locator("main")).to_contain_text("Ce qui a été déposé")
    assert violations(page) == [], "the expert's page"
    page.get_by_role("button", name="Rendre mon avis").click()
    page.wait_for_load_state()
    expect(page.locator("#avis-texte-erreur")).to_contain_text("Écrivez votre avis.")
    assert violations(page) == [], "the expert's form's error"
    page.get_by_label("Texte de votre avis").fill(OPINION)
    page.get_by_label("Pièces jointes (facultatif)").set_input_files(piece)
    page.get_by_role("button", name="Rendre mon avis").click()
    page.wait_for_url(f"{live_server}/avis-expert/")
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre avis a été transmis.")
    expect(page.locator("main")).to_contain_text(OPINION)
    expect(page.locator("main")).to_contain_text("rapport-expert.pdf")
    expect(page.get_by_role("button", name="Rendre mon avis")).to_have_count(0)
    assert violations(page) == [], "the expert's opinion given"
    page.goto(f"{live_server}/avis-expert/{'0' * 64}")
    expect(page.locator("main")).to_contain_text("Ce lien d'invitation n'est pas valide.")
    assert violations(page) == [], "a link that opens nothing"

    # The secretariat reads the opinion and downloads its piece.
    sign_in_as(page, live_server, "recevabilite@example.org")
    page.goto(f"{live_server}/instruction/dossiers/{instance_id}#avis-experts")
    section = page.locator("#avis-experts")
    expect(section).to_contain_text("Rendue")
    expect(section).to_contain_text(OPINION)
    with page.expect_download() as download:
        section.get_by_role("link", name="rapport-expert.pdf").click()
    assert Path(download.value.path()).read_bytes() == SAMPLE_PDF
    assert violations(page) == [], "the staff's dossier page with an opinion"
    page.screenshot(path=str(tmp_path / "avis-experts.png"), full_page=True)
