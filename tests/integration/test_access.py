"""Who sees and does what: the lane's actors alone act on a work item, the designated rapporteur
alone instructs, a submitter sees only their organisation's dossiers and pieces. Everything else
is 403 or 404, never data."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Document, Instance, WorkItem
from tests.dossiers import data_of, open_item, snapshot, user_id, walk_until
from tests.support import Browser, location_id, text_of
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
TITLE = data_of("favorable", "saisir_demande")["intitule"]
CONTEXT = data_of("favorable", "saisir_demande")["objectifs_contexte"]
DRAFT_TITLE = "Conduite d'engins de chantier – brouillon confidentiel"


def logged_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def assert_hidden(response_body: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in response_body, f"« {secret} » leaked"


def complements_asked(new_browser: NewBrowser) -> Walker:
    """A ministry's dossier, déposé, back to its submitter for complements."""
    walker = walk_until(new_browser, "examiner_recevabilite")
    walker.step(
        "examiner_recevabilite",
        data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite"),
    )
    return walker


def test_a_submitter_sees_nothing_of_another_organisations_dossiers(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = complements_asked(browser_factory)
    owner = walker.demandeur
    dossier_id = walker.dossier_id
    reference = walker.reference
    assert reference is not None
    task_id = open_item(session, dossier_id, "completer_demande")
    pieces = session.scalars(select(Document.id).where(Document.instance_id == dossier_id)).all()
    assert len(pieces) == 5

    # A draft of the same organisation, for the saisie pages.
    created = owner.post("/demandes/nouvelle", from_page="/demandes/")
    draft_id = location_id(created, r"/demandes/(\d+)/saisie")
    saved = owner.post(
        f"/demandes/{draft_id}/saisie/identification",
        {"intitule": DRAFT_TITLE, "_action": "brouillon"},
    )
    assert saved.status_code == 302

    own_urls = [
        f"/demandes/{dossier_id}",
        f"/demandes/{dossier_id}/taches/{task_id}",
        f"/demandes/{draft_id}/saisie/identification",
        f"/demandes/{draft_id}/saisie/descriptif",
        *[f"/pieces/{piece}" for piece in pieces],
    ]
    # The owner reaches every one of these pages: the 404s below are about who asks.
    for url in own_urls:
        assert owner.get(url).status_code == 200, url
    assert owner.get(f"/pieces/{pieces[0]}").data.startswith(b"%PDF-")
    mine = text_of(owner.get("/demandes/"))
    assert reference in mine and TITLE in mine and DRAFT_TITLE in mine

    for email in ("demandeur2@example.org", "mandataire@example.org"):
        other = logged_in(browser_factory, email)
        before = snapshot(session, dossier_id), snapshot(session, draft_id)
        for url in [*own_urls, f"/demandes/{draft_id}/saisie"]:
            response = other.get(url)
            assert response.status_code == 404, (email, url, response.status_code)
            assert_hidden(response.get_data(as_text=True), TITLE, CONTEXT, reference, DRAFT_TITLE)
            assert "Page introuvable" in text_of(response)
        for url, data in (
            (f"/demandes/{dossier_id}/taches/{task_id}", {"reponse": "Je réponds à sa place."}),
            (
                f"/demandes/{draft_id}/saisie/identification",
                {"intitule": "Détourné", "_action": "brouillon"},
            ),
            (f"/demandes/{draft_id}/saisie/evaluation_certification", {"_action": "deposer"}),
        ):
            response = other.post(url, data, from_page="/demandes/")
            assert response.status_code == 404, (email, url)
            assert_hidden(response.get_data(as_text=True), TITLE, reference, DRAFT_TITLE)
        assert (snapshot(session, dossier_id), snapshot(session, draft_id)) == before

        listing = other.get("/demandes/")
        assert listing.status_code == 200
        assert_hidden(listing.get_data(as_text=True), TITLE, reference, DRAFT_TITLE)
        assert "Votre organisation n'a encore déposé aucune demande." in text_of(listing)

    # A task id of another organisation's dossier, under a dossier of one's own: 404 too.
    intruder = logged_in(browser_factory, "demandeur2@example.org")
    own = intruder.post("/demandes/nouvelle", from_page="/demandes/")
    own_id = location_id(own, r"/demandes/(\d+)/saisie")
    for response in (
        intruder.get(f"/demandes/{own_id}/taches/{task_id}"),
        intruder.post(
            f"/demandes/{own_id}/taches/{task_id}", {"reponse": "x"}, from_page="/demandes/"
        ),
    ):
        assert response.status_code == 404
        assert_hidden(response.get_data(as_text=True), TITLE, reference)


def test_the_commission_cannot_take_nor_complete_a_recevabilite_task(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    reference = walker.reference
    assert reference is not None
    task_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    url = f"/instruction/taches/{task_id}"
    recevabilite = logged_in(browser_factory, "recevabilite@example.org")
    assert reference in text_of(recevabilite.get("/instruction/"))
    assert recevabilite.get(url).status_code == 200

    commission = logged_in(browser_factory, "commission@example.org")
    before = snapshot(session, walker.dossier_id)
    inbox = commission.get("/instruction/")
    assert inbox.status_code == 200
    assert reference not in inbox.get_data(as_text=True)
    assert commission.get(url).status_code == 403
    completed = commission.post(
        url, data_of("favorable", "examiner_recevabilite"), from_page="/instruction/"
    )
    assert completed.status_code == 403
    assert "Vous n'avez pas les droits nécessaires" in text_of(completed)
    for action in ("prendre", "liberer", "reattribuer"):
        response = commission.post(f"{url}/{action}", from_page="/instruction/")
        assert response.status_code == 403, action
    assert snapshot(session, walker.dossier_id) == before


def test_only_the_designated_rapporteur_sees_and_instructs(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande")
    assert walker.rapporteur == "rapporteur@example.org"
    reference = walker.reference
    assert reference is not None
    task_id = open_item(session, walker.dossier_id, "instruire_demande")
    item = session.get(WorkItem, task_id)
    assert item is not None and item.assignee_id == user_id(session, "rapporteur@example.org")
    # The instruction arrives already taken by the designated rapporteur.
    assert item.claimed_by_id == item.assignee_id
    url = f"/instruction/taches/{task_id}"
    report = data_of("favorable", "instruire_demande")

    other = logged_in(browser_factory, "rapporteur2@example.org")
    designated = walker.as_user("rapporteur@example.org")
    for claimed in (True, False):
        if not claimed:
            assert designated.post(f"{url}/liberer", from_page=url).status_code == 302
        before = snapshot(session, walker.dossier_id)
        inbox = other.get("/instruction/")
        assert inbox.status_code == 200
        assert reference not in inbox.get_data(as_text=True)
        assert "Aucune tâche en attente." in text_of(inbox)
        shown = other.get(url)
        assert shown.status_code == 403, claimed
        assert_hidden(shown.get_data(as_text=True), TITLE, reference)
        assert other.post(url, report, from_page="/instruction/").status_code == 403
        for action in ("prendre", "liberer"):
            assert other.post(f"{url}/{action}", from_page="/instruction/").status_code == 403
        assert snapshot(session, walker.dossier_id) == before

    # The designated rapporteur sees it, and is the one who instructs.
    assert reference in text_of(designated.get("/instruction/"))
    done = designated.post(url, report, from_page=url)
    assert done.status_code == 302, text_of(done)[:1500]
    open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    item = session.get(WorkItem, task_id, populate_existing=True)
    assert item is not None and item.status == "completed"
    assert item.completed_by_id == user_id(session, "rapporteur@example.org")


def test_anonymous_users_are_sent_to_the_login_page(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    task_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    piece = session.scalar(select(Document.id).where(Document.instance_id == walker.dossier_id))
    anonymous = browser_factory()
    for url in (
        "/demandes/",
        f"/demandes/{walker.dossier_id}",
        f"/demandes/{walker.dossier_id}/saisie/identification",
        "/instruction/",
        "/instruction/dossiers",
        f"/instruction/dossiers/{walker.dossier_id}",
        f"/instruction/taches/{task_id}",
        f"/pieces/{piece}",
        "/admin/",
        "/admin/comptes",
    ):
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/connexion?suivant="), url
        assert_hidden(response.get_data(as_text=True), TITLE, walker.reference or "INV-")
    before = snapshot(session, walker.dossier_id)
    for url in (
        "/demandes/nouvelle",
        f"/instruction/taches/{task_id}",
        f"/instruction/taches/{task_id}/prendre",
    ):
        response = anonymous.post(url, {"decision": "irrecevable"}, from_page="/connexion")
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/connexion?suivant="), url
    assert snapshot(session, walker.dossier_id) == before
    assert session.scalar(select(Instance.id).where(Instance.id != walker.dossier_id)) is None


def test_a_submitter_is_refused_the_staff_spaces(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    task_id = open_item(session, walker.dossier_id, "examiner_recevabilite")
    demandeur = walker.demandeur
    for url in (
        "/instruction/",
        "/instruction/dossiers",
        f"/instruction/dossiers/{walker.dossier_id}",
        f"/instruction/taches/{task_id}",
        "/admin/",
        "/admin/comptes",
        "/admin/comptes/nouveau",
        "/admin/organisations",
        "/admin/incidents",
    ):
        response = demandeur.get(url)
        assert response.status_code == 403, url
        assert "Accès refusé" in text_of(response)
    before = snapshot(session, walker.dossier_id)
    for url in (f"/instruction/taches/{task_id}", f"/instruction/taches/{task_id}/prendre"):
        response = demandeur.post(url, {"decision": "recevable"}, from_page="/demandes/")
        assert response.status_code == 403, url
    assert snapshot(session, walker.dossier_id) == before
    # And a reviewer has no submitter's space.
    reviewer = logged_in(browser_factory, "recevabilite@example.org")
    assert reviewer.get("/demandes/").status_code == 403
    assert reviewer.get(f"/demandes/{walker.dossier_id}").status_code == 403
