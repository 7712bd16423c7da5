"""A register entry's dates as the public and its certifier read them: *Active* on its end date,
*Échue* from the next day (Paris dates, the worker's job), the date limite de délivrance on the
fiche and in the open data, the renewal warning from the process's threshold."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, add_months_to_date
from engine.core.models import RegisterEntry
from engine.definitions import definition, deployment
from engine.register.opendata.fiche import moment_to_date
from tests.clock import run_worker_at
from tests.dossiers import SCENARIOS
from tests.recensed import recensed, sessions_of
from tests.support import Browser, location_id, text_of
from tests.walk import DEMANDEUR_OF

NewBrowser = Callable[[], Browser]
FAVORABLE = SCENARIOS["favorable"]
PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def end_date(session: Session, numero: str) -> date:
    fin = session.scalar(select(RegisterEntry.fin_validite).where(RegisterEntry.numero == numero))
    assert fin is not None
    return moment_to_date(fin)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def test_an_entry_is_active_on_its_end_date_and_echue_the_next_day(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    _walker, numero = recensed(browser_factory)
    end = end_date(session, numero)
    public = browser_factory()

    # The fiche says until when attestations may be delivered: the end date plus 6 months.
    fiche = text_of(public.get(f"/registre/{numero}"))
    limite = add_months_to_date(end, 6)
    assert f"Date limite de délivrance des attestations {french(limite)}" in fiche
    export = public.get("/registre/export.xml").get_data(as_text=True)
    assert f"<DATE_LIMITE_DELIVRANCE>{french(limite)}</DATE_LIMITE_DELIVRANCE>" in export

    # Its last day, late in the evening (Paris time): still Active.
    sessions = sessions_of(app)
    run_worker_at(sessions, paris(end, 23, 59))
    fiche = text_of(public.get(f"/registre/{numero}"))
    assert "Certification échue" not in fiche and "Statut Active" in fiche

    # The next day, just after midnight in Paris: Échue, since that day.
    run_worker_at(sessions, paris(end + timedelta(days=1), 0, 1))
    fiche = text_of(public.get(f"/registre/{numero}"))
    assert f"Certification échue depuis le {french(end + timedelta(days=1))}" in fiche
    assert f"attestations délivrées jusqu'au {french(limite)}" in fiche
    assert numero in text_of(public.get(f"/registre?q={numero}&statut=echue"))


@pytest.fixture
def recensement_threshold(session: Session) -> Iterator[Callable[[int], None]]:
    """Deploys the recensement model with another renewal threshold; the original after."""
    original = definition.read_folder(PROCESSES / "recensement")

    def deploy(months: int) -> None:
        files = dict(original)
        config = json.loads(files["process.json"])
        config["regles"] = dict(config.get("regles") or {}) | {"seuil_renouvellement_mois": months}
        files["process.json"] = json.dumps(config, ensure_ascii=False)
        deployment.deploy(session, files)
        session.commit()

    yield deploy
    deployment.deploy(session, original)
    session.commit()


def test_the_renewal_warning_follows_the_process_threshold(
    app: Flask,
    browser_factory: NewBrowser,
    session: Session,
    recensement_threshold: Callable[[int], None],
) -> None:
    _walker, numero = recensed(browser_factory)
    end = end_date(session, numero)
    # The process owner sets 5 months (France compétences advises 7, the default).
    recensement_threshold(5)

    six_months_before = paris(add_months_to_date(end, -6), 10)
    with freeze_time(six_months_before):
        certifier = browser_factory()
        certifier.login(DEMANDEUR_OF[FAVORABLE.organisation])
        created = certifier.post(
            f"/registre/{numero}/renouvellement", from_page=f"/registre/{numero}"
        )
        assert created.status_code == 302
        renewal_id = location_id(created, r"/demandes/(\d+)/saisie")
        draft = text_of(certifier.get(f"/demandes/{renewal_id}/saisie/identification"))
        assert "Vous déposez ce renouvellement moins de" not in draft

    with freeze_time(paris(add_months_to_date(end, -4), 10)):
        certifier = browser_factory()
        certifier.login(DEMANDEUR_OF[FAVORABLE.organisation])
        draft = text_of(certifier.get(f"/demandes/{renewal_id}/saisie/identification"))
        assert "Vous déposez ce renouvellement moins de 5 mois avant la fin de validité" in draft
        assert french(end) in draft
