"""What typography the browser lays out: no word glued to a date because a flex container dropped
the spaces around it (the register's result cards), and no submit button touching the heading
that follows it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from engine.core.models import RegisterEntry
from tests.browser.conftest import login
from tests.browser.test_studio_editor import select_element
from tests.dossiers import data_of
from tests.recensed import recensed
from tests.support import Browser
from tests.typography import page_faults
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
REM = 16  # px: the gap a button keeps above the next heading

# Elements laid out as flex or grid boxes whose direct content mixes text and elements: each
# piece becomes a box of its own and the spaces between them disappear ("Décision du01/01/2024").
GLUED = """
() => [...document.querySelectorAll('main *')].filter((element) => {
  const display = getComputedStyle(element).display;
  if (!/flex|grid/.test(display)) return false;
  const texts = [...element.childNodes].filter(
    (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  const inline = [...element.children].filter(
    (child) => !/^(block|flex|grid|list-item|table|none)/.test(getComputedStyle(child).display)
      || child.tagName === 'TIME');
  return texts.length > 0 && inline.length > 0 && element.offsetParent !== null;
}).map((element) => element.outerHTML.slice(0, 200))
"""

# Each visible submit button and the first heading below it in the same column: the gap
# between them, in pixels.
GAPS = """
() => {
  const headings = [...document.querySelectorAll(
    'main h1, main h2, main h3, main h4, main h5, main h6')];
  return [...document.querySelectorAll('main button[type=submit], main input[type=submit]')]
    .filter((button) => button.offsetParent !== null)
    .map((button) => {
      const box = button.getBoundingClientRect();
      const next = headings.find((heading) => {
        const after = button.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING;
        if (!after) return false;
        const area = heading.getBoundingClientRect();
        return heading.offsetParent !== null && area.top >= box.top
          && area.left < box.right && area.right > box.left;
      });
      if (!next) return null;
      return { button: button.textContent.trim() || button.value, heading: next.textContent.trim(),
               gap: next.getBoundingClientRect().top - box.bottom };
    })
    .filter((pair) => pair !== null);
}
"""


def check_page(page: Page, url: str) -> list[str]:
    """What is wrong on the page at `url`: text glued in a flex box, a button on a heading."""
    page.goto(url)
    problems = [f"{url}: texte collé dans {html}" for html in page.evaluate(GLUED)]
    problems += [
        f"{url}: « {pair['button']} » à {pair['gap']:.0f} px du titre « {pair['heading']} »"
        for pair in page.evaluate(GAPS)
        if pair["gap"] < REM
    ]
    return problems


def test_a_result_card_reads_its_dates_with_their_spaces(
    page: Page, live_server: str, session: Session
) -> None:
    session.add(
        RegisterEntry(
            numero="INV00077",
            intitule="Conduite de nacelles élévatrices",
            categorie="B",
            certificateurs={"certificateurs": [{"nom": "Nacelles Formation"}]},
            autorite_legitime="CPNE du bâtiment",
            content={},
            date_decision=datetime(2024, 1, 1, 12, tzinfo=UTC),
            debut_validite=datetime(2024, 1, 1, 12, tzinfo=UTC),
            fin_validite=datetime(2029, 1, 1, 12, tzinfo=UTC),
        )
    )
    session.commit()
    page.goto(f"{live_server}/registre")
    card = page.locator(".fr-card", has_text="Conduite de nacelles élévatrices")
    # What the browser lays out, line breaks included (the flex box put each date on its own).
    read = card.locator(".fr-card__end").inner_text().strip()
    assert read == "Décision du 01/01/2024 · valable jusqu'au 01/01/2029", read
    assert check_page(page, f"{live_server}/registre") == []


def test_submit_buttons_keep_their_distance_from_the_next_heading(
    page: Page, live_server: str, browser_factory: NewBrowser
) -> None:
    walker, numero = recensed(browser_factory)
    problems = []
    for path in ("/", "/connexion", "/registre", "/registre?q=zzzz", f"/registre/{numero}"):
        problems += check_page(page, live_server + path)

    # A dossier waiting at the recevabilité: the submitter's and the reviewers' pages.
    waiting = Walker(browser_factory, "ministere")
    waiting.step("saisir_demande", data_of("favorable", "saisir_demande"))
    login(page, live_server, "demandeur@example.org")
    for path in (
        "/demandes/",
        f"/demandes/{waiting.dossier_id}",
        f"/demandes/{walker.dossier_id}",
    ):
        problems += check_page(page, live_server + path)
    created = waiting.demandeur.post(
        "/demandes/nouvelle", {"processus": "recensement"}, from_page="/demandes/"
    )
    draft = re.search(r"/demandes/(\d+)/saisie", created.headers["Location"])
    assert draft
    problems += check_page(page, f"{live_server}/demandes/{draft.group(1)}/saisie/identification")
    problems += check_page(page, f"{live_server}/demandes/{draft.group(1)}/supprimer")

    page.context.clear_cookies()
    login(page, live_server, "recevabilite@example.org")
    for path in (
        "/instruction/",
        "/instruction/dossiers",
        f"/instruction/dossiers/{walker.dossier_id}",
    ):
        problems += check_page(page, live_server + path)
    page.goto(f"{live_server}/instruction/")
    page.locator("a", has_text=waiting.reference or "").first.click()
    problems += check_page(page, page.url)
    page.get_by_role("button", name="Prendre en charge").click()
    problems += check_page(page, page.url)

    page.context.clear_cookies()
    login(page, live_server, "commission@example.org")
    problems += check_page(page, f"{live_server}/registre/{numero}")

    page.context.clear_cookies()
    login(page, live_server, "admin@example.org")
    for path in ("/admin/", "/admin/comptes/nouveau", "/admin/organisations", "/admin/courriels"):
        problems += check_page(page, live_server + path)
    assert problems == [], "\n".join(problems)


def test_the_studio_s_editors_write_french_typography(
    page: Page, live_server: str, restore: None
) -> None:
    """The editor's panel and messages, written by its script: read as the pages are."""
    login(page, live_server, "proprietaire@example.org")
    page.goto(f"{live_server}/studio/recensement/editeur")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")
    faults = page_faults(page.content(), "éditeur")
    for element in ("examiner_recevabilite", "gw_recevabilite", "delai_complements_echu"):
        select_element(page, element)
        faults += page_faults(page.content(), f"éditeur, {element}")
    page.click("#studio-validate")
    expect(page.locator("#studio-messages")).to_contain_text("déployable")
    faults += page_faults(page.content(), "éditeur, validation")
    page.goto(f"{live_server}/studio/recensement/decisions/prequalification.dmn")
    expect(page.locator("#studio-messages")).to_contain_text("Brouillon chargé.")
    faults += page_faults(page.content(), "table de décision")
    assert faults == [], "\n".join(map(str, faults))
