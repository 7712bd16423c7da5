"""What the submitter receives reads as the letters of an administration (issue 11, §1):
decisions with their reasons and the means of appeal, an acknowledgement that says what the
CRPA asks, every step told, to the account and to the dossier's contact address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, add_months
from engine.core.models import Email
from engine.core.settings import NoLinks, ServiceContact
from engine.core.typography import long_date
from engine.emails.templates import render, template, templates
from engine.studio.scenario import load_scenarios
from tests.clock import run_worker_at
from tests.dossiers import SCENARIOS, data_of, walk_until
from tests.support import Browser, main_text, text_of
from tests.walk import DEMANDEUR_OF, PROCESSES, RS, Walker

NewBrowser = Callable[[], Browser]
SERVICE = "Secrétariat de la Commission nationale de la certification professionnelle"
APPEAL = (
    "recours gracieux",
    "recours contentieux devant le tribunal administratif",
    "deux mois à compter de sa notification",
    "R.\u00a0421-1",
    "R.\u00a0421-5",
)


def letters(session: Session, instance_id: int | None, to: str) -> list[Email]:
    session.rollback()
    return list(
        session.scalars(
            select(Email)
            .where(Email.instance_id == instance_id, Email.recipient == to)
            .order_by(Email.id)
        )
    )


def played(browser_factory: NewBrowser, scenario: str) -> Walker:
    walker = Walker(browser_factory, SCENARIOS[scenario].organisation)
    walker.play(SCENARIOS[scenario])
    walker.run_jobs()
    return walker


def assert_letter(body: str) -> None:
    assert body.startswith("Madame, Monsieur,")
    assert "salutations distinguées" in body
    assert SERVICE in body


def test_a_refusal_states_the_decisions_reasons_and_the_two_month_appeal(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = played(browser_factory, "refus")
    submitter = DEMANDEUR_OF[SCENARIOS["refus"].organisation]
    [decision] = [
        e for e in letters(session, walker.dossier_id, submitter) if "décision" in e.subject
    ]
    assert_letter(decision.body)
    assert data_of("refus", "prononcer_refus")["motivation_decision"] in decision.body
    assert all(words in decision.body for words in APPEAL)
    # The deliberation's internal opinion is not what is notified.
    assert data_of("refus", "deliberer")["motivation"] not in decision.body
    # The submitter's dossier page shows the same decision.
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Refusée" in page


def test_an_irrecevabilite_states_its_reason_and_the_appeal(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = played(browser_factory, "irrecevable")
    submitter = DEMANDEUR_OF[SCENARIOS["irrecevable"].organisation]
    [letter] = [
        e for e in letters(session, walker.dossier_id, submitter) if "irrecevable" in e.subject
    ]
    assert_letter(letter.body)
    assert data_of("irrecevable", "examiner_recevabilite")["motif"] in letter.body
    assert all(words in letter.body for words in APPEAL)


def test_a_classement_sans_suite_states_its_reason_and_the_appeal(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = played(browser_factory, "classee_sans_suite")
    submitter = DEMANDEUR_OF[SCENARIOS["classee_sans_suite"].organisation]
    [letter] = [
        e for e in letters(session, walker.dossier_id, submitter) if "sans suite" in e.subject
    ]
    assert_letter(letter.body)
    assert "ne nous sont pas parvenus dans le délai fixé" in letter.body
    assert data_of("classee_sans_suite", "examiner_recevabilite")["complements_demandes"] in (
        letter.body
    )
    assert all(words in letter.body for words in APPEAL)


def test_the_acknowledgement_gives_the_date_the_service_and_its_contacts(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.run_jobs()
    submitter = DEMANDEUR_OF["ministere"]
    [receipt] = letters(session, walker.dossier_id, submitter)
    assert receipt.subject == f"Accusé de réception de votre demande {walker.reference}"
    body = receipt.body
    assert_letter(body)
    today = long_date(datetime.now(UTC).astimezone(PARIS).date())  # a letter's date, in words
    assert f"reçue le {today} sous la référence {walker.reference}" in body
    assert "Adresse postale\u00a0: 14 avenue Duquesne, 75350 Paris 07 SP" in body
    assert "Courriel\u00a0: secretariat-cncp@inventaire.example" in body
    assert "Téléphone\u00a0: 01 99 00 12 34" in body
    # The process sets no implicit decision: none is announced; no promise of every step.
    assert "silence" not in body
    assert "chaque étape" not in body


def test_the_acknowledgement_says_what_silence_makes_where_the_process_sets_it() -> None:
    context = {
        "reference": "INV-2026-00001",
        "intitule": "Certificat",
        "date_depot": "05/12/2026",
        "silence_vaut": "rejet",
        "silence_libelle": "une décision implicite de rejet",
        "silence_delai_mois": 4,
        "silence_date": "05/04/2027",
    } | ServiceContact(SERVICE, "1 rue X", "s@example.org", "01 99 00 00 00").template_values()
    _, body = render(template("accuse_depot"), context)
    assert "délai de 4 mois" in body
    assert "soit le 05/04/2027" in body
    assert "vaudra une décision implicite de rejet" in body
    assert "R.\u00a0421-2" in body  # how to contest the implicit rejection
    _, body = render(
        template("accuse_depot"),
        context | {"silence_vaut": "acceptation", "silence_libelle": "une décision implicite"},
    )
    assert "L.\u00a0232-3" in body


def test_the_silence_date_counts_calendar_months() -> None:
    start = datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
    assert add_months(start, 4).strftime("%d/%m/%Y") == "28/02/2027"
    assert add_months(start, 2).strftime("%d/%m/%Y") == "31/12/2026"


def test_every_step_reaches_the_account_and_the_contact_address(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = played(browser_factory, "favorable")
    account = DEMANDEUR_OF[SCENARIOS["favorable"].organisation]
    contact = data_of("favorable", "saisir_demande")["contact_courriel"]
    assert contact != account
    expected = [
        f"Accusé de réception de votre demande {walker.reference}",
        f"Demande {walker.reference} déclarée recevable",
        f"Demande {walker.reference}\u00a0: séance du ",
        f"Demande {walker.reference}\u00a0: décision",
        "votre certification est publiée à l'Inventaire",
    ]
    for to in (account, contact):
        received = [e.subject for e in letters(session, walker.dossier_id, to)]
        assert len(received) == len(expected), (to, received)
        assert all(part in subject for part, subject in zip(expected, received, strict=True))
    rapporteur_told = [
        e.subject
        for e in letters(session, walker.dossier_id, walker.rapporteur)
        if "inscrit à la séance" in e.subject
    ]
    assert len(rapporteur_told) == 1


def test_templates_are_letters_and_partials_are_not_templates() -> None:
    names = set(templates())
    assert "_signature" not in names and "_voies_recours" not in names
    for name, found in templates().items():
        if name.startswith("retrait_"):
            continue
        assert found.body.lstrip().startswith("Madame, Monsieur,"), name
        assert '{% include "_signature.txt" %}' in found.body, name
    _, body = render(template("tache_en_attente"), {"tache": "Délibérer"})
    assert "salutations distinguées" in body


def test_only_partials_can_be_included() -> None:
    from engine.core.errors import ExecutionError
    from engine.emails.templates import EmailTemplate

    sneaky = EmailTemplate("x", "demandeur", "x", '{% include "decision.txt" %}', "")
    with pytest.raises(ExecutionError):
        render(sneaky, {})


def test_the_service_settings_override_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from web.config import engine_settings, from_environment

    monkeypatch.setenv("INVENTAIRE_SERVICE_TELEPHONE", "01 99 00 55 55")
    settings = engine_settings(from_environment("/tmp"), NoLinks())
    process = ServiceContact(SERVICE, "1 rue X", "s@example.org", "01 99 00 12 34")
    merged = process.overridden_by(settings.service_override("cncp"))
    assert merged.telephone == "01 99 00 55 55"
    assert merged.nom == SERVICE and merged.courriel == "s@example.org"


CNCP_ADDRESS = "2 rue de l'Exploitant, 75001 Paris"
CNCP_PHONE = "01 99 00 77 77"
FC_EMAIL = "certification@francecompetences.example"


@pytest.fixture
def operated(
    db_engine: Engine,
    database_url: str,
    upload_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """The application as an operator set it up: the CNCP's address (unkeyed, as before) and
    telephone (keyed by its service's id), France compétences' email (keyed)."""
    from web import create_app

    monkeypatch.setenv("INVENTAIRE_SERVICE_ADRESSE", CNCP_ADDRESS)
    monkeypatch.setenv("INVENTAIRE_SERVICE_CNCP_TELEPHONE", CNCP_PHONE)
    monkeypatch.setenv("INVENTAIRE_SERVICE_FRANCE_COMPETENCES_COURRIEL", FC_EMAIL)
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(upload_dir),
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield application
    application.extensions["db_engine"].dispose()


def first_letter(session: Session, template_name: str) -> Email:
    session.rollback()
    found = session.scalars(select(Email).where(Email.template == template_name)).first()
    assert found is not None, template_name
    return found


def test_the_operators_settings_sign_only_their_own_services_letters(
    operated: Flask, session: Session
) -> None:
    """An address set for the CNCP never signs France compétences' letters, and France
    compétences' email never the CNCP's."""

    def new_browser() -> Browser:
        return Browser(operated.test_client())

    rs = Walker(new_browser, "certificateur", RS)
    favorable_rs = next(
        s for s in load_scenarios(PROCESSES / "enregistrement-rs") if s.name == "favorable"
    )
    rs.deposer(favorable_rs.steps[0].data, "deposer_demande")
    inventaire = Walker(new_browser, "ministere")
    inventaire.deposer(data_of("favorable", "saisir_demande"))
    run_worker_at(operated.extensions["db_sessions"], datetime.now(UTC))

    letter = first_letter(session, "rs_accuse_depot").body
    assert "France compétences – Direction de la certification professionnelle" in letter
    assert "11 rue Scribe, 75009 Paris" in letter
    assert FC_EMAIL in letter
    assert CNCP_ADDRESS not in letter and CNCP_PHONE not in letter

    letter = first_letter(session, "accuse_depot").body
    assert SERVICE in letter
    assert CNCP_ADDRESS in letter and CNCP_PHONE in letter
    assert "14 avenue Duquesne" not in letter
    assert FC_EMAIL not in letter

    # The acknowledgement on each dossier page names its own service.
    rs_page = main_text(rs.demandeur.get(f"/demandes/{rs.dossier_id}"))
    assert "(France compétences – Direction de la certification professionnelle)" in rs_page
    page = main_text(inventaire.demandeur.get(f"/demandes/{inventaire.dossier_id}"))
    assert f"({SERVICE})" in page
