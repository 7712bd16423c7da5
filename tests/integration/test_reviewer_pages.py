"""The reviewers' pages: the *Bannette* (never *Corbeille*, read as a recycle bin) and
*Réattribuer à* starting empty, so that nobody hands a task to the first name by mistake."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from engine.core.models import WorkItem
from tests.dossiers import open_item, user_id, walk_until
from tests.support import Browser, text_of

NewBrowser = Callable[[], Browser]


def test_the_agents_tray_is_the_bannette(browser_factory: NewBrowser, session: Session) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    agent = walker.as_user("recevabilite@example.org")
    home = agent.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/instruction/")
    tray = agent.get("/instruction/")
    assert re.search(r"<h1>Bannette</h1>", tray.get_data(as_text=True))
    assert re.search(r'class="fr-nav__link"[^>]*>Bannette<', tray.get_data(as_text=True))
    item = open_item(session, walker.dossier_id, "examiner_recevabilite")
    url = f"/instruction/taches/{item}"
    taken = agent.post(f"{url}/prendre", from_page=url)
    assert taken.status_code == 302
    page = agent.get(url)
    assert "elle n'apparaît plus que dans votre bannette" in text_of(page)
    for shown in (tray, page):
        assert "corbeille" not in text_of(shown).lower()


def test_reattribuer_starts_empty(browser_factory: NewBrowser, session: Session) -> None:
    walker = walk_until(browser_factory, "instruire_demande")
    item_id = open_item(session, walker.dossier_id, "instruire_demande")
    secretariat = walker.as_user("recevabilite@example.org")
    url = f"/instruction/taches/{item_id}"
    body = secretariat.get(url).get_data(as_text=True)
    select = re.search(
        r'<select class="fr-select" id="utilisateur"[^>]*>(.*?)</select>', body, re.S
    )
    assert select, "Réattribuer à is offered"
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert options[0] == ("", " selected", "Choisir une personne")
    assert not any(selected for _value, selected, _name in options[1:])

    # Sent as it is shown: nobody is chosen, the task stays with the rapporteur.
    sent = secretariat.post(f"{url}/reattribuer", {"utilisateur": ""}, from_page=url)
    assert sent.status_code == 302
    assert "Choisissez une personne de la liste." in text_of(secretariat.get(url))
    session.rollback()
    item = session.get(WorkItem, item_id)
    assert item is not None
    assert item.claimed_by_id == user_id(session, "rapporteur@example.org")
