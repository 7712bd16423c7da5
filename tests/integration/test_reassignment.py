"""A task goes only to someone who may work on it: the secretariat cannot hand a submitter's
task to another organisation, and a form cannot designate someone the next lane refuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from engine.core.models import Email, Organisation, User, UserRole, WorkItem
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.people import accounts
from engine.workflow.access import reassignable_to
from tests.conftest import DOSSIER_TABLES
from tests.dossiers import open_item, snapshot, user_id, walk_until
from tests.support import PASSWORD, Browser, text_of
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
SCENARIO = "complements_recevabilite_puis_instruction"
COLLEAGUE = "collegue@example.org"


def emails_to(session: Session, instance_id: int | None, recipient: str) -> list[Email]:
    session.rollback()
    return list(
        session.scalars(
            select(Email).where(Email.instance_id == instance_id, Email.recipient == recipient)
        )
    )


@pytest.fixture
def colleague(session: Session) -> Iterator[int]:
    """A second submitter of the ministry (the demo has one per organisation), removed after."""
    ministry = session.scalar(select(Organisation).where(Organisation.kind == "ministere"))
    assert ministry is not None
    user = accounts.create_user(
        session,
        email=COLLEAGUE,
        name="Hugo Collègue",
        password=PASSWORD,
        enforce_policy=False,
        roles=["demandeur"],
        organisation_id=ministry.id,
    )
    session.commit()
    yield user.id
    session.rollback()
    for table in DOSSIER_TABLES:  # the dossiers of the test name the colleague
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.execute(delete(User).where(User.id == user.id))
    session.commit()


def at_complements(browser_factory: NewBrowser, session: Session) -> tuple[Walker, int]:
    """A ministry's dossier whose submitter is asked for complements; its emails delivered."""
    walker = walk_until(browser_factory, "completer_demande", scenario=SCENARIO)
    walker.run_jobs()
    return walker, open_item(session, walker.dossier_id, "completer_demande")


def test_a_submitters_task_is_never_handed_to_another_organisation(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker, item_id = at_complements(browser_factory, session)
    reference = walker.reference
    assert reference is not None
    secretariat = walker.as_user("recevabilite@example.org")
    outsider = user_id(session, "demandeur2@example.org")
    before = snapshot(session, walker.dossier_id)

    refused = secretariat.post(
        f"/instruction/taches/{item_id}/reattribuer",
        {"utilisateur": str(outsider)},
        from_page="/instruction/",
    )

    assert refused.status_code == 403, text_of(refused)[:1500]
    assert (
        "Paul Branche n'appartient pas à l'organisation de ce dossier : "
        "la tâche ne peut pas lui être réattribuée."
    ) in text_of(refused)
    assert snapshot(session, walker.dossier_id) == before
    walker.run_jobs()
    assert emails_to(session, walker.dossier_id, "demandeur2@example.org") == []
    # The other organisation's submitter sees nothing of it; the real one still can answer.
    assert reference not in text_of(walker.as_user("demandeur2@example.org").get("/demandes/"))
    page = walker.demandeur.get(f"/demandes/{walker.dossier_id}")
    assert f"/demandes/{walker.dossier_id}/taches/{item_id}" in page.get_data(as_text=True)


def test_a_submitters_task_goes_to_a_colleague_of_the_same_organisation(
    browser_factory: NewBrowser, session: Session, colleague: int
) -> None:
    walker, item_id = at_complements(browser_factory, session)
    reference = walker.reference
    assert reference is not None
    item = session.get(WorkItem, item_id)
    assert item is not None
    offered = {user.email for user in reassignable_to(session, item)}
    assert offered == {"demandeur@example.org", COLLEAGUE}
    secretariat = walker.as_user("recevabilite@example.org")

    moved = secretariat.post(
        f"/instruction/taches/{item_id}/reattribuer",
        {"utilisateur": str(colleague)},
        from_page="/instruction/",
    )

    assert moved.status_code == 302, text_of(moved)[:1500]
    session.rollback()
    item = session.get(WorkItem, item_id, populate_existing=True)
    assert item is not None and item.claimed_by_id == colleague
    walker.run_jobs()
    (email,) = emails_to(session, walker.dossier_id, COLLEAGUE)
    assert reference in email.body
    tasks = walker.as_user(COLLEAGUE).get(f"/demandes/{walker.dossier_id}/taches/{item_id}")
    assert tasks.status_code == 200


def test_the_rapporteurs_task_is_still_reassigned(
    browser_factory: NewBrowser, session: Session
) -> None:
    walker = walk_until(browser_factory, "instruire_demande")
    item_id = open_item(session, walker.dossier_id, "instruire_demande")
    url = f"/instruction/taches/{item_id}"
    secretariat = walker.as_user("recevabilite@example.org")
    rapporteur2 = user_id(session, "rapporteur2@example.org")

    moved = secretariat.post(
        f"{url}/reattribuer", {"utilisateur": str(rapporteur2)}, from_page="/instruction/"
    )

    assert moved.status_code == 302, text_of(moved)[:1500]
    assert walker.as_user("rapporteur2@example.org").get(url).status_code == 200
    assert walker.as_user("rapporteur@example.org").get(url).status_code == 403


def test_a_form_designates_only_whom_the_next_lane_accepts(
    browser_factory: NewBrowser, session: Session, restore: None
) -> None:
    """A model whose designation list shows submitters (a mistake of its author): choosing
    one of another organisation is refused, since the designated person works as rapporteur."""
    files = read_folder(PROCESS)
    ui = "forms/designer_rapporteur.ui.json"
    assert '"role": "rapporteur"' in files[ui]
    files[ui] = files[ui].replace('"role": "rapporteur"', '"role": "demandeur"')
    deploy(session, files)
    session.commit()
    walker = walk_until(browser_factory, "designer_rapporteur")
    item_id = open_item(session, walker.dossier_id, "designer_rapporteur")
    url = f"/instruction/taches/{item_id}"
    secretariat = walker.as_user("recevabilite@example.org")
    assert secretariat.post(f"{url}/prendre", from_page=url).status_code == 302
    before = snapshot(session, walker.dossier_id)
    # The list offers none of them: nobody the rule would refuse.
    page = secretariat.get(url).get_data(as_text=True)
    for submitter in ("demandeur2@example.org", "demandeur@example.org"):
        assert f'value="{user_id(session, submitter)}"' not in page

    for submitter in ("demandeur2@example.org", "demandeur@example.org"):
        refused = secretariat.post(
            url,
            {"rapporteur_id": str(user_id(session, submitter))},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 422, text_of(refused)[:1500]
        assert "Choisissez une personne de la liste." in text_of(refused)
        assert snapshot(session, walker.dossier_id) == before
    walker.run_jobs()
    assert emails_to(session, walker.dossier_id, "demandeur2@example.org") == []
