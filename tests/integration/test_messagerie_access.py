"""The messagerie's and the annotations' access rules (engine/workflow/access.py), page against
action, for every demo account: the dossier page offers a form exactly when posting it succeeds,
shows a piece jointe's link exactly when it downloads; whatever is not offered is refused (403,
404 or 409) with nothing written."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import Annotation, Message
from engine.studio.demo import ACCOUNTS
from tests.dossiers import walk_until
from tests.integration.test_access_rules import REFUSED
from tests.messagerie import write
from tests.support import Browser, pdf, text_of

NewBrowser = Callable[[], Browser]
EMAILS = [account.email for account in ACCOUNTS]
SUBMITTER = "demandeur@example.org"  # the Ministère's, whose dossier it is
AGENTS = {
    "recevabilite@example.org",
    "rapporteur@example.org",
    "rapporteur2@example.org",
    "commission@example.org",
    "directeur.general@example.org",
}
STAFF = AGENTS | {"admin@example.org", "proprietaire@example.org"}


def count(session: Session, model: type[Message] | type[Annotation], dossier: int | None) -> int:
    session.rollback()
    return session.scalar(select(func.count()).where(model.instance_id == dossier)) or 0


def test_the_forms_and_the_pieces_jointes_are_offered_exactly_to_whom_they_open(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    dossier = walker.dossier_id
    # A message and an annotation, each with a piece, to be read (or not) by everyone.
    assert (
        write(walker.demandeur, f"/demandes/{dossier}/messages", "Bonjour.", [pdf()]).status_code
        == 302
    )
    secretariat = walker.as_user("recevabilite@example.org")
    noted = write(
        secretariat, f"/instruction/dossiers/{dossier}/annotations", "Note.", [pdf("note.pdf")]
    )
    assert noted.status_code == 302
    staff_page = secretariat.get(f"/instruction/dossiers/{dossier}").get_data(as_text=True)
    message_piece = re.search(r'href="(/pieces-jointes/messages/\d+)"', staff_page)
    note_piece = re.search(r'href="(/pieces-jointes/annotations/\d+)"', staff_page)
    assert message_piece and note_piece

    writers: dict[str, set[str]] = {}
    for email in EMAILS:
        browser = walker.as_user(email)
        pages = [f"/demandes/{dossier}", f"/instruction/dossiers/{dossier}"]
        bodies = [browser.get(url) for url in pages]
        opened = [
            response.get_data(as_text=True) for response in bodies if response.status_code == 200
        ]
        assert len(opened) == (1 if email in STAFF | {SUBMITTER} else 0), email
        body = opened[0] if opened else ""
        for kind, model in (("messages", Message), ("annotations", Annotation)):
            targets = [f"{url}/{kind}" for url in pages]
            shown = [url for url in targets if f'action="{url}"' in body]
            before = count(session, model, dossier)
            for url in targets:
                response = write(browser, url, f"Essai de {email}.")
                if url in shown:
                    assert response.status_code == 302, (email, url, text_of(response)[:500])
                    writers.setdefault(email, set()).add(kind)
                else:
                    assert response.status_code in REFUSED, (email, url, response.status_code)
            assert count(session, model, dossier) == before + len(shown), (email, kind)
        for link, kind in (
            (message_piece.group(1), "messages"),
            (note_piece.group(1), "annotations"),
        ):
            status = browser.get(link).status_code
            assert status == (200 if f'href="{link}"' in body else 404), (email, link, status)
            if kind == "annotations":
                assert (status == 200) is (email in STAFF), email
            else:
                assert (status == 200) is (email in STAFF | {SUBMITTER}), email

    # Who writes what: the dossier's submitter a message; the agents both; the administrators
    # and process owners read only; the other organisations' submitters nothing.
    assert writers == {SUBMITTER: {"messages"}} | {
        email: {"messages", "annotations"} for email in AGENTS
    }
