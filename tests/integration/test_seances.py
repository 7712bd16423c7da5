"""The commission's séances (issue 12, §2), walked through HTTP by their users: the secretariat
creates a séance and inscribes dossiers on it (from the task page, or in bulk from the séance's
page), moves it (the dossiers' waits follow; never into the past), carries its agenda over and
cancels it; the commission works the agenda in order and reads the procès-verbal; submitters
and rapporteurs never see a séance's pages."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS
from engine.core.models import AuditEvent, Email, Inscription, Seance, User
from engine.core.typography import long_date, long_moment
from tests.clock import pass_time_until
from tests.dossiers import data_of, open_item, snapshot, walk_until
from tests.seances import (
    COMMISSION,
    SECRETARIAT,
    create_seance,
    inscribe_on_task_page,
    seance_fields,
    timer_due,
)
from tests.support import Browser, text_of
from tests.walk import DEMANDEUR_OF

NewBrowser = Callable[[], Browser]


def paris(days: int, hour: int = 14) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(PARIS).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)


def test_the_inscription_chooses_a_seance_whose_date_drives_the_wait(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    secretariat = walker.as_user(SECRETARIAT)
    when = paris(30)
    seance_id = create_seance(secretariat, when)
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")

    page = text_of(secretariat.get(f"/instruction/taches/{item}"))
    assert "Séance de la formation restreinte" in page
    assert long_moment(when) + " — Salle Duquesne" in page

    assert inscribe_on_task_page(walker, seance_id, item) == 302
    assert walker.status_seen_by_demandeur() == "Inscrite à l'ordre du jour"
    # The dossier's history reads the séance chosen, not its id.
    history = text_of(secretariat.get(f"/instruction/dossiers/{walker.dossier_id}"))
    assert f"Séance de la formation restreinte {long_moment(when)} — Salle Duquesne" in history
    # Délibérer opens at 9 h, Paris time, on the séance's day.
    assert timer_due(session, walker.dossier_id) == when.replace(hour=9)

    # The ordre du jour lists it with its rapporteur and the category proposed.
    agenda = text_of(secretariat.get(f"/seances/{seance_id}"))
    rapporteur = session.scalar(select(User).where(User.email == "rapporteur@example.org"))
    assert rapporteur is not None
    assert walker.reference in agenda and rapporteur.name in agenda
    proposed = data_of("favorable", "instruire_demande")["categorie_proposee"]
    assert proposed in agenda

    # The submitter reads the date, not the séance's pages.
    demandeur = walker.demandeur
    assert demandeur.get("/seances/").status_code == 403
    assert demandeur.get(f"/seances/{seance_id}").status_code == 403
    assert demandeur.get(f"/seances/{seance_id}/proces-verbal").status_code == 403
    assert 'href="/seances/"' not in demandeur.get("/demandes/").get_data(as_text=True)
    walker.run_jobs()
    session.rollback()
    subjects = session.scalars(
        select(Email.subject).where(
            Email.instance_id == walker.dossier_id, Email.recipient == DEMANDEUR_OF["ministere"]
        )
    ).all()
    assert f"Demande {walker.reference}\u00a0: séance du {long_date(when.date())}" in subjects


def test_a_seance_no_longer_offered_is_refused_and_a_held_one_opens_deliberer(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    secretariat = walker.as_user(SECRETARIAT)
    cancelled = create_seance(secretariat, paris(20))
    done = secretariat.post(f"/seances/{cancelled}/annuler", from_page=f"/seances/{cancelled}")
    assert done.status_code == 302
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    url = f"/instruction/taches/{item}"
    assert secretariat.post(f"{url}/prendre", from_page=url).status_code == 302
    before = snapshot(session, walker.dossier_id)

    response = secretariat.post(
        url, {"seance_id": str(cancelled)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "celle-ci n'est plus proposée" in text_of(response)
    assert snapshot(session, walker.dossier_id) == before

    # A séance already held (recorded afterwards): Délibérer opens at once.
    held = create_seance(secretariat, paris(-3), tenue=True)
    assert "(tenue" in text_of(secretariat.get(url))
    response = secretariat.post(url, {"seance_id": str(held)}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert open_item(session, walker.dossier_id, "deliberer")


def test_a_past_seance_is_only_created_as_held(browser: Browser, session: Session) -> None:
    browser.login(SECRETARIAT)
    fields = seance_fields(paris(-2))
    response = browser.post("/seances/nouvelle", fields, from_page="/seances/nouvelle")
    assert response.status_code == 422
    page = text_of(response)
    assert "Cette date et cette heure sont passées" in page
    assert f'value="{fields["date"]}"' in response.get_data(as_text=True)
    response = browser.post(
        "/seances/nouvelle", fields | {"lieu": ""}, from_page="/seances/nouvelle"
    )
    assert "Indiquez le lieu de la séance ou son lien de visioconférence." in text_of(response)
    response = browser.post(
        "/seances/nouvelle",
        fields | {"date": "31/02/2027", "lien_visio": "ftp://x"},
        from_page="/seances/nouvelle",
    )
    assert response.status_code == 422
    assert "Indiquez la date de la séance" in text_of(response)
    assert "commence par https://" in text_of(response)
    session.rollback()
    assert session.scalar(select(Seance)) is None


def test_moving_a_seance_moves_the_waits_never_into_the_past(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    secretariat = walker.as_user(SECRETARIAT)
    seance_id = create_seance(secretariat, paris(30))
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    assert inscribe_on_task_page(walker, seance_id, item) == 302

    later = paris(45, hour=10)
    url = f"/seances/{seance_id}/modifier"
    moved = secretariat.post(url, seance_fields(later))
    assert moved.status_code == 302
    assert "L'attente de 1 dossier(s) suit la nouvelle date." in text_of(
        secretariat.get(f"/seances/{seance_id}")
    )
    assert timer_due(session, walker.dossier_id) == later.replace(hour=9)
    events = session.scalars(
        select(AuditEvent.summary).where(
            AuditEvent.instance_id == walker.dossier_id, AuditEvent.kind == "seance_deplacee"
        )
    ).all()
    assert len(events) == 1 and long_moment(later.replace(hour=9)) in events[0]
    # The submitter and the rapporteur, who had the date, get the new one.
    walker.run_jobs()
    session.rollback()
    told = session.execute(
        select(Email.recipient, Email.subject).where(
            Email.instance_id == walker.dossier_id, Email.template.like("seance_deplacee%")
        )
    ).all()
    new_day = long_date(later.date())
    contact = data_of("favorable", "saisir_demande")["contact_courriel"]
    to_submitter = f"Demande {walker.reference}\u00a0: séance reportée au {new_day}"
    assert sorted(told) == sorted(
        [
            (DEMANDEUR_OF["ministere"], to_submitter),
            (contact, to_submitter),
            ("rapporteur@example.org", f"{walker.reference}\u00a0: séance reportée au {new_day}"),
        ]
    )

    # Into the past: refused in French, what was typed kept, nothing moved.
    before = snapshot(session, walker.dossier_id)
    past = paris(-1)
    refused = secretariat.post(url, seance_fields(past))
    assert refused.status_code == 422
    assert "Une séance ne peut pas être déplacée dans le passé" in text_of(refused)
    assert f'value="{past.date().isoformat()}"' in refused.get_data(as_text=True)
    assert snapshot(session, walker.dossier_id) == before
    assert timer_due(session, walker.dossier_id) == later.replace(hour=9)

    # When the new day comes, Délibérer opens, and its instructions give the new date.
    pass_time_until(
        walker.demandeur.client.application.extensions["db_sessions"],
        walker.dossier_id,
        "attendre_seance",
    )
    deliberer = open_item(session, walker.dossier_id, "deliberer")
    commission = walker.as_user(COMMISSION)
    task_url = f"/instruction/taches/{deliberer}"
    assert commission.post(f"{task_url}/prendre", from_page=task_url).status_code == 302
    page = text_of(commission.get(task_url))
    day = later.date()
    assert f"Séance du {day.day}" in page


def test_a_seance_with_dossiers_is_cancelled_once_its_agenda_is_carried_over(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    secretariat = walker.as_user(SECRETARIAT)
    first = create_seance(secretariat, paris(20))
    other = create_seance(secretariat, paris(50, hour=9))
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    assert inscribe_on_task_page(walker, first, item) == 302

    refused = secretariat.post(f"/seances/{first}/annuler", from_page=f"/seances/{first}")
    assert refused.status_code == 409
    assert "reportez-les d'abord vers une autre séance" in text_of(refused)

    carried = secretariat.post(
        f"/seances/{first}/reporter", {"cible": str(other)}, from_page=f"/seances/{first}"
    )
    assert carried.status_code == 302
    assert timer_due(session, walker.dossier_id) == paris(50, hour=9)
    assert session.scalar(select(Inscription.seance_id)) == other
    assert walker.reference in text_of(secretariat.get(f"/seances/{other}"))

    done = secretariat.post(f"/seances/{first}/annuler", from_page=f"/seances/{first}")
    assert done.status_code == 302
    assert "Annulée" in text_of(secretariat.get(f"/seances/{first}"))


def test_bulk_inscription_reports_what_was_done_and_what_was_refused(
    browser_factory: NewBrowser, session: Session
) -> None:
    walkers = [walk_until(browser_factory, "inscrire_ordre_du_jour") for _ in range(3)]
    secretariat = walkers[0].as_user(SECRETARIAT)
    seance_id = create_seance(secretariat, paris(25))
    other = create_seance(secretariat, paris(35))
    page = text_of(secretariat.get(f"/seances/{seance_id}"))
    assert all(walker.reference in page for walker in walkers)
    # The third dossier moves meanwhile: inscribed on another séance from its task page.
    moved = walkers[2]
    item = open_item(session, moved.dossier_id, "inscrire_ordre_du_jour")
    assert inscribe_on_task_page(moved, other, item) == 302

    response = secretariat.post(
        f"/seances/{seance_id}/inscrire",
        {"dossiers": [str(walker.dossier_id) for walker in walkers]},
        from_page=f"/seances/{seance_id}",
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "Inscription : 2 dossier(s) inscrit(s), 1 refusé(s)" in text
    assert (
        f"{moved.reference} : refusé. Le dossier n'attend plus son inscription à l'ordre du jour"
        in text
    )
    for walker in walkers[:2]:
        assert walker.status_seen_by_demandeur() == "Inscrite à l'ordre du jour"
    session.rollback()
    rows = session.execute(
        select(Inscription.instance_id, Inscription.position)
        .where(Inscription.seance_id == seance_id)
        .order_by(Inscription.position)
    ).all()
    assert [row.instance_id for row in rows] == [w.dossier_id for w in walkers[:2]]

    # Nothing chosen: a French message, nothing written.
    empty = secretariat.post(
        f"/seances/{seance_id}/inscrire", {}, from_page=f"/seances/{seance_id}"
    )
    assert empty.status_code == 422
    assert "Cochez au moins un dossier à inscrire." in text_of(empty)

    # The agenda's order can be changed.
    first = session.scalar(
        select(Inscription.id).where(Inscription.instance_id == walkers[0].dossier_id)
    )
    down = secretariat.post(
        f"/seances/{seance_id}/ordre/{first}/descendre", from_page=f"/seances/{seance_id}"
    )
    assert down.status_code == 302
    agenda = text_of(secretariat.get(f"/seances/{seance_id}"))
    assert agenda.index(walkers[1].reference or "") < agenda.index(walkers[0].reference or "")


def test_the_commission_works_the_agenda_and_reads_the_proces_verbal(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "inscrire_ordre_du_jour")
    secretariat = walker.as_user(SECRETARIAT)
    seance_id = create_seance(secretariat, paris(-1), tenue=True)
    item = open_item(session, walker.dossier_id, "inscrire_ordre_du_jour")
    assert inscribe_on_task_page(walker, seance_id, item) == 302

    commission = walker.as_user(COMMISSION)
    assert commission.get("/seances/nouvelle").status_code == 403
    page = commission.get(f"/seances/{seance_id}").get_data(as_text=True)
    deliberer = open_item(session, walker.dossier_id, "deliberer")
    link = f"/instruction/taches/{deliberer}?seance={seance_id}"
    assert f'href="{link}"' in page
    assert (
        commission.post(
            f"/instruction/taches/{deliberer}/prendre?seance={seance_id}", from_page=link
        ).status_code
        == 302
    )
    done = commission.post(
        link, data_of("favorable", "deliberer"), content_type="multipart/form-data"
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/seances/{seance_id}#ordre-du-jour")
    assert "Délibéré : Avis favorable" in text_of(commission.get(f"/seances/{seance_id}"))

    verbal = text_of(commission.get(f"/seances/{seance_id}/proces-verbal"))
    assert "Avis favorable" in verbal and "5 ans" in verbal

    for kind, words in (
        ("ordre-du-jour", "Ordre du jour de la séance du"),
        ("proces-verbal", "Procès-verbal de la séance du"),
    ):
        url = f"/seances/{seance_id}/{kind}.pdf"
        response = commission.post(url, from_page=f"/seances/{seance_id}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/pdf"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
        assert words in " ".join(text.split())
        assert walker.reference in text
    assert "Avis favorable" in text
    session.rollback()
    hashes = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.kind == "document_seance")
    ).all()
    assert len(hashes) == 2 and all("SHA-256" in summary for summary in hashes)


def test_only_the_secretariat_and_the_commission_see_seances(
    browser_factory: NewBrowser, session: Session
) -> None:
    secretariat = browser_factory()
    secretariat.login(SECRETARIAT)
    seance_id = create_seance(secretariat, paris(10))
    for email, status in (
        (DEMANDEUR_OF["ministere"], 403),
        ("rapporteur@example.org", 403),
        (COMMISSION, 200),
        (SECRETARIAT, 200),
    ):
        browser = browser_factory()
        browser.login(email)
        assert browser.get(f"/seances/{seance_id}").status_code == status, email
        assert browser.get("/seances/").status_code == status, email
    rapporteur = browser_factory()
    rapporteur.login("rapporteur@example.org")
    assert (
        rapporteur.post(f"/seances/{seance_id}/annuler", from_page="/instruction/").status_code
        == 403
    )
