"""The documents an administration sends, generated as PDFs when their cause happens: walked
through HTTP by the users, read back as they download them (the PDF's text through pypdf),
with what each must not get."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import AuditEvent, Document, Email, Instance, Job, User
from engine.core.typography import date_filter
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.studio.scenario import SAMPLE_PDF, Scenario, load_scenarios
from engine.workflow import documents
from tests.documents import listed_pieces, pdf_text
from tests.dossiers import SCENARIOS, data_of, walk_until
from tests.recensed import recensed
from tests.support import Browser, text_of
from tests.walk import INVENTAIRE, PROCESS, PROCESSES, RS, Walker

NewBrowser = Callable[[], Browser]
REFUS = SCENARIOS["refus"]
RS_SCENARIOS = {s.name: s for s in load_scenarios(PROCESSES / "enregistrement-rs")}
PDF = "application/pdf"


def refused(new_browser: NewBrowser) -> Walker:
    """The refus scenario walked by its users, then the worker's jobs run."""
    walker = Walker(new_browser, REFUS.organisation)
    walker.play(REFUS)
    walker.run_jobs()
    return walker


def signed_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def reasons_of(scenario: str, task: str) -> str:
    return " ".join(str(data_of(scenario, task)["motivation_decision"]).split())


# --- the decision letter ------------------------------------------------------------------------


def test_a_refusal_puts_its_decision_letter_among_the_submitters_pieces(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = refused(browser_factory)
    page = f"/demandes/{walker.dossier_id}"
    pieces = listed_pieces(walker.demandeur, page)
    assert "Lettre de décision" in pieces, pieces
    letter = walker.demandeur.get(f"/pieces/{pieces['Lettre de décision']}")
    assert letter.status_code == 200
    assert letter.mimetype == PDF
    assert "attachment" in letter.headers["Content-Disposition"]
    text = pdf_text(letter.data)
    # The decision's own reasons, and how to contest it: two months, gracieux and contentieux.
    assert reasons_of("refus", "prononcer_refus") in text
    assert "Voies et délais de recours" in text
    assert "dans un délai de deux mois à compter de sa notification" in text
    assert "recours gracieux" in text and "tribunal administratif" in text
    assert walker.reference is not None and walker.reference in text
    assert "Madame, Monsieur" in text

    # Its SHA-256 is in the history the submitter reads, and is the file's.
    digest = hashlib.sha256(letter.data).hexdigest()
    assert digest in text_of(walker.demandeur.get(page))
    session.rollback()
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.instance_id == walker.dossier_id, AuditEvent.kind == "document")
        .order_by(AuditEvent.id.desc())
    )
    assert event is not None and event.details is not None
    assert event.details["sha256"] == digest

    # The decision's email says the letter is among the pieces, with the dossier's link.
    body = session.scalar(
        select(Email.body).where(
            Email.instance_id == walker.dossier_id, Email.template == "decision"
        )
    )
    assert body is not None
    assert "Lettre de décision" in body and f"/demandes/{walker.dossier_id}" in body


def test_the_acknowledgement_says_when_the_request_was_received_and_who_handles_it(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.run_jobs()
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    assert "Accusé de réception" in pieces, pieces
    text = pdf_text(walker.demandeur.get(f"/pieces/{pieces['Accusé de réception']}").data)
    session.rollback()
    instance = session.get(Instance, walker.dossier_id)
    assert instance is not None and instance.date_depot is not None
    assert f"reçue le {' '.join(date_filter(instance.date_depot).split())}" in text
    assert walker.reference is not None and walker.reference in text
    # The service in charge with its postal address, email and telephone (CRPA R. 112-5).
    for contact in (
        "Secrétariat de la Commission nationale de la certification professionnelle",
        "14 avenue Duquesne, 75350 Paris 07 SP",
        "secretariat-cncp@inventaire.example",
        "01 99 00 12 34",
    ):
        assert contact in text, contact


def test_a_recensed_dossier_has_its_attestation_with_its_number(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = recensed(browser_factory)
    walker.run_jobs()
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    assert "Attestation de recensement" in pieces, pieces
    assert "Lettre de décision" in pieces
    text = pdf_text(walker.demandeur.get(f"/pieces/{pieces['Attestation de recensement']}").data)
    assert "Attestation de recensement à l'Inventaire" in text
    assert numero in text
    assert data_of("favorable", "saisir_demande")["intitule"] in text
    session.rollback()
    body = session.scalar(
        select(Email.body).where(
            Email.instance_id == walker.dossier_id, Email.template == "publication"
        )
    )
    assert body is not None and "Attestation de recensement" in body


# --- opening and downloading ------------------------------------------------------------------


def test_a_pdf_opens_in_the_browser_in_a_sandbox_and_still_downloads(
    browser_factory: NewBrowser,
) -> None:
    walker = walk_until(browser_factory, "examiner_recevabilite")
    walker.run_jobs()
    page = f"/demandes/{walker.dossier_id}"
    piece = listed_pieces(walker.demandeur, page)["Accusé de réception"]
    assert f'href="/pieces/{piece}/ouvrir"' in walker.demandeur.get(page).get_data(as_text=True)
    opened = walker.demandeur.get(f"/pieces/{piece}/ouvrir")
    assert opened.status_code == 200
    assert opened.mimetype == PDF
    assert opened.headers["Content-Disposition"].startswith("inline")
    policy = opened.headers["Content-Security-Policy"]
    assert policy.split(";")[0].strip() == "sandbox"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    downloaded = walker.demandeur.get(f"/pieces/{piece}")
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.data == opened.data
    # The site's pages keep their own policy, without the sandbox.
    assert "sandbox" not in walker.demandeur.get(page).headers["Content-Security-Policy"]


def test_a_dossiers_zip_holds_exactly_the_pieces_its_reader_may_download(
    browser_factory: NewBrowser, session: Session, upload_dir: Path
) -> None:
    walker = refused(browser_factory)
    session.rollback()
    instance = session.get(Instance, walker.dossier_id)
    secretariat = session.scalar(select(User).where(User.email == "recevabilite@example.org"))
    assert instance is not None and secretariat is not None
    internal = documents.store(
        session,
        documents.DocumentStore(upload_dir),
        Actor.from_user(secretariat),
        instance,
        None,
        "note interne: avis/du ../secrétariat.pdf",
        io.BytesIO(SAMPLE_PDF),
    )
    session.commit()
    every = {
        doc.id: doc
        for doc in session.scalars(select(Document).where(Document.instance_id == instance.id))
    }

    def zip_of(browser: Browser) -> zipfile.ZipFile:
        response = browser.get(f"/pieces/dossiers/{instance.id}.zip")
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        assert f"pieces-{walker.reference}.zip" in response.headers["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        assert archive.testzip() is None
        return archive

    submitter = walker.demandeur
    listed = set(listed_pieces(submitter, f"/demandes/{instance.id}").values())
    assert internal.id not in listed and "Lettre de décision" in listed_pieces(
        submitter, f"/demandes/{instance.id}"
    )
    archive = zip_of(submitter)
    contents = sorted(archive.read(name) for name in archive.namelist())
    assert len(archive.namelist()) == len(listed)
    assert contents == sorted(
        (
            upload_dir / every[i].storage_key[:2] / every[i].storage_key[2:4] / every[i].storage_key
        ).read_bytes()
        for i in listed
    )
    # The submitter's ZIP never holds the staff's piece; the secretariat's holds every piece.
    assert not any("secr" in name for name in archive.namelist())
    staff = zip_of(signed_in(browser_factory, "recevabilite@example.org"))
    assert len(staff.namelist()) == len(every)
    names = staff.namelist()
    assert len(set(names)) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and ":" not in name
        assert not name.startswith(".")


def test_another_organisations_submitter_gets_404_for_every_document(
    browser_factory: NewBrowser,
) -> None:
    walker = refused(browser_factory)
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    stranger = signed_in(browser_factory, "demandeur@example.org")
    assert REFUS.organisation != "ministere"
    urls = [
        f"/pieces/dossiers/{walker.dossier_id}.zip",
        f"/pieces/dossiers/{walker.dossier_id}/recapitulatif.pdf",
        *(f"/pieces/{piece}" for piece in pieces.values()),
        *(f"/pieces/{piece}/ouvrir" for piece in pieces.values()),
    ]
    for url in urls:
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert b"%PDF" not in response.data[:10] and b"PK" not in response.data[:2]
        assert "Page introuvable" in text_of(response)


def test_the_summary_is_what_its_reader_sees_of_the_dossier(
    browser_factory: NewBrowser,
) -> None:
    walker = refused(browser_factory)
    url = f"/pieces/dossiers/{walker.dossier_id}/recapitulatif.pdf"
    assert f'href="{url}"' in walker.demandeur.get(f"/demandes/{walker.dossier_id}").get_data(
        as_text=True
    )
    summary = walker.demandeur.get(url)
    assert summary.status_code == 200 and summary.mimetype == PDF
    assert summary.headers["Content-Security-Policy"].startswith("sandbox")
    text = pdf_text(summary.data)
    assert "Récapitulatif du dossier" in text and walker.reference in text
    assert data_of("refus", "saisir_demande")["intitule"] in text
    assert "Lettre de décision" in text and "Refusée" in text
    # The rapporteur's report and the deliberation stay internal: the staff's summary has them.
    report = " ".join(str(data_of("refus", "instruire_demande")["rapport"]).split())[:60]
    deliberation = " ".join(str(data_of("refus", "deliberer")["motivation"]).split())[:60]
    staff_text = pdf_text(signed_in(browser_factory, "recevabilite@example.org").get(url).data)
    for secret in (report, deliberation):
        assert secret not in text
        assert secret in staff_text
    assert "Rapporteur" not in text


# --- a template that does not fit: an incident, never a 500 -----------------------------------


def test_a_document_template_that_does_not_fit_its_step_is_an_incident_in_french(
    browser_factory: NewBrowser, session: Session, restore: None
) -> None:
    """A process owner puts the decision letter on the admissibility step, where the decision
    is « recevable »: the letter's job is an incident at once, with the reason in French; the
    dossier goes on. (An unknown template is refused at deploy: test_deploy_checks.)"""
    files = read_folder(PROCESS)
    diagram = "recensement.bpmn"
    anchor = (
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="examiner_recevabilite.schema.json" />'
    )
    assert anchor in files[diagram]
    files[diagram] = files[diagram].replace(
        anchor,
        anchor + '\n          <spiffworkflow:property name="document" value="decision" />',
    )
    deploy(session, files)
    session.commit()
    walker = walk_until(browser_factory, "designer_rapporteur")
    walker.run_jobs()
    session.rollback()
    failed = {
        job.payload["modele"]: job
        for job in session.scalars(
            select(Job).where(Job.instance_id == walker.dossier_id, Job.kind == "document")
        )
        if job.status == "failed"
    }
    assert set(failed) == {"decision"}
    assert failed["decision"].attempts == 1  # trying again cannot mend it
    assert (
        "Le modèle de document «\u00a0decision\u00a0» ne s'applique pas à ce dossier\u00a0: "
        "la décision «\u00a0recevable\u00a0» n'est ni un recensement ni un refus"
        in (failed["decision"].last_error or "")
    )
    # The dossier went on; the acknowledgement of its dépôt was made.
    assert "Accusé de réception" in listed_pieces(
        walker.demandeur, f"/demandes/{walker.dossier_id}"
    )
    assert "Désigner le rapporteur" in text_of(
        walker.as_user("recevabilite@example.org").get(f"/instruction/dossiers/{walker.dossier_id}")
    )
    incidents = signed_in(browser_factory, "admin@example.org").get("/admin/incidents")
    assert incidents.status_code == 200
    assert "ne s'applique pas à ce dossier" in text_of(incidents)


# --- the marks ----------------------------------------------------------------------------------


def test_only_an_official_service_bears_the_bloc_marque_in_marianne() -> None:
    """The DSFR's bloc-marque is the State's: an official service's documents bear it (as its
    pages do, INVENTAIRE_OFFICIAL), others say they are not official; both are in Marianne."""
    from pypdf import PdfReader

    from engine.core.settings import EngineSettings
    from engine.pdf import rendering
    from engine.pdf.templates import render, template
    from web.config import DSFR_DIR

    values = {"reference": "INV-2026-00042", "date_depot": "02/02/2026", "intitule": "Essai"}
    texts = {}
    for official in (True, False):
        _, html = render(template("accuse_reception"), values | {"officiel": official})
        content = rendering.pdf_from_html(
            html, EngineSettings(dsfr_dir=DSFR_DIR, official=official)
        )
        texts[official] = pdf_text(content)
        fonts = {
            str(font.get_object()["/BaseFont"])
            for page in PdfReader(io.BytesIO(content)).pages
            for font in page["/Resources"]["/Font"].values()
        }
        assert fonts and all("Marianne" in font for font in fonts), fonts
    assert texts[True].startswith("RÉPUBLIQUE FRANÇAISE")
    assert "pas un service officiel" not in texts[True]
    assert "RÉPUBLIQUE" not in texts[False]
    assert "qui n'est pas un service officiel de l'État" in texts[False]


# --- the other procedures -----------------------------------------------------------------------


def test_an_rs_registration_has_its_decision_letter_and_its_attestation(
    browser_factory: NewBrowser,
) -> None:
    from tests.integration.test_rs_procedure import registered

    walker, numero = registered(browser_factory)
    walker.run_jobs()
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    attestation = "Attestation d'enregistrement au Répertoire spécifique"
    assert {"Accusé de réception", "Lettre de décision", attestation} <= set(pieces), pieces
    letter = pdf_text(walker.demandeur.get(f"/pieces/{pieces['Lettre de décision']}").data)
    assert "enregistrement au Répertoire spécifique pour" in letter
    assert "directeur général de France compétences" in letter
    text = pdf_text(walker.demandeur.get(f"/pieces/{pieces[attestation]}").data)
    assert numero in text and "France compétences atteste" in text
    assert "L. 6113-6" in text


def test_a_withdrawal_is_decided_by_a_letter_with_its_reasons_and_the_means_of_appeal(
    browser_factory: NewBrowser,
) -> None:
    from engine.studio.scenario import load_scenarios
    from tests.integration.test_retrait_procedure import open_retrait

    walker, numero = recensed(browser_factory)
    retrait, _commission, _url = open_retrait(walker, numero)
    played = {s.name: s for s in load_scenarios(PROCESS.parent / "retrait")}
    steps = played["retrait_apres_observations"].steps
    for step in steps:
        retrait.step(step.task, step.data, step.timer)
    walker.run_jobs()
    pieces = listed_pieces(walker.demandeur, f"/demandes/{retrait.dossier_id}")
    assert "Décision sur le retrait" in pieces, pieces
    text = pdf_text(walker.demandeur.get(f"/pieces/{pieces['Décision sur le retrait']}").data)
    decided = steps[-1].data
    assert " ".join(str(decided["motivation_retrait"]).split()) in text
    assert f"retiré de l'Inventaire la certification {numero}" in text
    assert "jusqu'au 30 juin 2027" in text
    assert "dans un délai de deux mois à compter de sa notification" in text


# --- the irrecevabilité and the classement sans suite -------------------------------------------

APPEAL_WORDS = (
    "Voies et délais de recours",
    "dans un délai de deux mois à compter de sa notification",
    "recours gracieux",
    "tribunal administratif",
    "R. 421-1",  # (flattened: no-break spaces read as spaces)
)
RS_APPEAL_WORDS = (
    "Voies et délais de recours",
    "recours gracieux auprès du directeur général de France compétences",
    "tribunal administratif",
    "deux mois à compter de la notification",
)


def flat(text: str) -> str:
    return " ".join(text.split())


def letter_of(walker: Walker, libelle: str) -> str:
    """The text of the PDF letter the submitter downloads from their dossier's pieces."""
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    assert libelle in pieces, pieces
    response = walker.demandeur.get(f"/pieces/{pieces[libelle]}")
    assert response.status_code == 200 and response.mimetype == PDF
    return flat(pdf_text(response.data))


def announced(session: Session, walker: Walker, template: str, libelle: str) -> None:
    session.rollback()
    body = session.scalar(
        select(Email.body).where(Email.instance_id == walker.dossier_id, Email.template == template)
    )
    assert body is not None and libelle in body, body


@pytest.mark.parametrize(
    ("processes", "scenario", "template", "appeal"),
    [
        (INVENTAIRE, SCENARIOS["irrecevable"], "irrecevable", APPEAL_WORDS),
        (RS, RS_SCENARIOS["irrecevable"], "rs_irrecevable", RS_APPEAL_WORDS),
    ],
    ids=["recensement", "rs"],
)
def test_an_irrecevabilite_letter_states_its_reason_and_the_appeal(
    browser_factory: NewBrowser,
    session: Session,
    processes: tuple[str, ...],
    scenario: Scenario,
    template: str,
    appeal: tuple[str, ...],
) -> None:
    walker = Walker(browser_factory, scenario.organisation, processes)
    walker.play(scenario)
    walker.run_jobs()
    text = letter_of(walker, "Décision d'irrecevabilité")
    motif = next(step.data["motif"] for step in scenario.steps if step.data.get("motif"))
    assert flat(str(motif)) in text
    assert "déclarée irrecevable" in text and "Motifs" in text
    for words in appeal:
        assert words in text, words
    assert walker.reference is not None and walker.reference in text
    assert "Madame, Monsieur" in text
    announced(session, walker, template, "Décision d'irrecevabilité")


@pytest.mark.parametrize(
    ("processes", "scenario", "template", "appeal"),
    [
        (INVENTAIRE, SCENARIOS["classee_sans_suite"], "classee_sans_suite", APPEAL_WORDS),
        (RS, RS_SCENARIOS["classee_sans_suite"], "rs_classee_sans_suite", RS_APPEAL_WORDS),
    ],
    ids=["recensement", "rs"],
)
def test_a_classement_sans_suite_letter_states_what_was_missing_and_the_appeal(
    browser_factory: NewBrowser,
    session: Session,
    processes: tuple[str, ...],
    scenario: Scenario,
    template: str,
    appeal: tuple[str, ...],
) -> None:
    walker = Walker(browser_factory, scenario.organisation, processes)
    walker.play(scenario)
    walker.run_jobs()
    text = letter_of(walker, "Décision de classement sans suite")
    asked = next(
        step.data["complements_demandes"]
        for step in scenario.steps
        if step.data.get("complements_demandes")
    )
    assert flat(str(asked)) in text
    assert "classée sans suite" in text
    assert "ne nous sont pas parvenus dans le délai fixé" in text
    assert "L. 114-5" in text and "21 jours" in text
    for words in appeal:
        assert words in text, words
    announced(session, walker, template, "Décision de classement sans suite")
    # Another organisation's submitter cannot fetch it.
    pieces = listed_pieces(walker.demandeur, f"/demandes/{walker.dossier_id}")
    stranger = signed_in(browser_factory, "demandeur@example.org")
    assert stranger.get(f"/pieces/{pieces['Décision de classement sans suite']}").status_code == 404
