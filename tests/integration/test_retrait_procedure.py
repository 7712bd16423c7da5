"""The retrait of a certification as its users live it: the commission engages it for a listed
ground with at least the process's delay for observations (shorter is refused), the certifier
asks to be heard and the commission schedules the hearing, an agent works the postal branch,
the decision is notified with its reasons and the means of appeal, and the fiche shows until
when attestations may still be delivered."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, add_months_to_date
from engine.core.models import Email, Job, JobStatus, RegisterEntry
from engine.core.typography import long_date
from engine.definitions.definition import build_definition
from engine.definitions.folders import read_folder
from engine.workflow.task_page import render_instructions
from tests.dossiers import SCENARIOS
from tests.recensed import recensed
from tests.support import Browser, pdf, text_of
from tests.walk import PROCESSES, Walker
from web.filters import datetime_fr

NewBrowser = Callable[[], Browser]
FAVORABLE = SCENARIOS["favorable"]


def open_retrait(walker: Walker, numero: str) -> tuple[Walker, Browser, str]:
    """The commission opens the retrait from the fiche: the walker of that dossier, the
    commission's browser and the URL of *Engager le retrait*."""
    commission = walker.as_user("commission@example.org")
    opened = commission.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert opened.status_code == 302
    task_url = opened.headers["Location"]
    shown = commission.get(task_url)
    retrait = Walker(walker.new_browser, FAVORABLE.organisation)
    retrait.browsers = walker.browsers
    dossier = re.search(r"/instruction/dossiers/(\d+)", shown.get_data(as_text=True))
    reference = re.search(r"(RET-INV\d{5}-\d+)", text_of(shown))
    assert dossier and reference
    retrait.dossier_id = int(dossier.group(1))
    retrait.reference = reference.group(1)
    return retrait, commission, task_url


def email_seen_by_admin(new_browser: NewBrowser, session: Session, template: str) -> str:
    """The body of the email `template`, as the administrator reads it in the outbox."""
    session.rollback()  # a fresh read: the worker committed since
    email_id = session.scalar(
        select(Email.id).where(Email.template == template).order_by(Email.id.desc())
    )
    assert email_id is not None, f"no email {template}"
    admin = new_browser()
    admin.login("admin@example.org")
    page = admin.get(f"/admin/courriels/{email_id}")
    assert page.status_code == 200
    return text_of(page)


def test_a_delay_under_the_process_value_is_refused_and_the_grounds_are_listed(
    browser_factory: NewBrowser,
) -> None:
    walker, numero = recensed(browser_factory)
    _retrait, commission, task_url = open_retrait(walker, numero)
    claimed = commission.post(f"{task_url}/prendre", from_page=task_url)
    assert claimed.status_code == 302
    page = text_of(commission.get(task_url))
    for ground in (
        "Certification devenue obsolète",
        "Conditions ou critères du recensement plus respectés",
        "Certification qui n'est plus délivrée",
        "Fraude ou fausses déclarations",
        "Demande du certificateur",
    ):
        assert ground in page
    assert "Au moins le délai que fixe la règle du processus" in page

    motif = "Aucune session d'évaluation depuis deux ans."
    refused = commission.post(
        task_url,
        {
            "motif_categorie": "plus_delivree",
            "motif_retrait": motif,
            "delai_observations_jours": "20",
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "30" in shown and "Délai pour présenter des observations" in shown
    assert motif in shown, "what was typed is kept"


def test_the_certifier_asks_to_be_heard_then_the_withdrawal_is_notified_with_appeal(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = recensed(browser_factory)
    retrait, _commission, _url = open_retrait(walker, numero)
    motif = "Des attestations ont été délivrées sans évaluation."
    retrait.step(
        "engager_retrait",
        {"motif_categorie": "fraude", "motif_retrait": motif, "delai_observations_jours": 30},
    )
    walker.run_jobs()
    told = email_seen_by_admin(browser_factory, session, "retrait_envisage")
    assert "Madame, Monsieur," in told and "Fraude ou fausses déclarations".lower() in told.lower()
    assert "demander à être entendu" in told

    # The certifier answers and asks to be heard.
    page = text_of(walker.demandeur.get(f"/demandes/{retrait.dossier_id}"))
    assert "Présenter des observations" in page and motif in page
    # What the commission engaged, as a sentence addressed to the certifier (text_of reads
    # every space as a plain one), never the commission's choices nor its buttons.
    assert (
        "La commission envisage de retirer votre certification de l'Inventaire pour le motif "
        "suivant : fraude ou fausses déclarations." in page
    )
    assert "Vous disposez de 30 jours pour présenter vos observations écrites" in page
    assert not {"Fraude ou fausses déclarations", "Informer le certificateur"} & words_in(page)
    # By when, on the dossier and on the task's own page; the delay's end does not close the
    # dossier: the commission goes on without the observations.
    due = datetime_fr(timer_due(session, "delai_observations_echu"))
    task_url = re.search(
        rf'href="(/demandes/{retrait.dossier_id}/taches/\d+)"',
        walker.demandeur.get(f"/demandes/{retrait.dossier_id}").get_data(as_text=True),
    )
    assert task_url
    for shown in (page, text_of(walker.demandeur.get(task_url.group(1)))):
        assert (
            f"À faire au plus tard le {due}. Sans réponse à cette date, le dossier passe au "
            in shown
        )
        assert "le dossier est clos" not in shown
    retrait.step(
        "presenter_observations",
        {"observations": "Nous contestons ces faits.", "demande_audition": True},
    )
    # The commission schedules the hearing; the certifier is told its date.
    retrait.step(
        "planifier_audition",
        {"date_audition": "2031-03-14", "modalites_audition": "À 14 h, salle 2."},
    )
    walker.run_jobs()
    page = text_of(walker.demandeur.get(f"/demandes/{retrait.dossier_id}"))
    assert "La commission vous entendra le 14/03/2031. Modalités : À 14 h, salle 2." in page
    assert "Date de l'audition" not in page
    convocation = email_seen_by_admin(browser_factory, session, "retrait_audition")
    assert "La commission vous entendra le 14 mars 2031" in convocation
    assert "À 14 h, salle 2." in convocation
    retrait.pass_time("attendre_audition")  # the hearing's day, 9:00 in Paris
    retrait.step(
        "entendre_certificateur",
        {
            "audition_tenue": "tenue",
            "compte_rendu_audition": "Le certificateur reconnaît les faits.",
        },
    )
    retrait.step(
        "statuer_retrait",
        {
            "decision_retrait": "retrait",
            "motivation_retrait": "Attestations délivrées sans évaluation, faits reconnus.",
            "date_limite_delivrance": "2031-09-30",
        },
    )
    walker.run_jobs()

    decision = email_seen_by_admin(browser_factory, session, "retrait_prononce")
    assert "Attestations délivrées sans évaluation, faits reconnus." in decision
    assert "recours gracieux" in decision and "deux mois" in decision
    assert "tribunal administratif" in decision and "R. 421-1" in decision
    assert "jusqu'au 30 septembre 2031" in decision

    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Certification retirée du registre le" in fiche
    assert "attestations délivrées jusqu'au 30/09/2031" in fiche
    assert "Date limite de délivrance des attestations 30/09/2031" in fiche

    # The certifier's dossier reads the decision, not the commission's form.
    page = text_of(walker.demandeur.get(f"/demandes/{retrait.dossier_id}"))
    assert (
        "La commission a retiré votre certification de l'Inventaire pour les motifs suivants : "
        "Attestations délivrées sans évaluation, faits reconnus." in page
    )
    assert (
        "Les candidats déjà engagés peuvent encore l'obtenir : attestations délivrées "
        "jusqu'au 30/09/2031." in page
    )
    shown = words_in(page)
    assert not {"Retirer la certification de l'Inventaire", "Motifs de la décision"} & shown


def test_the_postal_branch_an_agent_works_and_the_default_deadline(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = recensed(browser_factory)
    # The certifier has no account: the entry's dossier belongs to no organisation any more.
    entry = session.scalar(select(RegisterEntry).where(RegisterEntry.numero == numero))
    assert entry is not None
    entry.instance_id = None
    entry.certificateurs = {"certificateurs": [{"nom": "Organisme sans compte"}]}
    session.commit()

    retrait, _commission, _url = open_retrait(walker, numero)
    retrait.step(
        "engager_retrait",
        {
            "motif_categorie": "non_respect_conditions",
            "motif_retrait": "Le jury ne comprend plus de professionnels du secteur.",
            "delai_observations_jours": 30,
        },
    )
    # The secretariat records the letter sent, then the observations received on paper.
    retrait.step(
        "envoyer_courrier",
        {"date_envoi_courrier": "2026-12-07", "reference_envoi": "1A 234 567 8901 2"},
    )
    agent = retrait.as_user("recevabilite@example.org")
    inbox = agent.get("/instruction/?etape=enregistrer_observations").get_data(as_text=True)
    task = re.search(rf'href="(/instruction/taches/\d+)">{retrait.reference}<', inbox)
    assert task, "the agent finds the observations to record"
    url = task.group(1)
    assert agent.post(f"{url}/prendre", from_page=url).status_code == 302
    # Its page says by when (the delay of the letter's timer) and what happens then.
    page = text_of(agent.get(url))
    assert (
        f"À faire au plus tard le {datetime_fr(timer_due(session, 'delai_courrier_echu'))}." in page
    )
    assert "Sans réponse à cette date, le dossier passe au statut « " in page
    assert "le dossier est clos" not in page
    recorded = agent.post(
        url,
        {
            "date_reception_observations": "2026-12-21",
            "observations": "Le jury a été recomposé en novembre.",
            "pieces_observations": [pdf("courrier-certificateur.pdf")],
            "demande_audition": "false",
        },
        content_type="multipart/form-data",
    )
    assert recorded.status_code == 302, text_of(recorded)[:2000]
    dossier = text_of(
        retrait.as_user("commission@example.org").get(f"/instruction/dossiers/{retrait.dossier_id}")
    )
    assert "Le jury a été recomposé en novembre." in dossier
    assert "courrier-certificateur.pdf" in dossier
    assert "07/12/2026" in dossier or "2026-12-07" in dossier

    # Withdrawn without a date chosen: attestations until 6 months after the decision.
    retrait.step(
        "statuer_retrait",
        {"decision_retrait": "retrait", "motivation_retrait": "Le jury reste non conforme."},
    )
    # The decision is notified by post: the agent reads what the letter must say.
    inbox = agent.get("/instruction/?etape=notifier_decision_courrier").get_data(as_text=True)
    task = re.search(rf'href="(/instruction/taches/\d+)">{retrait.reference}<', inbox)
    assert task, "the agent finds the decision to notify by post"
    url = task.group(1)
    assert agent.post(f"{url}/prendre", from_page=url).status_code == 302
    letter = text_of(agent.get(url))
    deadline = add_months_to_date(datetime.now(PARIS).date(), 6)
    limite = french(deadline)
    assert "Motifs : Le jury reste non conforme." in letter
    assert "recours gracieux" in letter and "R. 421-1" in letter
    # The instructions write the date in words, never as ISO.
    assert long_date(deadline) in letter and deadline.isoformat() not in letter
    notified = agent.post(
        url, {"date_notification_courrier": "2027-02-01"}, content_type="multipart/form-data"
    )
    assert notified.status_code == 302, text_of(notified)[:2000]
    walker.run_jobs()
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Certification retirée du registre le" in fiche
    assert f"attestations délivrées jusqu'au {limite}" in fiche


def timer_due(session: Session, element: str) -> datetime:
    """When the waiting timer `element` fires (its job's due time)."""
    session.rollback()
    return session.scalars(
        select(Job.run_at).where(
            Job.status == JobStatus.PENDING, Job.payload["element"].as_string() == element
        )
    ).one()


def words_in(page: str) -> set[str]:
    """The reviewers' labels a page shows (to check that a certifier's page has none)."""
    labels = (
        "Fraude ou fausses déclarations",
        "Informer le certificateur",
        "Retirer la certification de l'Inventaire",
        "Maintenir la certification",
        "Motifs de la décision",
    )
    return {label for label in labels if label in page}


def french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    ("folder", "form", "data", "expected"),
    [
        (
            "retrait",
            "statuer_retrait",
            {"decision_retrait": "maintien", "motivation_retrait": "Le jury a été recomposé."},
            "La commission a décidé de maintenir votre certification à l'Inventaire\u00a0: "
            "Le jury a été recomposé.",
        ),
        (
            "retrait",
            "statuer_retrait",
            {"decision_retrait": "retrait", "motivation_retrait": "Obsolète."},
            "La commission a retiré votre certification de l'Inventaire pour les motifs "
            "suivants\u00a0: Obsolète.\n\nLa fiche de la certification indique jusqu'à quelle "
            "date les candidats déjà engagés peuvent encore l'obtenir.",
        ),
        (
            "retrait",
            "engager_retrait",
            {"motif_categorie": "autre", "motif_retrait": "Faits.", "delai_observations_jours": 45},
            "La commission envisage de retirer votre certification de l'Inventaire pour le motif "
            "exposé ci-dessous.\n\nFaits.\n\nVous disposez de 45 jours pour présenter vos "
            "observations écrites et, si vous le souhaitez, demander à être entendu.",
        ),
        (
            "retrait-rs",
            "statuer_retrait",
            {"decision_retrait": "maintien", "motivation_retrait": "Le manquement a cessé."},
            "Le directeur général de France compétences a décidé de maintenir votre certification "
            "au Répertoire spécifique\u00a0: Le manquement a cessé.",
        ),
        (
            "retrait-rs",
            "engager_retrait",
            {"fondement_retrait": "atteinte_candidats", "motif_retrait": "Faits."},
            "France compétences envisage de retirer votre certification du Répertoire "
            "spécifique\u00a0: des atteintes graves et avérées à l'intégrité physique ou morale "
            "des candidats ont été constatées.\n\nFaits.\n\nVous disposez de 30 jours pour "
            "présenter vos observations écrites et, si vous le souhaitez, demander à être entendu "
            "(article R.\u00a06113-17 du code du travail).",
        ),
    ],
)
def test_each_decision_reads_as_a_sentence_to_the_certifier(
    folder: str, form: str, data: dict[str, object], expected: str
) -> None:
    """Every branch of the withdrawals' messages, in French typography, from the form's values."""
    definition = build_definition(read_folder(PROCESSES / folder))
    message = definition.forms[f"{form}.schema.json"].submitter_message
    assert message is not None
    assert render_instructions(message, dict(data)) == expected
