"""Each procedure numbers its dossiers with its own prefix (process.json "prefixe_reference"):
a request to France compétences' Répertoire spécifique reads RS-DEM-AAAA-NNNNN on its page and
in its acknowledgement, an Inventaire one keeps INV-AAAA-NNNNN, each prefix counted apart; the
Inventaire's counter of a database in service goes on from where it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.errors import ProcessModelError
from engine.core.models import Counter, Email
from engine.definitions.checking import check_files
from engine.definitions.definition import build_definition
from engine.definitions.folders import read_folder
from engine.studio.scenario import load_scenarios
from tests.clock import run_worker_at
from tests.dossiers import SCENARIOS
from tests.support import Browser, text_of
from tests.walk import PROCESSES, RS, Walker

NewBrowser = Callable[[], Browser]
RS_FAVORABLE = {s.name: s for s in load_scenarios(PROCESSES / "enregistrement-rs")}["favorable"]


def file_request(walker: Walker, task: str, data: dict[str, object]) -> str:
    """The request filed through its pages; the reference the submitter reads on its page."""
    walker.step(task, data)
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert walker.reference is not None
    assert f"{walker.reference} – " in page  # the page's title
    return page


def acknowledgement(walker: Walker, session: Session, address: str) -> Email:
    walker.run_jobs()
    run_worker_at(walker.demandeur.client.application.extensions["db_sessions"], datetime.now(UTC))
    session.rollback()
    return next(
        email
        for email in session.scalars(select(Email).where(Email.recipient == address))
        if email.subject.startswith("Accusé de réception")
    )


def test_an_rs_request_gets_an_rs_reference_on_its_page_and_in_its_acknowledgement(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = Walker(browser_factory, "certificateur", RS)
    first = RS_FAVORABLE.steps[0]
    page = file_request(walker, first.task, first.data)
    year = utcnow().year
    assert walker.reference == f"RS-DEM-{year}-00001"
    assert "INV-" not in page
    # (text_of reads every space as a plain one)
    assert "Votre demande « Enregistrement au Répertoire spécifique » a été déposée le" in page
    assert f"sous la référence {walker.reference}" in page
    assert "France compétences – Direction de la certification professionnelle" in page
    callout = page[page.index("Accusé de réception") : page.index("Ce qui est attendu de vous")]
    assert "Inventaire" not in callout

    letter = acknowledgement(walker, session, "mandataire@example.org")
    assert walker.reference in letter.subject
    assert f"Elle porte la référence {walker.reference}" in letter.body
    assert "INV-" not in letter.subject + letter.body


def test_an_inventaire_request_keeps_inv_and_its_counter_goes_on(
    browser_factory: NewBrowser, session: Session
) -> None:
    # A database in service: 41 Inventaire requests filed this year, under the counter's name of
    # before the prefixes. No migration renames it: the 42nd follows.
    year = utcnow().year
    session.add(Counter(name=f"reference-{year}", value=41))
    session.commit()
    rs = Walker(browser_factory, "certificateur", RS)
    file_request(rs, RS_FAVORABLE.steps[0].task, RS_FAVORABLE.steps[0].data)

    walker = Walker(browser_factory, "ministere")
    first = SCENARIOS["favorable"].steps[0]
    page = file_request(walker, first.task, first.data)
    assert walker.reference == f"INV-{year}-00042"
    assert rs.reference == f"RS-DEM-{year}-00001"  # counted apart
    assert "Votre demande « Recensement à l'Inventaire » a été déposée le" in page
    assert "Secrétariat de la Commission nationale de la certification professionnelle" in page
    letter = acknowledgement(walker, session, "demandeur@example.org")
    assert walker.reference in letter.subject and walker.reference in letter.body


@pytest.mark.parametrize("prefix", ["", "rs", "RS DEM", "2026", "RS-", "RS--DEM", "INVENTAIRE", 7])
def test_a_wrong_prefix_is_refused_at_deployment(prefix: object) -> None:
    files = read_folder(PROCESSES / "enregistrement-rs")
    config = json.loads(files["process.json"]) | {"prefixe_reference": prefix}
    files = {**files, "process.json": json.dumps(config)}
    expected = (
        "process.json\u00a0: «\u00a0prefixe_reference\u00a0» doit commencer par une lettre "
        "majuscule et ne contenir que des majuscules, des chiffres et des tirets (8 caractères au "
        "plus), par exemple «\u00a0INV\u00a0» ou «\u00a0RS-DEM\u00a0»."
    )
    with pytest.raises(ProcessModelError) as refused:
        build_definition(files)
    assert refused.value.user_message == expected
    assert any(expected in problem for problem in check_files(files))


def test_the_prefixes_of_the_shipped_processes() -> None:
    prefixes = {
        key: build_definition(read_folder(PROCESSES / key)).reference_prefix
        for key in ("recensement", "enregistrement-rs")
    }
    assert prefixes == {"recensement": "INV", "enregistrement-rs": "RS-DEM"}
    # A process that says nothing numbers as the Inventaire always did.
    files = read_folder(PROCESSES / "recensement")
    config = json.loads(files["process.json"])
    del config["prefixe_reference"]
    assert build_definition({**files, "process.json": json.dumps(config)}).reference_prefix == "INV"
