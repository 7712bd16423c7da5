"""A certification's life in the public register, as its users see it: recensed and found by
anyone, downloadable; échue at its end date; renewed by its certifier (the entries chained);
another *Retirée* by the commission through the retrait process."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from engine.workflow.renewal import renewal_warning
from tests.clock import run_worker_at
from tests.dossiers import SCENARIOS, data_of
from tests.recensed import recensed, sessions_of
from tests.support import Browser, location_id, text_of
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
FAVORABLE = SCENARIOS["favorable"]


def test_recensed_found_downloaded_expired_then_renewed_and_chained(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = recensed(browser_factory)
    intitule = data_of("favorable", "saisir_demande")["intitule"]
    public = browser_factory()

    # Anyone finds it by a word of its title, opens its fiche, downloads the register.
    found = text_of(public.get("/registre?q=" + intitule.split()[0]))
    assert numero in found and intitule in found
    fiche = text_of(public.get(f"/registre/{numero}"))
    assert intitule in fiche and "Active" in fiche
    assert "Demander le renouvellement" not in fiche  # not to the public
    xml = public.get("/registre/export.xml")
    assert xml.status_code == 200 and f"<NUMERO_FICHE>{numero}</NUMERO_FICHE>" in xml.get_data(
        as_text=True
    )
    csv = public.get("/registre/export.csv")
    assert csv.status_code == 200 and numero in csv.get_data(as_text=True)

    # Five years on (the duration the commission chose), the entry is Échue.
    sessions = sessions_of(app)
    end = due_time_of_entry(sessions, numero)
    assert timedelta(days=5 * 365) <= end - datetime.now(UTC) <= timedelta(days=5 * 366 + 1)
    run_worker_at(sessions, end - timedelta(minutes=1))
    assert "Active" in text_of(public.get(f"/registre/{numero}"))
    run_worker_at(sessions, end + timedelta(seconds=1))
    fiche = text_of(public.get(f"/registre/{numero}"))
    assert "Certification échue depuis le" in fiche
    assert "Échue" in text_of(public.get(f"/registre?q={numero}&statut=echue"))

    # Its certifier asks for the renewal from the fiche: a draft prefilled from it.
    certifier = walker.demandeur
    fiche_page = certifier.get(f"/registre/{numero}")
    assert "Demander le renouvellement" in text_of(fiche_page)
    created = certifier.post(f"/registre/{numero}/renouvellement", from_page=f"/registre/{numero}")
    assert created.status_code == 302
    renewal_id = location_id(created, r"/demandes/(\d+)/saisie")
    draft = certifier.get(f"/demandes/{renewal_id}/saisie/identification")
    shown = text_of(draft)
    assert f"Demande de renouvellement de {numero}" in shown
    assert intitule in html.unescape(draft.get_data(as_text=True))  # prefilled

    # Filed and recensed like any request; the new entry follows the old one.
    renewal = Walker(browser_factory, FAVORABLE.organisation)
    renewal.browsers = walker.browsers
    renewal.deposer_brouillon(renewal_id, data_of("favorable", "saisir_demande"))
    secretariat = renewal.as_user("recevabilite@example.org")
    inbox = secretariat.get("/instruction/?etape=examiner_recevabilite").get_data(as_text=True)
    task = re.search(rf'href="(/instruction/taches/\d+)">{renewal.reference}<', inbox)
    assert task, "the renewal waits for the secrétariat"
    assert f"Demande de renouvellement de la certification {numero}" in text_of(
        secretariat.get(task.group(1))
    )
    for step in FAVORABLE.steps[1:]:
        renewal.step(step.task, step.data, step.timer)
    renewal.run_jobs()
    page = text_of(renewal.demandeur.get(f"/demandes/{renewal_id}"))
    new_numero = re.search(r"Numéro à l'Inventaire (INV\d{5})", page)
    assert new_numero and new_numero.group(1) != numero
    new_fiche = public.get(f"/registre/{new_numero.group(1)}").get_data(as_text=True)
    assert f'href="/registre/{numero}"' in new_fiche
    old_fiche = public.get(f"/registre/{numero}").get_data(as_text=True)
    assert f'href="/registre/{new_numero.group(1)}"' in old_fiche


def due_time_of_entry(sessions: sessionmaker[Session], numero: str) -> datetime:
    from sqlalchemy import select

    from engine.core.models import Job
    from tests.clock import as_utc

    with sessions() as session:
        run_at = session.scalar(
            select(Job.run_at).where(Job.idempotency_key.startswith(f"fin-validite:{numero}:"))
        )
    assert run_at is not None, "the entry's end date is a scheduled job"
    return as_utc(run_at)


def test_the_commission_retire_a_certification_through_the_retrait_process(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    walker, numero = recensed(browser_factory)
    commission = walker.as_user("commission@example.org")
    fiche = text_of(commission.get(f"/registre/{numero}"))
    assert "Engager un retrait" in fiche
    assert "Engager un retrait" not in text_of(walker.demandeur.get(f"/registre/{numero}"))

    # The commission opens the retrait: its first form, the motive.
    opened = commission.post(f"/registre/{numero}/retrait", from_page=f"/registre/{numero}")
    assert opened.status_code == 302
    task_url = opened.headers["Location"]
    shown = commission.get(task_url)
    assert "Engager le retrait" in text_of(shown)
    retrait = Walker(browser_factory, FAVORABLE.organisation)
    retrait.browsers = walker.browsers
    body = shown.get_data(as_text=True)
    dossier = re.search(r"/instruction/dossiers/(\d+)", body)
    reference = re.search(r"(RET-INV\d{5}-\d+)", text_of(shown))
    assert dossier and reference
    retrait.dossier_id = int(dossier.group(1))
    retrait.reference = reference.group(1)
    motif = "Le décret imposant cette compétence a été abrogé."
    retrait.step(
        "engager_retrait",
        {"motif_categorie": "obsolescence", "motif_retrait": motif, "delai_observations_jours": 30},
    )

    # The certifier is told and answers within the delay.
    sessions = sessions_of(app)
    run_worker_at(sessions, datetime.now(UTC))
    page = text_of(walker.demandeur.get(f"/demandes/{retrait.dossier_id}"))
    assert "Présenter des observations" in page and motif in page
    retrait.step(
        "presenter_observations", {"observations": "Douze candidats finissent leur parcours."}
    )
    retrait.step(
        "statuer_retrait",
        {"decision_retrait": "retrait", "motivation_retrait": "Compétence plus exigée."},
    )
    walker.run_jobs()
    fiche = text_of(browser_factory().get(f"/registre/{numero}"))
    assert "Certification retirée du registre le" in fiche
    assert "Motif : Compétence plus exigée." in fiche
    assert numero in text_of(browser_factory().get(f"/registre?q={numero}&statut=retiree"))
    # A certification retirée ends its scheduled fin de validité.
    assert not _pending(sessions, f"fin-validite:{numero}:")


def _pending(sessions: sessionmaker[Session], key: str) -> bool:
    from sqlalchemy import select

    from engine.core.models import Job

    with sessions() as session:
        statuses = session.scalars(select(Job.status).where(Job.idempotency_key.startswith(key)))
        return "pending" in set(statuses)


def test_a_renewal_filed_late_warns_the_submitter() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    data = {"renouvellement_de": "INV00042", "fin_validite_precedente": "2027-01-15"}
    warning = renewal_warning(data, now)
    assert warning is not None and "moins de 7 mois avant la fin de validité" in warning
    assert "15/01/2027" in warning
    assert renewal_warning(data | {"fin_validite_precedente": "2027-07-01"}, now) is None
    expired = renewal_warning(data | {"fin_validite_precedente": "2026-10-01"}, now)
    assert expired is not None and "a pris fin le 01/10/2026" in expired
    assert renewal_warning({}, now) is None


def test_imported_fiches_become_echues_on_their_end_date(
    app: Flask, browser_factory: NewBrowser, session: Session
) -> None:
    from pathlib import Path

    from sqlalchemy import select

    from engine.core.models import RegisterEntry, RegisterStatus
    from engine.register.life import echeance
    from engine.register.opendata.importer import import_fiches
    from tests.clock import as_utc

    sample = Path(__file__).resolve().parents[2] / "data" / "rs-open-data-sample.xml"
    import_fiches(session, sample)
    session.commit()
    active = session.scalars(
        select(RegisterEntry).where(RegisterEntry.statut == RegisterStatus.ACTIVE)
    ).all()
    assert active, "the sample has fiches still valid"
    first = min(active, key=lambda entry: as_utc(entry.fin_validite or datetime.max))
    end = due_time_of_entry(sessions_of(app), first.numero)
    # Due the day after its end date, at midnight in Paris.
    assert end == echeance(as_utc(first.fin_validite or datetime.max))
    # Re-importing keeps one job per fiche.
    import_fiches(session, sample)
    session.commit()
    public = browser_factory()
    run_worker_at(sessions_of(app), end - timedelta(minutes=1))
    assert "Certification échue" not in text_of(public.get(f"/registre/{first.numero}"))
    run_worker_at(sessions_of(app), end + timedelta(seconds=1))
    assert "Certification échue depuis le" in text_of(public.get(f"/registre/{first.numero}"))
