"""Complements as their users see them: the submitter reads what is asked and by when at the top
of the dossier; each round starts empty beside the earlier ones; the reviewer's request starts
empty; the agent who asked gets the answered dossier back already taken."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.models import Job, JobStatus, WorkItem
from engine.people import accounts
from tests.dossiers import SCENARIOS, open_item, user_id
from tests.support import Browser, text_of
from tests.walk import Walker
from web.filters import datetime_fr

NewBrowser = Callable[[], Browser]
SCENARIO = "complements_recevabilite_puis_instruction"


def textarea(page_html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page_html, re.S)
    assert match, name
    return html.unescape(match.group(1)).strip()


def walk_steps(walker: Walker, count: int) -> None:
    for step in SCENARIOS[SCENARIO].steps[:count]:
        walker.step(step.task, step.data, step.timer)


def test_complements_rounds(browser_factory: NewBrowser, session: Session) -> None:
    # A colleague holds the recevabilité's role too: a task already taken is not theirs.
    accounts.create_user(
        session,
        email="collegue.recevabilite@example.org",
        name="Claire Collègue",
        password="un mot de passe",
        roles=["recevabilite"],
    )
    session.commit()
    walker = Walker(browser_factory, "ministere")
    walk_steps(walker, 2)  # filed, then complements asked by the recevabilité

    # The dossier page says, at its top, what is asked and by when.
    session.rollback()
    due = session.scalars(
        select(Job.run_at).where(
            Job.instance_id == walker.dossier_id,
            Job.status == JobStatus.PENDING,
            Job.payload["element"].as_string() == "delai_complements_echu",
        )
    ).one()
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    top = page[page.index("Ce qui est attendu de vous") :]
    assert top.index("Le modèle d'attestation ne mentionne ni la date") < top.index("Historique")
    assert f"À faire au plus tard le {datetime_fr(due)}." in page
    assert "Sans réponse à cette date, le dossier est clos : « Classée sans suite »." in page

    # The first round starts empty; its page says by when, as the dossier's does.
    item = open_item(session, walker.dossier_id, "completer_demande")
    url = f"/demandes/{walker.dossier_id}/taches/{item}"
    task_page = walker.demandeur.get(url)
    assert textarea(task_page.get_data(as_text=True), "reponse") == ""
    shown = text_of(task_page)
    assert f"À faire au plus tard le {datetime_fr(due)}." in shown
    assert "Sans réponse à cette date, le dossier est clos : « Classée sans suite »." in shown
    assert shown.index("À faire au plus tard") < shown.index("Envoyer les compléments")
    walk_steps_from(walker, 2, 3)

    # Back at the recevabilité: already taken by the agent who asked; the request starts empty.
    returned = session.get(WorkItem, open_item(session, walker.dossier_id, "examiner_recevabilite"))
    assert returned is not None
    assert returned.claimed_by_id == user_id(session, "recevabilite@example.org")
    reviewer = walker.as_user("recevabilite@example.org")
    shown = reviewer.get(f"/instruction/taches/{returned.id}")
    assert "Vous avez pris en charge cette tâche." in text_of(shown)
    # Only its holder is told it is back, and told it is theirs.
    told = session.scalars(
        select(Job.payload).where(
            Job.instance_id == walker.dossier_id,
            Job.payload["template"].as_string() == "tache_en_attente",
            Job.idempotency_key.contains(returned.task_id),
        )
    ).all()
    assert [payload["to"] for payload in told] == ["recevabilite@example.org"]
    assert "est arrivée dans votre bannette" in told[0]["body"]
    assert textarea(shown.get_data(as_text=True), "complements_demandes") == ""

    # recevable, rapporteur designated: the instruction is already the rapporteur's.
    walk_steps_from(walker, 3, 5)
    instruction = session.get(WorkItem, open_item(session, walker.dossier_id, "instruire_demande"))
    assert instruction is not None
    assert instruction.claimed_by_id == user_id(session, "rapporteur@example.org")

    # The rapporteur asks again: the second round starts empty, the first one shown read-only.
    walk_steps_from(walker, 5, 6)
    item = open_item(session, walker.dossier_id, "completer_demande")
    second = walker.demandeur.get(f"/demandes/{walker.dossier_id}/taches/{item}")
    assert textarea(second.get_data(as_text=True), "reponse") == ""
    earlier = text_of(second)
    assert "Vos réponses précédentes" in earlier
    assert "Vous trouverez ci-joint le modèle d'attestation corrigé." in earlier
    assert "Précisez la composition du jury" in earlier  # what is asked now

    walk_steps_from(walker, 6, 7)
    back = session.get(WorkItem, open_item(session, walker.dossier_id, "instruire_demande"))
    assert back is not None
    assert back.claimed_by_id == user_id(session, "rapporteur@example.org")
    form = walker.as_user("rapporteur@example.org").get(f"/instruction/taches/{back.id}")
    assert textarea(form.get_data(as_text=True), "complements_demandes") == ""


def walk_steps_from(walker: Walker, start: int, stop: int) -> None:
    for step in SCENARIOS[SCENARIO].steps[start:stop]:
        walker.step(step.task, step.data, step.timer)
