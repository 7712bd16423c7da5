"""Bad input on a form: the page comes back (422) with French messages and what was typed, and
nothing is written."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import WorkItem
from engine.studio.scenario import SAMPLE_PDF
from tests.dossiers import data_of, open_item, snapshot, walk_until
from tests.support import Browser, location_id, text_of
from tests.walk import Walker, as_posted, form_of

NewBrowser = Callable[[], Browser]
HUGE = "Texte démesuré. " * 6400  # 100 kB in a text field
MAX_UPLOAD = 2 * 1024 * 1024  # MAX_UPLOAD_BYTES of the test app
Case = tuple[dict[str, Any], str, list[tuple[str, str]]]


def kept(page: TestResponse, name: str, value: str) -> bool:
    """Whether the page shows `value` typed (or chosen) in the field `name`."""
    body = page.get_data(as_text=True)
    field, shown = re.escape(name), re.escape(str(escape(value)))
    return bool(
        re.search(rf'name="{field}" value="{shown}"(?=[\s>])', body)
        or re.search(rf'name="{field}"[^>]*>\n{shown}</textarea>', body)
    )


def checked(page: TestResponse, name: str, value: str) -> bool:
    body = page.get_data(as_text=True)
    return bool(re.search(rf'name="{re.escape(name)}" value="{re.escape(value)}" checked', body))


def files_in(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def upload(name: str, content: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def refused(
    browser: Browser, url: str, data: dict[str, Any], message: str, **kwargs: Any
) -> TestResponse:
    response = browser.post(url, data, content_type="multipart/form-data", **kwargs)
    assert response.status_code == 422, (data.keys(), response.status_code, text_of(response)[:800])
    page = text_of(response)
    assert "Le formulaire contient" in page
    assert message in page, page[:3000]
    return response


def reviewer_task(walker: Walker, task: str, email: str, session: Session) -> tuple[Browser, str]:
    """The reviewer's browser on the task's page, the task taken."""
    browser = walker.as_user(email)
    url = f"/instruction/taches/{open_item(session, walker.dossier_id, task)}"
    assert browser.post(f"{url}/prendre", from_page=url).status_code == 302
    return browser, url


def test_the_recevabilite_form_refuses_bad_input(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    browser, url = reviewer_task(
        walker, "examiner_recevabilite", "recevabilite@example.org", session
    )
    criteria = ["autorite_legitime", "pieces_completes"]
    before = snapshot(session, walker.dossier_id)

    missing = refused(
        browser, url, {"criteres_verifies": criteria}, "Le champ « Décision » est obligatoire."
    )
    assert all(checked(missing, "criteres_verifies", value) for value in criteria)
    assert not checked(missing, "criteres_verifies", "maitrise_professionnelle")

    outside = refused(
        browser,
        url,
        {"criteres_verifies": criteria, "decision": "peut-etre"},
        "Décision : Choisissez une valeur de la liste.",
    )
    assert checked(outside, "criteres_verifies", "autorite_legitime")

    long_text = refused(
        browser,
        url,
        {"decision": "complements", "complements_demandes": HUGE},
        "Compléments demandés : Ce texte dépasse la longueur autorisée (5000 caractères au plus).",
    )
    assert kept(long_text, "complements_demandes", HUGE)
    assert checked(long_text, "decision", "complements")

    refused(
        browser,
        url,
        {"decision": "irrecevable", "criteres_verifies": criteria},
        "Le champ « Motif de l'irrecevabilité » est obligatoire.",
    )
    incomplete = refused(
        browser,
        url,
        {"decision": "recevable", "criteres_verifies": criteria},
        "Choisissez au moins 6 éléments.",
    )
    assert checked(incomplete, "decision", "recevable")

    good = data_of("favorable", "examiner_recevabilite")
    refused(browser, url, {**good, "etat": "recevable"}, "Champ inconnu : etat")
    refused(
        browser,
        url,
        {**good, "rapporteur_id": "3", "instance_id": "1"},
        "Champ inconnu : instance_id, rapporteur_id",
    )
    assert snapshot(session, walker.dossier_id) == before

    # The same page takes good input: the refusals above were about the input alone.
    done = browser.post(url, good, content_type="multipart/form-data")
    assert done.status_code == 302, text_of(done)[:1500]
    assert snapshot(session, walker.dossier_id).submissions == before.submissions + 1


def test_the_deliberation_form_refuses_bad_input(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "deliberer")
    browser, url = reviewer_task(walker, "deliberer", "commission@example.org", session)
    good = data_of("favorable", "deliberer")
    motivation = good["motivation"]
    before = snapshot(session, walker.dossier_id)

    wrong_type = refused(
        browser,
        url,
        {**good, "duree_annees": "cinq ans"},
        "Durée du recensement (en années) : Saisissez un nombre entier.",
    )
    assert kept(wrong_type, "duree_annees", "cinq ans")
    assert kept(wrong_type, "motivation", motivation)
    assert checked(wrong_type, "avis", "favorable")
    assert checked(wrong_type, "categorie_retenue", "A")

    too_long = refused(
        browser,
        url,
        {**good, "duree_annees": "7"},
        "La valeur doit être inférieure ou égale à 5.",
    )
    assert kept(too_long, "duree_annees", "7")
    refused(
        browser,
        url,
        {**good, "duree_annees": str(10**30)},
        "La valeur doit être inférieure ou égale à 5.",
    )
    refused(browser, url, {**good, "avis": "peut-etre"}, "Choisissez une valeur de la liste.")
    refused(
        browser,
        url,
        {**good, "categorie_retenue": "D"},
        "Catégorie retenue : Choisissez une valeur de la liste.",
    )
    no_reason = refused(
        browser,
        url,
        {key: value for key, value in good.items() if key != "motivation"},
        "Le champ « Motivation » est obligatoire.",
    )
    assert kept(no_reason, "duree_annees", "5")
    refused(
        browser,
        url,
        {**good, "motivation": HUGE},
        "Motivation : Ce texte dépasse la longueur autorisée (10 000 caractères au plus).",
    )
    refused(browser, url, {**good, "decision": "recensement"}, "Champ inconnu : decision")
    assert snapshot(session, walker.dossier_id) == before

    # Another lane's reviewer cannot post to it at all.
    other = walker.as_user("recevabilite@example.org")
    forbidden = other.post(url, good, from_page="/instruction/")
    assert forbidden.status_code == 403
    assert snapshot(session, walker.dossier_id) == before


def test_the_submitters_pages_refuse_bad_input_and_bad_pieces(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    browser = browser_factory()
    browser.login("demandeur@example.org")
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    dossier_id = location_id(created, r"/demandes/(\d+)/saisie")
    base = f"/demandes/{dossier_id}/saisie"
    first = browser.post(
        f"{base}/identification",
        {"intitule": "Soudure sous protection gazeuse", "_action": "brouillon"},
    )
    assert first.status_code == 302
    before = snapshot(session, dossier_id)
    stored_files = files_in(upload_dir)

    numbers = refused(
        browser,
        f"{base}/valeur_ajoutee",
        {
            "valeur_ajoutee": "Reconnue par les employeurs de la branche.",
            "certifies_par_annee": "2024 : beaucoup",
            "_action": "suivant",
        },
        "Nombre de certifiés par année : Une ligne par année, l'année puis le nombre, "
        "par exemple « 2024 : 37 ».",
    )
    assert kept(numbers, "certifies_par_annee", "2024 : beaucoup")
    assert kept(numbers, "valeur_ajoutee", "Reconnue par les employeurs de la branche.")

    long_title = refused(
        browser,
        f"{base}/identification",
        {"intitule": HUGE, "certificateur_1_nom": "Institut de soudure", "_action": "suivant"},
        "Ce texte dépasse la longueur autorisée (300 caractères au plus).",
    )
    assert kept(long_title, "certificateur_1_nom", "Institut de soudure")
    refused(
        browser,
        f"{base}/identification",
        {"certificateur_1_siret": "1234", "contact_courriel": "pas une adresse"},
        "Saisissez une adresse électronique valide (ex. nom@domaine.fr).",
    )
    refused(
        browser,
        f"{base}/vue_ensemble",
        {"categorie": "Z", "public_vise": "Soudeurs"},
        "Catégorie demandée : Choisissez une valeur de la liste.",
    )
    refused(
        browser,
        f"{base}/identification",
        {"intitule": "Soudure", "categorie": "A", "statut": "Recensée"},
        "Champ inconnu : categorie, statut",
    )
    refused(
        browser,
        f"{base}/identification",
        {"depot_par_mandataire": "peut-etre"},
        "Valeur invalide.",
    )

    competences = "Préparer les pièces.\nSouder en toutes positions."
    for name, content, message in (
        ("outil.exe", b"MZ\x90\x00" + b"\x00" * 200, "n'est pas un document PDF, ODT ou DOCX"),
        ("faux.pdf", b"Ceci est un texte, pas un PDF.\n" * 20, "n'est pas un document PDF"),
        ("vide.pdf", b"", "est vide"),
        ("gros.pdf", SAMPLE_PDF + b"%" * MAX_UPLOAD, "dépasse la taille autorisée (2 Mo au plus)"),
    ):
        page = refused(
            browser,
            f"{base}/descriptif",
            {
                "competences_attestees": competences,
                "referentiel_competences": upload(name, content),
                "_action": "suivant",
            },
            f"Le fichier « {name} » {message}",
        )
        assert kept(page, "competences_attestees", competences)
    assert snapshot(session, dossier_id) == before
    assert files_in(upload_dir) == stored_files

    # Good input on the same pages is taken.
    good = browser.post(
        f"{base}/descriptif",
        {
            "competences_attestees": competences,
            "referentiel_competences": upload("referentiel.pdf", SAMPLE_PDF),
            "_action": "suivant",
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302, text_of(good)[:1500]
    after = snapshot(session, dossier_id)
    assert after.documents == before.documents + 1
    assert after.lock_version > before.lock_version


def test_the_depot_of_an_incomplete_demand_stores_nothing(
    browser_factory: NewBrowser, session: Session
) -> None:
    """The missing fields are listed page by page; the page's input is kept as a draft (so the
    links to the other pages lose nothing), but no reference, no filed form, no next task."""
    browser = browser_factory()
    browser.login("demandeur@example.org")
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    dossier_id = location_id(created, r"/demandes/(\d+)/saisie")
    url = f"/demandes/{dossier_id}/saisie/evaluation_certification"
    before = snapshot(session, dossier_id)
    typed = "Épreuve pratique de deux heures devant un jury de deux soudeurs."
    page = refused(
        browser,
        url,
        {"modalites_evaluation": typed, "_action": "deposer"},
        "La demande ne peut pas encore être déposée",
    )
    text = text_of(page)
    assert "Identification – Le champ « Intitulé de la certification » est obligatoire." in text
    assert "Descriptif – Le champ « Référentiel de compétences » est obligatoire." in text
    assert "Le champ « Modèle de l'attestation » est obligatoire." in text
    assert kept(page, "modalites_evaluation", typed)

    after = snapshot(session, dossier_id)
    assert after.reference is None and after.status_label == "Brouillon"
    assert after.state == before.state
    assert after.submissions == before.submissions == 0
    assert after.work_items == before.work_items  # the draft task is still open, nothing new
    assert after.documents == before.documents
    session.rollback()
    item = session.scalar(select(WorkItem).where(WorkItem.instance_id == dossier_id))
    # The page's unticked declaration is kept as such: it is ticked when filing.
    assert item is not None
    assert item.draft == {"modalites_evaluation": typed, "declaration_exactitude": False}

    # With bad input on the page, not even the draft is written.
    before = after
    refused(
        browser,
        url,
        {"modalites_evaluation": HUGE, "_action": "deposer"},
        "Ce texte dépasse la longueur autorisée",
    )
    assert snapshot(session, dossier_id) == before


def test_the_complements_form_refuses_bad_input(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.step(
        "examiner_recevabilite",
        data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite"),
    )
    browser = walker.demandeur
    url = f"/demandes/{walker.dossier_id}/taches/"
    url += str(open_item(session, walker.dossier_id, "completer_demande"))
    assert browser.get(url).status_code == 200
    before = snapshot(session, walker.dossier_id)
    stored_files = files_in(upload_dir)
    answer = "Voici le modèle d'attestation corrigé."

    refused(browser, url, {}, "Le champ « Votre réponse » est obligatoire.")
    assert snapshot(session, walker.dossier_id) == before
    # A good piece sent with the bad form is kept (nobody uploads it twice); nothing else moves.
    refused(
        browser,
        url,
        {"pieces_complementaires": upload("modele-v2.pdf", SAMPLE_PDF)},
        "Le champ « Votre réponse » est obligatoire.",
    )
    assert snapshot(session, walker.dossier_id) == replace(before, documents=before.documents + 1)
    before = snapshot(session, walker.dossier_id)
    stored_files = files_in(upload_dir)
    refused(
        browser,
        url,
        {"reponse": HUGE},
        "Votre réponse : Ce texte dépasse la longueur autorisée (10 000 caractères au plus).",
    )
    page = refused(
        browser,
        url,
        {
            "reponse": answer,
            "pieces_complementaires": [
                upload("installeur.exe", b"MZ" + b"\x00" * 100),
                upload("notes.docx", b"PK\x03\x04 not really a zip"),
            ],
        },
        "Le fichier « notes.docx » n'est pas un document PDF, ODT ou DOCX valide.",
    )
    assert kept(page, "reponse", answer)
    refused(
        browser,
        url,
        {"reponse": answer, "pieces_complementaires": upload("lourd.pdf", b"%PDF-" * MAX_UPLOAD)},
        "Le fichier « lourd.pdf » dépasse la taille autorisée (2 Mo au plus).",
    )
    refused(browser, url, {"reponse": answer, "decision": "recevable"}, "Champ inconnu : decision")
    assert snapshot(session, walker.dossier_id) == before
    assert files_in(upload_dir) == stored_files


def test_forged_task_ids_are_refused(browser_factory: NewBrowser, session: Session) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.step(
        "examiner_recevabilite",
        data_of("complements_recevabilite_puis_instruction", "examiner_recevabilite"),
    )
    dossier_id = walker.dossier_id
    task_id = open_item(session, dossier_id, "completer_demande")
    answer = {"reponse": "Réponse."}
    before = snapshot(session, dossier_id)

    reviewer = walker.as_user("recevabilite@example.org")
    decision = as_posted(
        form_of("examiner_recevabilite"), data_of("favorable", "examiner_recevabilite")
    )
    for url, status in (
        ("/instruction/taches/999999", 404),
        ("/instruction/taches/0", 404),
        ("/instruction/taches/abc", 404),
        ("/instruction/taches/-1", 404),
        (f"/instruction/taches/{task_id}", 403),  # the submitter's task
        ("/instruction/taches/999999/prendre", 404),
    ):
        response = reviewer.post(url, decision, from_page="/instruction/")
        assert response.status_code == status, url
    demandeur = walker.demandeur
    created = demandeur.post("/demandes/nouvelle", from_page="/demandes/")
    other_id = location_id(created, r"/demandes/(\d+)/saisie")
    for url in (
        f"/demandes/{dossier_id}/taches/999999",
        f"/demandes/{dossier_id}/taches/abc",
        f"/demandes/{other_id}/taches/{task_id}",  # a task of another dossier
        f"/demandes/999999/taches/{task_id}",
        f"/demandes/{dossier_id}/saisie/page-inconnue",
    ):
        response = demandeur.post(url, answer, from_page="/demandes/")
        assert response.status_code == 404, url
        assert "Page introuvable" in text_of(response)
    assert snapshot(session, dossier_id) == before


def test_a_wrong_password_is_refused_and_the_email_kept(browser_factory: NewBrowser) -> None:
    browser = browser_factory()
    for email, password in (
        ("demandeur@example.org", "mauvais-mot-de-passe"),
        ("inconnu@example.org", "inventaire"),
        ("demandeur@example.org", ""),
    ):
        response = browser.post("/connexion", {"email": email, "password": password})
        assert response.status_code == 401
        assert "Adresse électronique ou mot de passe incorrect." in text_of(response)
        assert kept(response, "email", email)
        assert browser.get("/demandes/").status_code == 302  # still not signed in
