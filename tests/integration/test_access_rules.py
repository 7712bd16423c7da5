"""Each access rule, page against action: a menu entry, a link or a button is shown exactly when
the request behind it is allowed. For sets of users × objects, whatever a page offers succeeds
when posted (or opened), and whatever it does not offer is refused (403, 404 or 409) with
nothing changed."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.actor import Actor
from engine.core.models import Document, Instance, RegisterEntry, RegisterStatus, User, UserRole
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.people import accounts
from engine.studio.demo import ACCOUNTS
from engine.studio.scenario import SAMPLE_PDF
from engine.workflow import documents
from engine.workflow.actions.failures import record_failure
from tests.conftest import DOSSIER_TABLES, PROCESSES
from tests.dossiers import data_of, open_item, snapshot, user_id, walk_until
from tests.support import PASSWORD, Browser, text_of
from tests.walk import as_posted, form_of

NewBrowser = Callable[[], Browser]
REFUSED = (403, 404, 409)
# Every demo account, and the menu entries of the spaces with the page each opens.
EMAILS = [account.email for account in ACCOUNTS]
SPACES = {
    "Mes demandes": "/demandes/",
    "Bannette": "/instruction/",
    "Studio": "/studio/",
    "Administration": "/admin/",
}
ADMIN_LINKS = (
    "/admin/comptes",
    "/admin/organisations",
    "/admin/incidents",
    "/instruction/dossiers",
    "/admin/courriels",
    "/admin/courriels/modeles",
    "/admin/travaux",
    "/admin/webhooks",
)
TASK_ACTIONS = ("prendre", "liberer", "reattribuer", "formulaire")
MINISTRY_SIRET = "11000201100044"


def signed_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def menu_of(page: TestResponse) -> str:
    body = page.get_data(as_text=True)
    start = body.index('<nav class="fr-nav"')
    return body[start : body.index("</nav>", start)]


def assert_refused(response: TestResponse, what: str) -> None:
    assert response.status_code in REFUSED, (what, response.status_code, text_of(response)[:600])


# --- spaces: menus and the pages behind them ------------------------------------------------


def test_each_menu_entry_is_shown_exactly_to_those_its_page_opens_to(
    browser_factory: NewBrowser,
) -> None:
    for email in EMAILS:
        browser = signed_in(browser_factory, email)
        menu = menu_of(browser.get("/registre"))
        for label, url in SPACES.items():
            shown = f'href="{url}"' in menu
            opened = browser.get(url).status_code
            assert opened == (200 if shown else 403), (email, label, shown, opened)
        admin = browser.get("/admin/")
        if admin.status_code != 200:
            continue
        body = admin.get_data(as_text=True)
        for url in ADMIN_LINKS:
            shown = f'href="{url}"' in body
            opened = browser.get(url).status_code
            assert opened == (200 if shown else 403), (email, url, shown, opened)


# --- starting a request ------------------------------------------------------------------------


@pytest.fixture
def unattached(session: Session) -> Iterator[str]:
    """A submitter attached to no organisation (an account being set up), removed after."""
    user = accounts.create_user(
        session,
        email="sans-organisation@example.org",
        name="Sam Sansorga",
        password=PASSWORD,
        enforce_policy=False,
        roles=["demandeur"],
        organisation_id=None,
    )
    session.commit()
    yield user.email
    session.rollback()
    for table in DOSSIER_TABLES:
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.execute(delete(User).where(User.id == user.id))
    session.commit()


def test_nouvelle_demande_is_offered_exactly_to_whom_may_open_one(
    browser_factory: NewBrowser, session: Session, unattached: str
) -> None:
    for email, may in (("demandeur@example.org", True), (unattached, False)):
        browser = signed_in(browser_factory, email)
        page = browser.get("/demandes/")
        assert page.status_code == 200
        shown = 'action="/demandes/nouvelle"' in page.get_data(as_text=True)
        assert shown is may, email
        created = browser.post("/demandes/nouvelle", from_page="/demandes/")
        if shown:
            assert created.status_code == 302, text_of(created)[:600]
        else:
            assert_refused(created, email)
            assert "Seul un demandeur rattaché à une organisation" in text_of(page)
    session.rollback()
    assert session.scalar(select(Instance.id).where(Instance.organisation_id.is_(None))) is None


# --- work items: the task page against claim, release, reassign and the form ------------------


def offered(browser: Browser, item_id: int) -> tuple[int, set[str], str]:
    """What the task page offers (with the page's first person to hand the task to)."""
    url = f"/instruction/taches/{item_id}"
    page = browser.get(url)
    if page.status_code != 200:
        return page.status_code, set(), ""
    body = page.get_data(as_text=True)
    shown = {action for action in TASK_ACTIONS[:3] if f'action="{url}/{action}"' in body}
    if f'action="{url}"' in body:
        shown.add("formulaire")
    holder = re.search(
        r'<select class="fr-select" id="utilisateur"[^>]*>\s*<option value="(\d+)"', body
    )
    return 200, shown, holder.group(1) if holder else ""


def attempt(browser: Browser, item_id: int, action: str, task: str, target: str) -> TestResponse:
    url = f"/instruction/taches/{item_id}"
    if action == "formulaire":
        posted = as_posted(form_of(task), data_of("favorable", task))
        return browser.post(url, posted, from_page="/registre", content_type="multipart/form-data")
    data = {"utilisateur": target} if action == "reattribuer" else {}
    return browser.post(f"{url}/{action}", data, from_page="/registre")


def check_task_page(
    browsers: dict[str, Browser],
    session: Session,
    dossier_id: int | None,
    task: str,
    *,
    fallback_target: str,
) -> dict[str, set[str]]:
    """Each user, each action: the page read again, the action posted; allowed exactly when
    offered. The form is posted only when refused (a completion cannot be undone)."""
    item_id = open_item(session, dossier_id, task)
    seen: dict[str, set[str]] = {}
    for email, browser in browsers.items():
        for action in TASK_ACTIONS:
            status, shown, holder = offered(browser, item_id)
            seen.setdefault(email, set()).update(shown)
            if action == "formulaire" and action in shown:
                continue
            before = snapshot(session, dossier_id)
            response = attempt(browser, item_id, action, task, holder or fallback_target)
            if action in shown:
                assert response.status_code == 302, (email, action, text_of(response)[:800])
                assert "/connexion" not in response.headers["Location"]
            else:
                assert_refused(response, (email, action, status))
                assert snapshot(session, dossier_id) == before, (email, action)
    return seen


def test_the_task_page_offers_exactly_what_claim_release_reassign_and_the_form_allow(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    browsers = {email: signed_in(browser_factory, email) for email in EMAILS}
    secretariat = str(user_id(session, "recevabilite@example.org"))

    seen = check_task_page(
        browsers, session, walker.dossier_id, "examiner_recevabilite", fallback_target=secretariat
    )
    assert seen["recevabilite@example.org"] == set(TASK_ACTIONS)
    assert seen["admin@example.org"] == {"reattribuer"}  # an administrator hands it over only
    for email in ("rapporteur@example.org", "commission@example.org", "demandeur@example.org"):
        assert seen[email] == set(), email

    # The dossier blocked by a process error: neither taking it nor its form is offered, and
    # both are refused; it can still be handed over.
    item_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    assert browsers["recevabilite@example.org"].post(
        f"/instruction/taches/{item_id}/liberer", from_page="/registre"
    ).status_code in (302, 409)
    session.rollback()  # a fresh transaction: it writes after the app's commits
    reviewer = Actor.from_user(session.get(User, int(secretariat)))  # type: ignore[arg-type]
    assert walker.dossier_id is not None
    record_failure(session, reviewer, walker.dossier_id, "calcul : erreur", blocking=True)
    session.commit()
    seen = check_task_page(
        browsers, session, walker.dossier_id, "examiner_recevabilite", fallback_target=secretariat
    )
    assert seen["recevabilite@example.org"] == {"reattribuer"}
    page = text_of(browsers["recevabilite@example.org"].get(f"/instruction/taches/{item_id}"))
    assert "Ce dossier est bloqué par une erreur du processus" in page


def test_a_designated_task_is_offered_to_its_rapporteur_and_handed_over_by_the_secretariat(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande")
    first = ["rapporteur@example.org", "recevabilite@example.org", "rapporteur2@example.org"]
    order = first + [email for email in EMAILS if email not in first]
    browsers = {email: signed_in(browser_factory, email) for email in order}
    seen = check_task_page(
        browsers,
        session,
        walker.dossier_id,
        "instruire_demande",
        fallback_target=str(user_id(session, "rapporteur2@example.org")),
    )
    # The designated rapporteur takes it and gives it back; the secretariat, who may not
    # instruct it, hands it to the other rapporteur, who then holds it.
    assert seen["rapporteur@example.org"] >= {"prendre", "liberer", "formulaire"}
    assert seen["recevabilite@example.org"] == {"reattribuer"}
    assert seen["rapporteur2@example.org"] >= {"liberer", "formulaire"}
    assert seen["commission@example.org"] == set()


def test_a_dossiers_task_links_open_exactly_the_tasks_one_may_open(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    item_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    link = f'href="/instruction/taches/{item_id}"'
    for email in EMAILS:
        browser = signed_in(browser_factory, email)
        page = browser.get(f"/instruction/dossiers/{walker.dossier_id}")
        if page.status_code != 200:
            assert page.status_code == 403, email
            continue
        shown = link in page.get_data(as_text=True)
        opened = browser.get(f"/instruction/taches/{item_id}").status_code
        assert opened == (200 if shown else 403), (email, shown, opened)


# --- pieces ------------------------------------------------------------------------------------


def test_a_piece_is_listed_exactly_to_those_who_may_download_it(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    session.rollback()
    instance = session.get(Instance, walker.dossier_id)
    assert instance is not None
    secretariat = session.scalar(select(User).where(User.email == "recevabilite@example.org"))
    assert secretariat is not None
    internal = documents.store(
        session,
        documents.DocumentStore(upload_dir),
        Actor.from_user(secretariat),
        instance,
        None,
        "note-interne.pdf",
        io.BytesIO(SAMPLE_PDF),
    )
    session.commit()
    pieces = session.scalars(select(Document.id).where(Document.instance_id == instance.id)).all()
    assert internal.id in pieces and len(pieces) > 1

    pages = {
        "demandeur@example.org": f"/demandes/{instance.id}",
        "demandeur2@example.org": f"/demandes/{instance.id}",
        "recevabilite@example.org": f"/instruction/dossiers/{instance.id}",
        "commission@example.org": f"/instruction/dossiers/{instance.id}",
        "admin@example.org": f"/instruction/dossiers/{instance.id}",
    }
    listed_to: dict[str, set[int]] = {}
    for email, url in pages.items():
        browser = signed_in(browser_factory, email)
        page = browser.get(url)
        body = page.get_data(as_text=True) if page.status_code == 200 else ""
        listed_to[email] = {piece for piece in pieces if f'href="/pieces/{piece}"' in body}
        for piece in pieces:
            downloaded = browser.get(f"/pieces/{piece}")
            expected = 200 if piece in listed_to[email] else 404
            assert downloaded.status_code == expected, (email, piece, downloaded.status_code)
    # The CNCP's own note stays internal; the submitter reads what their organisation filed.
    assert listed_to["demandeur@example.org"] == set(pieces) - {internal.id}
    assert listed_to["demandeur2@example.org"] == set()
    assert listed_to["recevabilite@example.org"] == set(pieces)


# --- register entries: renewal and retrait ----------------------------------------------------


def fiche_offers(browser: Browser, numero: str) -> set[str]:
    body = browser.get(f"/registre/{numero}").get_data(as_text=True)
    return {
        action
        for action in ("renouvellement", "retrait")
        if f'action="/registre/{numero}/{action}"' in body
    }


def check_fiche(browsers: dict[str, Browser], numero: str, only: str | None = None) -> None:
    for email, browser in browsers.items():
        for action in ("renouvellement", "retrait"):
            if only is not None and action != only:
                continue
            shown = action in fiche_offers(browser, numero)
            # The visitor's token comes from the sign-in form (a fiche has no form for them).
            page = f"/registre/{numero}" if email else "/connexion"
            response = browser.post(f"/registre/{numero}/{action}", from_page=page)
            if shown:
                assert response.status_code == 302, (email, action, text_of(response)[:600])
            elif email == "":
                assert response.headers["Location"].startswith("/connexion"), action
            else:
                assert_refused(response, (email, action))


def test_the_fiche_offers_renewal_and_retrait_exactly_when_allowed(
    browser_factory: NewBrowser, session: Session
) -> None:
    entry = RegisterEntry(
        numero="INV09001",
        intitule="Conduite de grues à tour",
        categorie="C",
        certificateurs={"certificateurs": [{"nom": "Ministère", "siret": MINISTRY_SIRET}]},
        autorite_legitime="Ministère du Travail et de l'Emploi",
        content={},
        statut=RegisterStatus.ACTIVE,
    )
    session.add(entry)
    session.commit()
    browsers = {email: signed_in(browser_factory, email) for email in EMAILS}
    browsers[""] = browser_factory()  # a visitor

    assert fiche_offers(browsers["demandeur@example.org"], entry.numero) == {"renouvellement"}
    assert fiche_offers(browsers["commission@example.org"], entry.numero) == {"retrait"}
    check_fiche(browsers, entry.numero)

    # A retrait is in progress: it is no longer offered, and a second one is refused.
    assert fiche_offers(browsers["commission@example.org"], entry.numero) == set()
    check_fiche(browsers, entry.numero, only="retrait")

    # Retirée: nobody may renew it.
    session.rollback()
    retiree = session.get(RegisterEntry, entry.id)
    assert retiree is not None
    retiree.statut = RegisterStatus.RETIREE
    session.commit()
    assert fiche_offers(browsers["demandeur@example.org"], entry.numero) == set()
    check_fiche(browsers, entry.numero, only="renouvellement")


# --- the studio's links to dossiers -----------------------------------------------------------


def test_the_migration_page_links_a_dossier_exactly_when_its_page_opens(
    browser_factory: NewBrowser, session: Session, restore: None
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    files = read_folder(PROCESSES / "recensement")
    files["process.json"] = files["process.json"].replace(
        "Recensement à l'Inventaire", "Recensement à l'Inventaire (v. suivante)"
    )
    deploy(session, files)
    session.commit()
    owner = signed_in(browser_factory, "proprietaire@example.org")
    page = owner.get("/studio/recensement/migration")
    assert page.status_code == 200
    link = f'href="/instruction/dossiers/{walker.dossier_id}"'
    shown = link in page.get_data(as_text=True)
    opened = owner.get(f"/instruction/dossiers/{walker.dossier_id}").status_code
    assert opened == (200 if shown else 403)
    assert shown
