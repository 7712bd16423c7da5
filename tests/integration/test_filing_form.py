"""The filing form asks what the real dossier asks, and the fiche published from it says it: the
declaration that the information is accurate, the mandating authority named per request, each
certifier with its SIRET, the partner bodies, the juries, the promotions, the validity for the
holders, the level of mastery; no apprenticeship route, which the register's fiches do not
have. Walked through HTTP by the submitter and the reviewers; the fiche read in the public
register's XML download."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.core.models import RegisterEntry, RegisterStatus
from engine.register.opendata.importer import import_fiches
from tests.dossiers import SCENARIOS, data_of, snapshot
from tests.support import Browser, location_id, text_of
from tests.walk import Walker, as_posted, form_of

NewBrowser = Callable[[], Browser]
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rs-open-data-sample.xml"
DECLARATION = (
    "Je certifie exactes les informations de cette demande et conformes les pièces jointes"
)


def published(new_browser: NewBrowser, name: str) -> tuple[Walker, str]:
    """The scenario `name` walked to Recensée and published by the worker: its register number."""
    walker = Walker(new_browser, SCENARIOS[name].organisation)
    walker.play(SCENARIOS[name])
    walker.run_jobs()
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    match = re.search(r"Numéro à l'Inventaire (INV\d{5})", page)
    assert match, page[:2000]
    return walker, match.group(1)


def downloaded_fiche(browser: Browser, numero: str) -> etree._Element:
    """Our fiche in the register's XML download, as anyone gets it."""
    response = browser.get("/registre/export.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.get_data())
    found = [f for f in root.iterfind("FICHE") if f.findtext("NUMERO_FICHE") == numero]
    assert len(found) == 1
    return found[0]


def test_the_published_fiche_says_what_the_form_asked(
    browser_factory: NewBrowser, session: Session, tmp_path: Path
) -> None:
    # Imported fiches first, one of them with each ID_FICHE the next entries' ids could take.
    import_fiches(session, SAMPLE)
    next_id = (session.scalar(select(func.max(RegisterEntry.id))) or 0) + 1
    numbered = "".join(
        f"<FICHE><ID_FICHE>{next_id + n}</ID_FICHE><NUMERO_FICHE>RS{9100 + n}</NUMERO_FICHE>"
        f"<INTITULE>Fiche {n}</INTITULE></FICHE>"
        for n in range(10)
    )
    path = tmp_path / "ids.xml"
    path.write_text(f"<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{numbered}</FICHES>", "utf-8")
    import_fiches(session, path)
    session.commit()
    imported_ids = set(session.scalars(select(RegisterEntry.content["id_fiche"].as_string())))

    _walker, numero = published(browser_factory, "favorable")
    filed = data_of("favorable", "saisir_demande")
    public = browser_factory()
    fiche = downloaded_fiche(public, numero)

    assert fiche.findtext("ID_FICHE") not in imported_ids
    certifiers = [
        (c.findtext("NOM_CERTIFICATEUR"), c.findtext("SIRET_CERTIFICATEUR"))
        for c in fiche.iterfind("CERTIFICATEURS/CERTIFICATEUR")
    ]
    assert certifiers == [
        ("Association paritaire pour la prévention du risque électrique", "52345678900021"),
        ("Institut de formation à la prévention électrique", "41234567800019"),
    ]
    # Category A: the text that makes it compulsory.
    assert fiche.findtext("REGLEMENTATIONS_ACTIVITES") == filed["texte_reglementaire"]
    promotions = [
        (p.findtext("ANNEE"), p.findtext("NOMBRE_CERTIFIES"))
        for p in fiche.iterfind("STATISTIQUES_PROMOTIONS/STATISTIQUES_PROMOTION")
    ]
    assert promotions == [("2023", "12000"), ("2024", "13200")]
    assert fiche.findtext("EXISTENCE_PARTENAIRES") == "Oui"
    partners = [
        (
            p.findtext("NOM_PARTENAIRE"),
            p.findtext("SIRET_PARTENAIRE"),
            p.findtext("HABILITATION_PARTENAIRE"),
            p.findtext("ETAT_HABILITATION"),
        )
        for p in fiche.iterfind("PARTENAIRES/PARTENAIRE")
    ]
    assert partners == [
        (
            "Centre de formation Exemple Électricité",
            "52345678900039",
            "HABILITATION_FORMER",
            "Actif",
        ),
        ("Lycée professionnel Exemple", "19750001200018", "HABILITATION_ORGA_FORM", "Actif"),
    ]
    # The jury of each open route, none for a closed one.
    assert fiche.findtext("SI_JURY_FC/ACTIF") == "Oui"
    assert fiche.findtext("SI_JURY_FC/COMPOSITION") == filed["jury_formation_continue"]
    assert fiche.findtext("SI_JURY_CL/COMPOSITION") == filed["jury_candidature_individuelle"]
    assert fiche.findtext("SI_JURY_FI/ACTIF") == "Non"
    assert fiche.find("SI_JURY_FI/COMPOSITION") is None
    assert fiche.findtext("DUREE_VALIDITE") == "3"
    assert fiche.findtext("MODALITES_RENOUVELLEMENT") == filed["modalites_renouvellement"]
    assert fiche.findtext("NIVEAU_MAITRISE_COMPETENCES") == filed["niveau_maitrise_competences"]
    # An « enregistrement sur demande » as France compétences' fiches of that type.
    assert fiche.findtext("TYPE_ENREGISTREMENT") == "Enregistrement sur demande"
    assert fiche.findtext("DATE_DECISION")
    assert fiche.find("DATE_EFFET") is None and fiche.find("DATE_DE_PUBLICATION") is None
    # Never asked: no « Non » for it.
    assert fiche.find("VALIDATION_PARTIELLE") is None
    assert fiche.findtext("ETAT_FICHE") == "Publiée"

    # The fiche's page shows them too.
    page = text_of(public.get(f"/registre/{numero}"))
    for shown in (
        "Lycée professionnel Exemple",
        "Institut de formation à la prévention électrique",
        filed["modalites_renouvellement"],
        filed["jury_formation_continue"],
    ):
        assert shown in page, shown

    # Withdrawn (what the retrait's decision does to the entry): no longer « Publiée ».
    session.rollback()  # a fresh transaction: the app has written since
    session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.numero == numero)
        .values(statut=RegisterStatus.RETIREE)
    )
    session.commit()
    withdrawn = downloaded_fiche(public, numero)
    assert withdrawn.findtext("ETAT_FICHE") == "Dépubliée/Archivée"
    assert withdrawn.findtext("ACTIF") == "Non"


def test_the_mandating_authority_is_the_one_named_for_the_request(
    browser_factory: NewBrowser,
) -> None:
    # The mandated certifier's organisation records the CPNE de la métallurgie; this request is
    # filed on the mandate of another authority, which the register names.
    walker, numero = published(browser_factory, "mandataire")
    page = text_of(browser_factory().get(f"/registre/{numero}"))
    assert (
        "Commission paritaire nationale de l'emploi du bâtiment "
        "(mandat donné à Certif'Pro Formation)" in page
    )
    assert "métallurgie" not in page
    filed = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Commission paritaire nationale de l'emploi du bâtiment" in filed


def draft_of(browser: Browser) -> int:
    created = browser.post("/demandes/nouvelle", from_page="/demandes/")
    assert created.status_code == 302
    return location_id(created, r"/demandes/(\d+)/saisie")


def fill_all_but_the_last_page(browser: Browser, dossier_id: int, data: dict[str, object]) -> None:
    form = form_of("saisir_demande")
    for page in form.pages[:-1]:
        values = {name: value for name, value in data.items() if name in page.fields}
        posted = as_posted(form, values) | {"_action": "suivant"}
        url = f"/demandes/{dossier_id}/saisie/{page.id}"
        response = browser.post(url, posted, content_type="multipart/form-data")
        assert response.status_code == 302, text_of(response)[:2000]


def test_filing_without_the_declaration_is_refused_and_the_input_kept(
    browser_factory: NewBrowser, session: Session
) -> None:
    browser = browser_factory()
    browser.login("demandeur2@example.org")
    dossier_id = draft_of(browser)
    data = data_of("favorable", "saisir_demande")
    fill_all_but_the_last_page(browser, dossier_id, data)
    form = form_of("saisir_demande")
    last = form.pages[-1]
    values = {
        name: value
        for name, value in data.items()
        if name in last.fields and name != "declaration_exactitude"
    }
    before = snapshot(session, dossier_id)
    url = f"/demandes/{dossier_id}/saisie/{last.id}"
    response = browser.post(
        url, as_posted(form, values) | {"_action": "deposer"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    page = text_of(response)
    assert f"Cochez la case « {DECLARATION} »." in page
    body = html.unescape(response.get_data(as_text=True))
    assert data["modalites_evaluation"] in body  # what was typed is shown again
    assert data["modalites_renouvellement"] in body
    after = snapshot(session, dossier_id)
    assert after.reference is None and after.status_label == "Brouillon"
    assert after.submissions == before.submissions == 0

    # Ticked, the same request is filed.
    values["declaration_exactitude"] = True
    filed = browser.post(
        url, as_posted(form, values) | {"_action": "deposer"}, content_type="multipart/form-data"
    )
    assert filed.status_code == 302, text_of(filed)[:2000]
    assert snapshot(session, dossier_id).reference is not None


def test_bad_certifiers_partners_and_authority_are_refused_in_french(
    browser_factory: NewBrowser,
) -> None:
    browser = browser_factory()
    browser.login("mandataire@example.org")
    dossier_id = draft_of(browser)
    url = f"/demandes/{dossier_id}/saisie/identification"
    typed = {
        "intitule": "Conduite d'engins",
        "certificateur_1_nom": "Premier certificateur",
        "certificateur_1_siret": "123 456",
        "certificateur_2_nom": "Second certificateur",
        "depot_par_mandataire": "true",
        "_action": "suivant",
    }
    response = browser.post(url, typed, content_type="multipart/form-data")
    assert response.status_code == 422
    page = text_of(response)
    assert "Saisissez un SIRET de 14 chiffres, sans espace." in page
    assert 'value="123 456"' in response.get_data(as_text=True)
    assert 'value="Second certificateur"' in response.get_data(as_text=True)

    # Filed on a mandate, the request names its mandating authority and its nature.
    typed |= {"certificateur_1_siret": "12345678900012", "certificateur_2_siret": "12345678900020"}
    assert browser.post(url, typed, content_type="multipart/form-data").status_code == 302
    last = form_of("saisir_demande").pages[-1].id
    refused = browser.post(
        f"/demandes/{dossier_id}/saisie/{last}",
        {
            "existence_partenaires": "true",
            "partenaires": "Organisme sans SIRET ; préparer",
            "_action": "deposer",
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Une ligne par organisme : raison sociale ; SIRET de 14 chiffres" in text_of(refused)
    assert "Organisme sans SIRET ; préparer" in html.unescape(refused.get_data(as_text=True))
    refused = browser.post(
        f"/demandes/{dossier_id}/saisie/{last}",
        {
            "existence_partenaires": "true",
            "partenaires": "Organisme Exemple ; 12345678900038 ; évaluer",
            "_action": "deposer",
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    text = text_of(refused)
    assert (
        "Le champ « Autorité légitime qui vous mandate pour cette demande » est obligatoire."
        in text
    )
    assert "Le champ « Nature de l'autorité mandante » est obligatoire." in text


def test_apprenticeship_is_not_offered(browser_factory: NewBrowser) -> None:
    browser = browser_factory()
    browser.login("demandeur@example.org")
    dossier_id = draft_of(browser)
    url = f"/demandes/{dossier_id}/saisie/descriptif"
    body = browser.get(url).get_data(as_text=True)
    assert 'value="formation_continue"' in body
    assert 'value="apprentissage"' not in body
    refused = browser.post(
        url,
        {"voies_acces": ["apprentissage"], "_action": "suivant"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
