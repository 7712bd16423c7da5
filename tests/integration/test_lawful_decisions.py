"""Decisions that hold up (issue 11, §1): walked through HTTP by the real users of each lane.

- the duration granted follows one process value (5 years), shown on the form and checked;
- the decision follows the commission's opinion; an ajournement goes back to instruction;
- statuses say the truth: *Inscrite à l'ordre du jour* only once a séance is chosen (a past
  séance only when it was held: tests/integration/test_seances.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.errors import ExecutionError, ProcessModelError
from engine.core.models import Email, WorkItem
from engine.definitions.definition import build_definition, read_folder
from engine.definitions.rules import process_rules
from engine.register.publication import recensement_years
from tests.dossiers import data_of, open_item, snapshot, walk_until
from tests.seances import create_seance
from tests.support import Browser, text_of
from tests.walk import DEMANDEUR_OF, PROCESS, Walker

NewBrowser = Callable[[], Browser]
COMMISSION = "commission@example.org"
SECRETARIAT = "recevabilite@example.org"


def taken_task(walker: Walker, task: str, email: str, session: Session) -> tuple[Browser, str]:
    """The reviewer's browser on the task's page, the task taken."""
    browser = walker.as_user(email)
    url = f"/instruction/taches/{open_item(session, walker.dossier_id, task)}"
    assert browser.post(f"{url}/prendre", from_page=url).status_code == 302
    return browser, url


def post_form(browser: Browser, url: str, data: dict[str, object]) -> tuple[int, str]:
    response = browser.post(url, data, content_type="multipart/form-data")
    return response.status_code, text_of(response)


def emails_of(session: Session, instance_id: int | None) -> list[Email]:
    session.rollback()
    return list(
        session.scalars(select(Email).where(Email.instance_id == instance_id).order_by(Email.id))
    )


# --- 1. The duration --------------------------------------------------------------------------


def test_a_six_year_deliberation_is_refused_with_the_maximum_shown(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "deliberer")
    browser, url = taken_task(walker, "deliberer", COMMISSION, session)
    page = text_of(browser.get(url))
    assert "Durée du recensement (en années)" in page
    assert "Nombre de 1 à 5." in page
    good = data_of("favorable", "deliberer")
    before = snapshot(session, walker.dossier_id)

    status, page = post_form(browser, url, {**good, "duree_annees": "6"})
    assert status == 422
    assert "La valeur doit être inférieure ou égale à 5." in page
    status, page = post_form(browser, url, {k: v for k, v in good.items() if k != "duree_annees"})
    assert status == 422
    assert "Le champ « Durée du recensement (en années) » est obligatoire." in page
    assert snapshot(session, walker.dossier_id) == before

    status, _ = post_form(browser, url, {**good, "duree_annees": "5"})
    assert status == 302
    assert walker.status_seen_by_demandeur() == "Délibérée, décision à prononcer"


def test_the_maximum_is_the_process_value() -> None:
    files = read_folder(PROCESS)
    config = json.loads(files["process.json"])
    assert process_rules(build_definition(files)).duree_max_annees == 5
    config["regles"]["duree_max_annees"] = 3
    shorter = build_definition(files | {"process.json": json.dumps(config)})
    assert process_rules(shorter).duree_max_annees == 3
    assert shorter.forms["deliberer.schema.json"].get_field("duree_annees").maximum == 3
    config["regles"]["duree_max_annees"] = "cinq"
    with pytest.raises(ProcessModelError, match="duree_max_annees"):
        build_definition(files | {"process.json": json.dumps(config)})


def test_a_missing_duration_stops_the_publication() -> None:
    assert recensement_years(5, 5) == 5
    with pytest.raises(ExecutionError, match="Durée du recensement absente"):
        recensement_years(None, 5)
    with pytest.raises(ExecutionError, match="hors des limites"):
        recensement_years(6, 5)


# --- 2. The decision follows the opinion -------------------------------------------------------


def test_after_an_avis_defavorable_only_a_refusal_can_be_pronounced(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "deliberer", scenario="refus")
    browser, url = taken_task(walker, "deliberer", COMMISSION, session)
    # A défavorable opinion asks for no category.
    deliberation = data_of("refus", "deliberer")
    assert "categorie_retenue" not in deliberation
    status, _ = post_form(browser, url, deliberation)
    assert status == 302

    browser, url = taken_task(walker, "prononcer_refus", COMMISSION, session)
    page = text_of(browser.get(url))
    assert "Refuser le recensement" in page
    assert "Prononcer le recensement" not in page
    before = snapshot(session, walker.dossier_id)
    status, page = post_form(
        browser, url, {"decision": "recensement", "motivation_decision": "Tentative."}
    )
    assert status == 422
    assert "Après un avis défavorable de la formation restreinte, seul un refus" in page
    assert snapshot(session, walker.dossier_id) == before
    session.rollback()
    open_tasks = session.scalars(
        select(WorkItem.task_spec).where(
            WorkItem.instance_id == walker.dossier_id, WorkItem.status == "open"
        )
    ).all()
    assert open_tasks == ["prononcer_refus"]

    status, _ = post_form(browser, url, data_of("refus", "prononcer_refus"))
    assert status == 302
    assert walker.status_seen_by_demandeur() == "Refusée"


def test_after_an_avis_favorable_both_decisions_are_offered(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "prononcer_decision")
    browser, url = taken_task(walker, "prononcer_decision", COMMISSION, session)
    page = text_of(browser.get(url))
    assert "Prononcer le recensement" in page
    assert "Refuser" in page


def test_an_ajournement_goes_back_to_instruction_and_tells_the_submitter_why(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "deliberer", scenario="ajournement")
    deliberation = data_of("ajournement", "deliberer")
    browser, url = taken_task(walker, "deliberer", COMMISSION, session)
    without_reasons = {k: v for k, v in deliberation.items() if k != "motifs_ajournement"}
    status, page = post_form(browser, url, without_reasons)
    assert status == 422
    assert "Motifs de l'ajournement communiqués au demandeur » est obligatoire" in page
    status, _ = post_form(browser, url, deliberation)
    assert status == 302

    assert open_item(session, walker.dossier_id, "instruire_demande")
    assert walker.status_seen_by_demandeur() == "En instruction"
    walker.run_jobs()
    letters = [e for e in emails_of(session, walker.dossier_id) if "ajourné" in e.subject]
    contact = data_of("ajournement", "saisir_demande")["contact_courriel"]
    assert sorted(e.recipient for e in letters) == sorted([DEMANDEUR_OF["ministere"], contact])
    assert deliberation["motifs_ajournement"] in letters[0].body
    # The commission's internal reasons are not sent.
    assert deliberation["motivation"] not in letters[0].body


# --- 6. Statuses that say the truth -----------------------------------------------------------


def test_inscrite_only_once_a_seance_is_chosen(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    assert walker.status_seen_by_demandeur() == (
        "Instruite, en attente d'inscription à l'ordre du jour"
    )
    browser, url = taken_task(walker, "inscrire_ordre_du_jour", SECRETARIAT, session)
    page = text_of(browser.get(url))
    assert "à 9 h (heure de Paris) le jour de la séance" in page

    seance = create_seance(browser, datetime.now(UTC) + timedelta(days=40))
    status, _ = post_form(browser, url, {"seance_id": str(seance)})
    assert status == 302
    assert walker.status_seen_by_demandeur() == "Inscrite à l'ordre du jour"
