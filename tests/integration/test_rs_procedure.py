"""France compétences' procedure for the Répertoire spécifique (processes/enregistrement-rs and
processes/retrait-rs), walked through HTTP by its users: the certifier files itself, the
services instruct, the commission gives its avis conforme, the director general decides; the
entry is published as an RS entry without category; the retrait goes through the same people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Email, Instance, RegisterEntry
from engine.core.typography import date_filter
from engine.register.opendata.importer import import_fiches
from engine.studio.demo import REGISTER_SAMPLE
from engine.studio.scenario import load_scenarios
from tests.clock import run_worker_at
from tests.support import Browser, text_of
from tests.walk import PROCESSES, RS, Walker

NewBrowser = Callable[[], Browser]
ENREGISTREMENT = {s.name: s for s in load_scenarios(PROCESSES / "enregistrement-rs")}
RETRAIT = {s.name: s for s in load_scenarios(PROCESSES / "retrait-rs")}


def test_the_required_rs_scenarios_exist() -> None:
    assert {"favorable", "refus", "irrecevable"} <= set(ENREGISTREMENT)
    assert {
        "retrait_apres_observations",
        "maintien_sans_observations",
        "retrait_certificateur_sans_compte",
    } <= set(RETRAIT)


@pytest.mark.parametrize("folder", ["enregistrement-rs", "retrait-rs"])
def test_scenarios_run_command_passes_the_rs_scenarios(folder: str) -> None:
    from web.cli import main

    count = len(load_scenarios(PROCESSES / folder))
    result = CliRunner().invoke(main, ["scenarios", "run", str(PROCESSES / folder)])
    assert result.exit_code == 0, result.output
    assert f"{count} passed, 0 failed" in result.output


def test_the_rs_model_passes_the_deployment_check() -> None:
    from web.cli import main

    for folder in ("enregistrement-rs", "retrait-rs"):
        result = CliRunner().invoke(main, ["processes", "check", str(PROCESSES / folder)])
        assert result.exit_code == 0 and "Déployable." in result.output, result.output


def _emails_to(session: Session, address: str) -> list[Email]:
    session.rollback()
    return list(session.scalars(select(Email).where(Email.recipient == address)))


def registered(new_browser: NewBrowser) -> tuple[Walker, str]:
    """The favourable scenario walked through HTTP by its four kinds of users, published."""
    walker = Walker(new_browser, "certificateur", RS)
    walker.play(ENREGISTREMENT["favorable"])
    walker.run_jobs()
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    match = re.search(r"Numéro au Répertoire spécifique (RS\d+)", page)
    assert match, page[:2000]
    return walker, match.group(1)


def test_a_certifier_registers_a_certification_through_its_four_users(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = registered(browser_factory)
    # Each user did their step: the certifier (demandeur of its own organisation, no
    # autorité légitime), the services (rapporteur), the commission, the director general.
    assert set(walker.browsers) == {
        "mandataire@example.org",
        "rapporteur@example.org",
        "commission@example.org",
        "directeur.general@example.org",
    }
    assert walker.status_seen_by_demandeur() == "Enregistrée au Répertoire spécifique"
    # The administrator reads what the worker did, in the register's words.
    admin = walker.as_user("admin@example.org")
    jobs = text_of(admin.get(f"/admin/dossiers/{walker.dossier_id}/travaux"))
    assert f"Publication au Répertoire spécifique ({walker.reference})" in jobs
    assert "Publication à l'Inventaire" not in jobs

    # The public fiche: an RS entry, no category, signed by nobody but France compétences.
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Registre Répertoire spécifique" in fiche
    assert "Catégorie" not in fiche
    assert "enregistrée au Répertoire spécifique par France compétences" in fiche
    assert "Commission nationale de la certification professionnelle" not in fiche
    assert "Type d'enregistrement Enregistrement sur demande" in fiche
    # No autorité légitime nor mandate: the RS has none.
    assert "Autorité légitime" not in fiche and "Mandat" not in fiche
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero))
    assert entry is not None and entry.registre == "rs" and entry.categorie == ""
    assert entry.fin_validite is not None and entry.debut_validite is not None
    assert entry.fin_validite.year - entry.debut_validite.year == 5

    # The certifier's letters come from France compétences, never from the CNCP.
    run_worker_at(walker.demandeur.client.application.extensions["db_sessions"], datetime.now(UTC))
    letters = _emails_to(session, "mandataire@example.org")
    subjects = {email.subject for email in letters}
    assert any("Accusé de réception" in subject for subject in subjects), subjects
    assert any("décision du directeur général de France compétences" in s for s in subjects)
    assert any(f"{numero}\u00a0: votre certification est enregistrée" in s for s in subjects)
    for email in letters:
        assert email.body.startswith("Madame, Monsieur,"), email.body[:80]
        assert "France compétences" in email.body
        assert "Commission nationale" not in email.body


def test_after_an_unfavourable_opinion_the_director_general_can_only_refuse(
    browser_factory: NewBrowser, session: Session
) -> None:
    scenario = ENREGISTREMENT["refus"]
    walker = Walker(browser_factory, "certificateur", RS)
    for step in scenario.steps[:-1]:
        walker.step(step.task, step.data, step.timer)
    dg = walker.as_user("directeur.general@example.org")
    inbox = text_of(dg.get("/instruction/"))
    assert "Refuser l'enregistrement" in inbox
    assert "Décider de l'enregistrement" not in inbox
    last = scenario.steps[-1]
    walker.step(last.task, last.data)
    assert walker.status_seen_by_demandeur() == "Refusée"
    walker.run_jobs()
    run_worker_at(walker.demandeur.client.application.extensions["db_sessions"], datetime.now(UTC))
    decision = next(
        email
        for email in _emails_to(session, "mandataire@example.org")
        if "décision" in email.subject
    )
    assert "refus d'enregistrement" in decision.body
    assert str(last.data["motivation_decision"]) in decision.body
    assert "deux mois" in decision.body and "R.\u00a0421-1" in decision.body
    session.rollback()
    assert session.scalar(select(RegisterEntry.id)) is None


def test_the_duration_is_five_years_at_most(browser_factory: NewBrowser) -> None:
    scenario = ENREGISTREMENT["favorable"]
    walker = Walker(browser_factory, "certificateur", RS)
    for step in scenario.steps[:-1]:
        walker.step(step.task, step.data, step.timer)
    dg = walker.as_user("directeur.general@example.org")
    body = dg.get("/instruction/?etape=prononcer_enregistrement").get_data(as_text=True)
    match = re.search(r'href="/instruction/taches/(\d+)"', body)
    assert match
    url = f"/instruction/taches/{match.group(1)}"
    dg.post(f"{url}/prendre", from_page=url)
    refused = dg.post(url, {"decision_dg": "enregistrement", "duree_annees": "6"})
    assert refused.status_code == 422
    assert "6" in text_of(refused)  # typed data kept
    assert walker.status_seen_by_demandeur() == "Décision du directeur général attendue"


def test_the_services_withdraw_an_rs_entry_after_the_commission_and_the_director_general(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = registered(browser_factory)
    # The CNCP's commission is not the one that withdraws an RS entry.
    commission = walker.as_user("commission@example.org")
    assert "Engager un retrait" not in text_of(commission.get(f"/registre/{numero}"))
    refused = commission.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert refused.status_code == 403
    # France compétences' services do, through retrait-rs.
    services = walker.as_user("rapporteur@example.org")
    assert "Engager un retrait" in text_of(services.get(f"/registre/{numero}"))
    opened = services.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert opened.status_code == 302
    shown = services.get(opened.headers["Location"])
    assert "Engager le retrait" in text_of(shown)
    dossier = re.search(r"/instruction/dossiers/(\d+)", shown.get_data(as_text=True))
    reference = re.search(rf"(RET-{numero}-\d+)", text_of(shown))
    assert dossier and reference
    retrait = Walker(browser_factory, "certificateur", RS)
    retrait.browsers = walker.browsers
    retrait.dossier_id = int(dossier.group(1))
    retrait.reference = reference.group(1)
    for step in RETRAIT["retrait_apres_observations"].steps:
        retrait.step(step.task, step.data, step.timer)
    walker.run_jobs()
    # The certifier's dossier reads what was engaged and decided as sentences addressed to it
    # (text_of reads every space as a plain one), never the reviewers' choices nor buttons.
    page = text_of(walker.demandeur.get(f"/demandes/{retrait.dossier_id}"))
    assert (
        "France compétences envisage de retirer votre certification du Répertoire spécifique : "
        "les critères d'enregistrement ne sont plus respectés (articles R. 6113-9 et "
        "R. 6113-11 du code du travail)." in page
    )
    decided = RETRAIT["retrait_apres_observations"].steps[-1].data["motivation_retrait"]
    assert (
        "Le directeur général de France compétences a retiré votre certification du Répertoire "
        f"spécifique pour les motifs suivants : {decided}" in page
    )
    for label in (
        "Retirer la certification du Répertoire spécifique",
        "Critères d'enregistrement non respectés",
        "Informer le certificateur",
        "Signer la décision",
    ):
        assert label not in page, label
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Certification retirée du registre le" in fiche
    motivation = RETRAIT["retrait_apres_observations"].steps[-1].data["motivation_retrait"]
    assert f"Motif : {motivation}" in fiche
    run_worker_at(app.extensions["db_sessions"], datetime.now(UTC))
    letter = next(
        email
        for email in _emails_to(session, "mandataire@example.org")
        if "retirée du Répertoire spécifique" in email.subject
    )
    assert "R.\u00a06113-17" in letter.body and "deux mois" in letter.body


def test_a_renewal_of_an_rs_entry_opens_the_rs_procedure(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = registered(browser_factory)
    created = walker.demandeur.post(
        f"/registre/{numero}/renouvellement", from_page=f"/registre/{numero}"
    )
    assert created.status_code == 302
    first_page = walker.demandeur.get(created.headers["Location"]).headers["Location"]
    draft = text_of(walker.demandeur.get(first_page))
    # The RS request's pages, prefilled from the entry: not the Inventaire's form.
    assert "Besoin et valeur d'usage" in draft
    assert "Catégorie demandée" not in draft
    assert str(ENREGISTREMENT["favorable"].steps[0].data["intitule"]) in draft
    # Never the CNCP's recensement: France compétences' procedure, linked to the entry.
    session.rollback()
    renewal_id = int(first_page.split("/")[2])
    instance = session.get(Instance, renewal_id)
    assert instance is not None and instance.process_version.key == "enregistrement-rs"


def test_the_rs_procedure_is_offered_to_submitters(browser_factory: NewBrowser) -> None:
    browser = browser_factory()
    browser.login("mandataire@example.org")
    page = text_of(browser.get("/demandes/"))
    assert "Nouvelle demande d'enregistrement au Répertoire spécifique" in page


@pytest.mark.parametrize(
    ("key", "title", "scenario"),
    [
        (
            "enregistrement-rs",
            "Enregistrement au Répertoire spécifique",
            "Avis conforme défavorable, puis refus motivé du directeur général",
        ),
        (
            "retrait-rs",
            "Retrait d'une certification du Répertoire spécifique",
            "Retrait du Répertoire spécifique après les observations du certificateur",
        ),
    ],
)
def test_the_studio_runs_the_rs_scenarios(
    browser: Browser, restore: None, key: str, title: str, scenario: str
) -> None:
    browser.login("proprietaire@example.org")
    assert title in text_of(browser.get("/studio/"))
    verdict = browser.client.post(
        f"/studio/api/{key}/brouillon/verification",
        headers={"X-CSRFToken": browser.csrf(f"/studio/{key}/")},
    ).get_json()
    assert verdict == {"deployable": True, "problems": []}
    tried = text_of(browser.post(f"/studio/{key}/scenarios", from_page=f"/studio/{key}/"))
    assert "Tous les scénarios passent" in tried
    assert scenario in tried


def test_a_fiche_whose_certifier_has_no_account_is_withdrawn_as_its_scenario_says(
    browser_factory: NewBrowser, session: Session, tmp_path: Path
) -> None:
    """The scenario `retrait_certificateur_sans_compte` of retrait-rs, played from a real
    imported fiche whose certifier has no account: the report goes by post, the delay runs,
    the commission and the director general decide, the fiche reads *Retirée*, and the
    open-data export says it is withdrawn whatever ETAT_FICHE it was imported with."""
    # Another fiche, which stays active, came with an ETAT_FICHE of France compétences' own.
    sample = tmp_path / "fiches.xml"
    given = REGISTER_SAMPLE.read_text(encoding="utf-8")
    other = re.compile(r"(<NUMERO_FICHE>RS6604</NUMERO_FICHE>.*?<ETAT_FICHE>)Publiée<", re.S)
    assert other.search(given)
    sample.write_text(other.sub(r"\1Publiée (modification en cours)<", given), encoding="utf-8")
    import_fiches(session, sample)
    session.commit()
    scenario = RETRAIT["retrait_certificateur_sans_compte"]
    numero = str(scenario.start_data["numero_inventaire"])
    services = browser_factory()
    services.login("rapporteur@example.org")
    opened = services.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert opened.status_code == 302
    shown = services.get(opened.headers["Location"])
    # What the scenario starts from is what the fiche gives (its date written in words).
    assert (
        f"Certification {numero} du Répertoire spécifique : "
        f"{scenario.start_data['intitule_certification']} "
        f"(validité jusqu'au {date_filter(scenario.start_data['fin_validite'])})."
    ) in text_of(shown)
    dossier = re.search(r"/instruction/dossiers/(\d+)", shown.get_data(as_text=True))
    reference = re.search(rf"(RET-{numero}-\d+)", text_of(shown))
    assert dossier and reference
    retrait = Walker(browser_factory, scenario.organisation, RS)
    retrait.browsers["rapporteur@example.org"] = services
    retrait.dossier_id = int(dossier.group(1))
    retrait.reference = reference.group(1)
    retrait.play(scenario)
    retrait.run_jobs()
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Certification retirée du registre le" in fiche
    assert str(scenario.steps[-1].data["motivation_retrait"]) in fiche

    # Imported « Publiée », withdrawn here: exported as withdrawn, as our own entries are.
    assert exported_fiche(browser_factory, numero) == ("Dépubliée/Archivée", "Non")
    # Still active: the ETAT_FICHE it came with.
    assert exported_fiche(browser_factory, "RS6604") == ("Publiée (modification en cours)", "Oui")
    # Imported back, the export reads the same.
    exported = tmp_path / "export.xml"
    exported.write_bytes(browser_factory().get("/registre/export.xml").get_data())
    session.rollback()
    import_fiches(session, exported)
    session.commit()
    assert exported_fiche(browser_factory, numero) == ("Dépubliée/Archivée", "Non")
    assert exported_fiche(browser_factory, "RS6604") == ("Publiée (modification en cours)", "Oui")


def exported_fiche(new_browser: NewBrowser, numero: str) -> tuple[str | None, str | None]:
    """ETAT_FICHE and ACTIF of the fiche `numero` in the register's XML export."""
    response = new_browser().get("/registre/export.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.get_data())
    [fiche] = [f for f in root.iter("FICHE") if f.findtext("NUMERO_FICHE") == numero]
    return fiche.findtext("ETAT_FICHE"), fiche.findtext("ACTIF")
