"""Absences and suppléants, walked through HTTP as the agents: the absent rapporteur's task in
the suppléant's bannette, acted on by the suppléant; the reminder meant for the absent agent
sent to the suppléant; the refusals in French; what the others must not see or do."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engine.core.models import Absence, AuditEvent, Email, User
from engine.core.substitutions import paris_today
from tests.dossiers import data_of, open_item, user_id, walk_until
from tests.support import Browser, text_of
from tests.walk import Walker, as_posted, form_of

NewBrowser = Callable[[], Browser]
REMI = "rapporteur@example.org"  # Rémi Rapporteur
RACHIDA = "rapporteur2@example.org"  # Rachida Rapporteure
ROSE = "recevabilite@example.org"  # Rose Recevabilité (no rapporteur role)
PAGE = "/absences/"


def signed_in(new_browser: NewBrowser, email: str) -> Browser:
    browser = new_browser()
    browser.login(email)
    return browser


def declare(
    browser: Browser, suppleant: int | str, debut: date | str, fin: date | str, **more: object
) -> TestResponse:
    return browser.post(
        PAGE,
        {
            "suppleant": str(suppleant),
            "debut": debut.isoformat() if isinstance(debut, date) else debut,
            "fin": fin.isoformat() if isinstance(fin, date) else fin,
            **{key: str(value) for key, value in more.items()},
        },
        from_page=PAGE,
    )


def in_bannette(browser: Browser, reference: str | None) -> int | None:
    body = browser.get("/instruction/").get_data(as_text=True)
    found = re.search(rf'href="/instruction/taches/(\d+)">{re.escape(reference or "")}<', body)
    return int(found.group(1)) if found else None


def instructing(new_browser: NewBrowser) -> Walker:
    """A dossier whose instruction is Rémi's (designated, then taken by him)."""
    walker = walk_until(new_browser, "instruire_demande")
    assert walker.rapporteur == REMI
    return walker


def test_the_absent_rapporteurs_task_goes_to_the_suppleant_who_completes_it(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = instructing(browser_factory)
    rachida = signed_in(browser_factory, RACHIDA)
    item = open_item(session, walker.dossier_id, "instruire_demande")
    # Before the absence: the task is Rémi's alone.
    assert in_bannette(rachida, walker.reference) is None
    assert rachida.get(f"/instruction/taches/{item}").status_code == 403

    remi = walker.as_user(REMI)
    today = paris_today()
    declared = declare(remi, user_id(session, RACHIDA), today, today + timedelta(days=10))
    assert declared.status_code == 302
    page = text_of(remi.get(PAGE))
    assert "Absence enregistrée" in page and "Rachida Rapporteure" in page
    assert "En cours" in page

    # Rachida signs in again (her session reads the absences in force) and finds the task.
    rachida = signed_in(browser_factory, RACHIDA)
    assert in_bannette(rachida, walker.reference) == item
    shown = rachida.get(f"/instruction/taches/{item}")
    assert shown.status_code == 200
    assert "un agent absent dont vous êtes le suppléant" in text_of(shown)
    data = data_of("favorable", "instruire_demande")
    posted = as_posted(form_of("instruire_demande"), data, shown.get_data(as_text=True))
    done = rachida.post(f"/instruction/taches/{item}", posted, content_type="multipart/form-data")
    assert done.status_code == 302, text_of(done)[:2000]
    session.rollback()
    completed = session.scalar(
        select(AuditEvent).where(
            AuditEvent.instance_id == walker.dossier_id,
            AuditEvent.task_spec == "instruire_demande",
            AuditEvent.kind == "completion",
        )
    ) or session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.instance_id == walker.dossier_id,
            AuditEvent.task_spec == "instruire_demande",
        )
        .order_by(AuditEvent.id.desc())
    )
    assert completed is not None and completed.actor_id == user_id(session, RACHIDA)
    # The absence itself is in the audit trail.
    trail = session.scalars(select(AuditEvent.summary).where(AuditEvent.kind == "absence")).all()
    assert any("suppléant\u00a0: Rachida Rapporteure" in line for line in trail), trail


def test_another_agent_still_sees_nothing_of_the_absent_agents_tasks(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = instructing(browser_factory)
    today = paris_today()
    remi = walker.as_user(REMI)
    assert declare(remi, user_id(session, RACHIDA), today, today).status_code == 302
    item = open_item(session, walker.dossier_id, "instruire_demande")
    # The commission is nobody's suppléant: the task stays out of its reach.
    commission = signed_in(browser_factory, "commission@example.org")
    assert commission.get(f"/instruction/taches/{item}").status_code == 403
    # Rose sees Rémi's absence? No: only her own and those she stands in for.
    rose = signed_in(browser_factory, ROSE)
    assert "Rémi Rapporteur" not in text_of(rose.get(PAGE))
    # A submitter has no such page.
    assert signed_in(browser_factory, "demandeur@example.org").get(PAGE).status_code == 403


def test_the_reminder_meant_for_the_absent_rapporteur_goes_to_the_suppleant(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = instructing(browser_factory)
    today = paris_today()
    remi = walker.as_user(REMI)
    # Absent for the next 90 days: the instruction reminder (60 days) falls inside.
    assert (
        declare(remi, user_id(session, RACHIDA), today, today + timedelta(days=90)).status_code
        == 302
    )
    walker.pass_time("rappel_instruction")
    session.rollback()
    reminders = session.scalars(
        select(Email).where(
            Email.instance_id == walker.dossier_id, Email.template == "rappel_instruction"
        )
    ).all()
    assert [email.recipient for email in reminders] == [RACHIDA]


def test_an_absence_ended_early_or_cancelled(browser_factory: NewBrowser, session: Session) -> None:
    remi = signed_in(browser_factory, REMI)
    rachida_id = user_id(session, RACHIDA)
    today = paris_today()
    assert (
        declare(
            remi, rachida_id, today + timedelta(days=20), today + timedelta(days=25)
        ).status_code
        == 302
    )
    assert "À venir" in text_of(remi.get(PAGE))
    session.rollback()
    future = session.scalar(select(Absence).order_by(Absence.id.desc()))
    assert future is not None
    # Not begun: it cannot be ended early, only cancelled.
    refused = remi.post(f"/absences/{future.id}/terminer", from_page=PAGE)
    assert refused.status_code == 409
    assert "Seule une absence en cours" in text_of(refused)
    cancelled = remi.post(f"/absences/{future.id}/annuler", from_page=PAGE)
    assert cancelled.status_code == 302
    assert "Annulée" in text_of(remi.get(PAGE))

    assert declare(remi, rachida_id, today, today + timedelta(days=5)).status_code == 302
    session.rollback()
    current = session.scalar(select(Absence).order_by(Absence.id.desc()))
    assert current is not None
    # Rachida may read it but not end it: it is Rémi's.
    rachida = signed_in(browser_factory, RACHIDA)
    assert "Rémi Rapporteur" in text_of(rachida.get(PAGE))
    assert rachida.post(f"/absences/{current.id}/terminer", from_page=PAGE).status_code == 404
    ended = remi.post(f"/absences/{current.id}/terminer", from_page=PAGE)
    assert ended.status_code == 302
    session.rollback()
    session.refresh(current)
    assert current.fin == today
    summaries = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.kind == "absence")
    ).all()
    assert any("annulée" in line for line in summaries)
    assert any("écourtée" in line for line in summaries)


def test_an_administrator_declares_an_absence_for_an_agent(
    browser_factory: NewBrowser, session: Session
) -> None:
    admin = signed_in(browser_factory, "admin@example.org")
    today = paris_today()
    response = declare(
        admin,
        user_id(session, RACHIDA),
        today,
        today + timedelta(days=3),
        agent=user_id(session, REMI),
    )
    assert response.status_code == 302
    session.rollback()
    absence = session.scalar(select(Absence))
    assert absence is not None and absence.user_id == user_id(session, REMI)
    assert absence.created_by_id == user_id(session, "admin@example.org")
    assert "Rémi Rapporteur" in text_of(signed_in(browser_factory, REMI).get(PAGE))
    # An agent's form has no agent field: what it posts as `agent` is ignored (for themselves).
    rachida = signed_in(browser_factory, RACHIDA)
    declare(
        rachida,
        user_id(session, REMI),
        today + timedelta(days=30),
        today + timedelta(days=31),
        agent=user_id(session, ROSE),
    )
    session.rollback()
    latest = session.scalar(select(Absence).order_by(Absence.id.desc()))
    assert latest is not None and latest.user_id == user_id(session, RACHIDA)


def test_bad_input_is_refused_in_french_with_the_typed_values_kept(
    browser_factory: NewBrowser, session: Session
) -> None:
    remi = signed_in(browser_factory, REMI)
    rachida_id = user_id(session, RACHIDA)
    today = paris_today()
    cases: list[tuple[tuple[int | str, date | str, date | str], str]] = [
        (
            (rachida_id, today + timedelta(days=5), today),
            "La date de fin précède la date de début.",
        ),
        ((rachida_id, "32/13/2026", today), "La date de début n'est pas une date"),
        ((rachida_id, "", ""), "Indiquez la date de début"),
        (
            (rachida_id, today - timedelta(days=9), today - timedelta(days=2)),
            "la date de fin est passée",
        ),
        ((user_id(session, REMI), today, today), "Un agent ne peut pas être son propre suppléant."),
        (
            (user_id(session, ROSE), today, today),
            "Rose Recevabilité n'a pas le rôle « Rapporteur » de l'agent absent",
        ),
        (("", today, today), "Choisissez un suppléant dans la liste."),
        (("99999999999999999999", today, today), "Choisissez un suppléant dans la liste."),
    ]
    for (suppleant, debut, fin), message in cases:
        response = declare(remi, suppleant, debut, fin)
        assert response.status_code == 422, message
        page = text_of(response)
        assert message.replace("«\u00a0", "« ").replace("\u00a0»", " »") in page.replace(
            "\u00a0", " "
        ), (message, page[:1500])
        if isinstance(debut, date):
            assert f'value="{debut.isoformat()}"' in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(Absence)) is None
    assert not session.scalars(select(AuditEvent).where(AuditEvent.kind == "absence")).all()


def test_no_overlap_no_absent_suppleant_no_chain(
    browser_factory: NewBrowser, session: Session
) -> None:
    remi = signed_in(browser_factory, REMI)
    rachida = signed_in(browser_factory, RACHIDA)
    remi_id, rachida_id = user_id(session, REMI), user_id(session, RACHIDA)
    today = paris_today()
    week = today + timedelta(days=7)
    assert declare(rachida, remi_id, today + timedelta(days=3), week).status_code == 302
    # Rachida is absent part of the period: she cannot stand in for Rémi.
    absent = declare(remi, rachida_id, today, today + timedelta(days=4))
    assert absent.status_code == 422
    assert "Rachida Rapporteure est lui-même absent du" in text_of(absent)
    # Rachida cannot be absent twice at once.
    twice = declare(rachida, remi_id, week, week + timedelta(days=2))
    assert twice.status_code == 422
    assert "Une absence de Rachida Rapporteure est déjà déclarée du" in text_of(twice)
    # Rémi stands in for Rachida then: he cannot be absent meanwhile (a chain), even with a
    # third rapporteur, present, as his suppléant.
    admin = signed_in(browser_factory, "admin@example.org")
    created = admin.post(
        "/admin/comptes/nouveau",
        {
            "email": "rapporteur3@example.org",
            "name": "Romain Troisième",
            "password": "un mot de passe solide",
            "roles": "rapporteur",
        },
        from_page="/admin/comptes/nouveau",
    )
    assert created.status_code == 302, text_of(created)
    session.rollback()
    third = user_id(session, "rapporteur3@example.org")
    try:
        chain = declare(admin, third, week, week, agent=remi_id)
        assert chain.status_code == 422
        assert "Rémi Rapporteur supplée Rachida Rapporteure du" in text_of(chain)
    finally:  # accounts outlive a test: this one goes
        session.rollback()
        session.execute(delete(User).where(User.id == third))
        session.commit()
    # Outside Rachida's period, Rémi's absence with her as suppléant is fine.
    later = week + timedelta(days=1)
    assert declare(remi, rachida_id, later, later).status_code == 302


def test_a_task_handed_to_an_absent_agent_is_announced_to_the_suppleant(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = instructing(browser_factory)
    today = paris_today()
    rachida = signed_in(browser_factory, RACHIDA)
    assert (
        declare(rachida, user_id(session, REMI), today, today + timedelta(days=3)).status_code
        == 302
    )
    item = open_item(session, walker.dossier_id, "instruire_demande")
    moved = walker.as_user(ROSE).post(
        f"/instruction/taches/{item}/reattribuer",
        {"utilisateur": str(user_id(session, RACHIDA))},
        from_page="/instruction/",
    )
    assert moved.status_code == 302, text_of(moved)[:1500]
    walker.run_jobs()
    session.rollback()
    told = session.scalars(
        select(Email.recipient).where(
            Email.instance_id == walker.dossier_id, Email.idempotency_key.like("%reattribution%")
        )
    ).all()
    assert told == [REMI]
