"""The submitter's dossier page reads as addressed to them: the decisions in sentences, never
the reviewers' buttons, in the Inventaire's procedure as in the Répertoire spécifique's; the
pieces by what they are; the draft saves as one line of history; the register number leads to
the public fiche."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from engine.studio.scenario import load_scenarios
from tests.dossiers import SCENARIOS, data_of
from tests.support import Browser, main_text, text_of
from tests.walk import PROCESSES, RS, Walker, form_of

NewBrowser = Callable[[], Browser]


def played(new_browser: NewBrowser, scenario: str) -> tuple[Walker, TestResponse]:
    """A dossier played through a scenario, and its page as its submitter reads it."""
    walker = Walker(new_browser, "ministere")
    walker.play(SCENARIOS[scenario])
    walker.run_jobs()
    page = walker.demandeur.get(f"/demandes/{walker.dossier_id}")
    assert page.status_code == 200
    return walker, page


def test_an_irrecevabilite_reads_as_a_letter(browser_factory: NewBrowser) -> None:
    walker, page = played(browser_factory, "irrecevable")
    text = text_of(page)
    motif = data_of("irrecevable", "examiner_recevabilite")["motif"]
    assert f"Votre demande a été déclarée irrecevable pour le motif suivant : {motif}" in text
    assert "Déclarer irrecevable" not in text
    # The reviewers keep reading their own answers.
    staff = walker.as_user("recevabilite@example.org")
    assert "Déclarer irrecevable" in text_of(
        staff.get(f"/instruction/dossiers/{walker.dossier_id}")
    )


def test_a_refusal_reads_as_a_letter(browser_factory: NewBrowser) -> None:
    _walker, page = played(browser_factory, "refus")
    text = text_of(page)
    motivation = data_of("refus", "prononcer_refus")["motivation_decision"]
    assert (
        "La commission a refusé le recensement de votre certification pour le motif suivant : "
        f"{motivation}"
    ) in text
    assert "Votre demande a été déclarée recevable" in text
    for label in ("Refuser", "Déclarer recevable", "Prononcer le recensement"):
        # "Refuser" covers *Refuser le recensement*, the button after an avis défavorable.
        assert label not in text, label


def test_recensed_pieces_history_and_number(browser_factory: NewBrowser) -> None:
    walker, page = played(browser_factory, "favorable")
    text = text_of(page)
    body = page.get_data(as_text=True)
    assert "La commission a prononcé le recensement de votre certification à l'Inventaire." in text

    # The number links to the public fiche.
    link = re.search(r'<a href="(/registre/(INV\d+))">\2</a>', body)
    assert link, "the number is a link"
    fiche = walker.demandeur.get(link.group(1))
    assert fiche.status_code == 200
    assert link.group(2) in text_of(fiche)

    # Pieces by what they are.
    assert "Référentiel de compétences : referentiel-competences.pdf" in text
    assert "Modèle de l'attestation : modele-attestation.pdf" in text

    # The draft's saves and pieces: one line of the history.
    history = text[text.index("Historique") :]
    assert history.count("Brouillon enregistré") == 1
    pages = len(form_of("saisir_demande").pages)  # Page suivante on each page, then Déposer
    assert f"Brouillon enregistré ({pages} fois) ; pièces ajoutées : " in history
    assert "Pièce ajoutée" not in history


RS_SCENARIOS = {s.name: s for s in load_scenarios(PROCESSES / "enregistrement-rs")}
# The choices and buttons of enregistrement-rs's reviewers: the certifier never reads them.
RS_REVIEWERS_LABELS = (
    "Enregistrer la décision",
    "Déclarer recevable",
    "Déclarer irrecevable",
    "Demander des compléments",
    "Points vérifiés",
    "Délai de réponse",
    "Signer la décision",
    "Signer le refus",
    "Enregistrer au Répertoire spécifique",
    "Transmettre à la commission",
    "Émettre l'avis",
)

# What the services chose at the recevabilité, as they read it on their own page.
RECEVABILITE_CHOICE = {
    "irrecevable": "Déclarer irrecevable",
    "classee_sans_suite": "Demander des compléments",
    "favorable": "Déclarer recevable",
    "refus": "Déclarer recevable",
}


@pytest.mark.parametrize(
    ("scenario", "sentences", "labels"),
    [
        (
            "irrecevable",
            [
                "Les services de France compétences ont déclaré votre demande irrecevable pour "
                "le motif suivant : {examiner_recevabilite[motif]}",
                "Le dossier est clos : Irrecevable.",
            ],
            (),
        ),
        (
            "classee_sans_suite",
            [
                "Les services de France compétences vous demandent des compléments : "
                "{examiner_recevabilite[complements_demandes]} Sans réponse dans un délai de "
                "21 jours, votre demande sera classée sans suite.",
                "Le dossier est clos : Classée sans suite.",
            ],
            (),
        ),
        (
            "favorable",
            [
                "Les services de France compétences ont déclaré votre demande recevable : elle "
                "est transmise pour instruction.",
                "Après l'avis conforme favorable de la commission de la certification "
                "professionnelle, le directeur général de France compétences a enregistré "
                "votre certification au Répertoire spécifique pour 5 ans. "
                "{prononcer_enregistrement[motivation_decision]}",
            ],
            ("Refuser l'enregistrement",),
        ),
        (
            "refus",
            [
                "Les services de France compétences ont déclaré votre demande recevable",
                "Après l'avis conforme défavorable de la commission de la certification "
                "professionnelle, le directeur général de France compétences a refusé "
                "d'enregistrer votre certification au Répertoire spécifique pour les motifs "
                "suivants : {prononcer_refus[motivation_decision]}",
                "Le dossier est clos : Refusée.",
            ],
            (),
        ),
    ],
)
def test_the_certifier_reads_each_rs_decision_as_a_sentence(
    browser_factory: NewBrowser, scenario: str, sentences: list[str], labels: tuple[str, ...]
) -> None:
    walker = Walker(browser_factory, RS_SCENARIOS[scenario].organisation, RS)
    walker.play(RS_SCENARIOS[scenario])
    walker.run_jobs()
    page = main_text(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    given = {step.task: dict(step.data) for step in RS_SCENARIOS[scenario].steps if step.task}
    for sentence in sentences:
        assert sentence.format(**given) in page, sentence
    for label in (*RS_REVIEWERS_LABELS, *labels):
        assert label not in page, label
    assert "CNCP" not in page
    # The services keep reading their own answers.
    staff = main_text(
        walker.as_user("rapporteur@example.org").get(f"/instruction/dossiers/{walker.dossier_id}")
    )
    assert RECEVABILITE_CHOICE[scenario] in staff
