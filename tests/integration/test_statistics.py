"""Statistics through HTTP: the public page (requests filed, decisions by outcome, median time
to decision, per year) for anyone, the secretariat's (by status and step, median delays) for
the staff only; the medians are the database's, checked on known durations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Instance, WorkItem
from engine.core.substitutions import paris_today
from engine.workflow.statistics import public_statistics, staff_statistics
from tests.dossiers import SCENARIOS, walk_until
from tests.support import Browser, text_of
from tests.typography import page_faults
from tests.walk import Walker

NewBrowser = Callable[[], Browser]


def played(new_browser: NewBrowser, scenario: str) -> Walker:
    walker = Walker(new_browser, SCENARIOS[scenario].organisation)
    walker.play(SCENARIOS[scenario])
    return walker


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").split())


def test_the_public_page_counts_requests_and_decisions_per_year(
    browser_factory: NewBrowser,
) -> None:
    played(browser_factory, "refus")
    played(browser_factory, "irrecevable")
    walk_until(browser_factory, "examiner_recevabilite")  # filed, not decided
    year = str(paris_today().year)
    visitor = browser_factory()  # nobody signed in
    page = visitor.get("/statistiques")
    assert page.status_code == 200
    text = flat(text_of(page))
    # Filed: 3; decided: 2 (the refusal and the irrecevabilité), both this year.
    assert re.search(rf"{year} 3 2 \d+(,\d)? jours?", text) or re.search(
        rf"{year} 3 2 0 jour", text
    ), text
    assert f"Décisions prises en {year}, par issue" in text
    assert "Refusée 1" in text and "Irrecevable 1" in text
    html = page.get_data(as_text=True)
    assert "<caption>Demandes déposées, décisions et délai médian par année</caption>" in html
    assert '<th scope="row">' + year + "</th>" in html
    # Linked from every page's footer and from the register.
    assert 'href="/statistiques"' in visitor.get("/registre").get_data(as_text=True)


def test_the_public_page_before_any_request(browser_factory: NewBrowser) -> None:
    page = browser_factory().get("/statistiques")
    assert page.status_code == 200
    assert "Aucune demande n'a encore été déposée." in text_of(page)


def test_the_secretariat_sees_statuses_steps_and_delays_others_do_not(
    browser_factory: NewBrowser,
) -> None:
    played(browser_factory, "refus")
    walk_until(browser_factory, "examiner_recevabilite")
    secretariat = browser_factory()
    secretariat.login("recevabilite@example.org")
    page = secretariat.get("/statistiques/suivi")
    assert page.status_code == 200
    text = flat(text_of(page))
    assert "Dossiers par statut" in text
    assert "Refusée 1" in text
    assert "Déposée 1" in text or "En examen de recevabilité 1" in text, text
    assert "Tâches ouvertes par étape" in text and "Examiner la recevabilité 1" in text
    # The refusal's steps were completed: each has its median delay.
    assert re.search(r"Délibérer 1 \d+(,\d)? jours?", text), text
    assert "Délai médian par mois et par étape" in text
    # The nav offers it to the staff.
    assert 'href="/statistiques/suivi"' in secretariat.get("/instruction/").get_data(as_text=True)
    # A submitter and a visitor may not read it.
    submitter = browser_factory()
    submitter.login("demandeur@example.org")
    assert submitter.get("/statistiques/suivi").status_code == 403
    assert 'href="/statistiques/suivi"' not in submitter.get("/demandes/").get_data(as_text=True)
    anonymous = browser_factory().get("/statistiques/suivi")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


def test_the_medians_are_those_of_the_durations(
    browser_factory: NewBrowser, session: Session
) -> None:
    """Known durations on a walked dossier's steps: 1, 2, 3, 10 days (median 2.5) for one
    step, 4 days alone for another; and decisions after 10 and 20 days (median 15)."""
    walker = walk_until(browser_factory, "examiner_recevabilite")
    session.rollback()
    instance = session.get(Instance, walker.dossier_id)
    assert instance is not None
    now = datetime.now(UTC).replace(microsecond=0)
    for days, spec in ((1, "a"), (2, "a"), (3, "a"), (10, "a"), (4, "b")):
        session.add(
            WorkItem(
                instance_id=instance.id,
                task_id=str(uuid.uuid4()),
                task_spec=f"etape_{spec}",
                task_title=f"Étape {spec.upper()}",
                role="recevabilite",
                status="completed",
                created_at=now - timedelta(days=days + 1),
                completed_at=now - timedelta(days=1),
            )
        )
    session.commit()
    figures = staff_statistics(session)
    delays = {row.title: (row.done, row.median_days) for row in figures.delays}
    assert delays["Étape A"] == (4, 2.5)
    assert delays["Étape B"] == (1, 4.0)

    decided = played(browser_factory, "refus"), played(browser_factory, "irrecevable")
    session.rollback()
    for walked, days in zip(decided, (10, 20), strict=True):
        row = session.get(Instance, walked.dossier_id)
        assert row is not None and row.updated_at is not None
        row.date_depot = row.updated_at - timedelta(days=days)
    session.commit()
    [this_year] = [year for year in public_statistics(session) if year.year == str(now.year)] or [
        None
    ]
    assert this_year is not None
    assert this_year.decided == 2 and this_year.median_days == 15.0
    assert session.scalar(select(Instance.id).where(Instance.date_depot.is_(None))) is None


def test_the_new_pages_follow_french_typography(browser_factory: NewBrowser) -> None:
    """The statistics pages and *Mes absences* (with an absence and with a refusal)."""
    played(browser_factory, "refus")
    rapporteur = browser_factory()
    rapporteur.login("rapporteur@example.org")
    today = paris_today()
    rachida = browser_factory()
    rachida.login("rapporteur2@example.org")
    declared = rapporteur.post(
        "/absences/",
        {"suppleant": "", "debut": today.isoformat(), "fin": today.isoformat()},
        from_page="/absences/",
    )
    assert declared.status_code == 422
    pages = {"/absences/ (refus)": declared.get_data(as_text=True)}
    secretariat = browser_factory()
    secretariat.login("recevabilite@example.org")
    for url, browser in (
        ("/statistiques", browser_factory()),
        ("/statistiques/suivi", secretariat),
        ("/absences/", rapporteur),
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    faults = [fault for url, body in pages.items() for fault in page_faults(body, url)]
    assert faults == [], faults
