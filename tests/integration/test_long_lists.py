"""Lists longer than they count: past its cap a list reads « plus de N », every row stays
reachable page after page, and a page typed past the end shows the last one with the exact
count. The caps (10,000 dossiers, 1,000 tasks a queue) and page sizes are lowered here so that
a few real dossiers, filed and played through HTTP, go past them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.core.models import WorkItem
from engine.workflow import dossiers_list, inbox
from tests.dossiers import open_item, walk_until
from tests.support import Browser, main_text
from tests.walk import Walker

NewBrowser = Callable[[], Browser]
SECRETARIAT = "recevabilite@example.org"
STEP = "examiner_recevabilite"


def lower_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the dossiers are filed (the walks find theirs on the Bannette's first page)."""
    monkeypatch.setattr(dossiers_list, "COUNT_CAP", 3)
    monkeypatch.setattr(dossiers_list, "PAGE_SIZE", 2)
    monkeypatch.setattr(inbox, "QUEUE_CAP", 3)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)


def references(page: str) -> list[str]:
    return re.findall(r'href="/instruction/(?:dossiers|taches)/\d+">([A-Z]+-\d{4}-\d+)<', page)


def walk_through(agent: Browser, path: str) -> list[str]:
    """The references of every page, following « Page suivante » from the first."""
    seen: list[str] = []
    while True:
        body = agent.get(path).get_data(as_text=True)
        seen += references(body)
        following = re.search(r'href="([^"]+)" title="Page suivante"', body)
        if following is None:
            return seen
        path = following.group(1).replace("&amp;", "&")


def options(page: str) -> list[str]:
    """The step filter's options as the form shows them."""
    select = re.search(r'<select[^>]*name="etape".*?</select>', page, re.S)
    assert select
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]+)<", select.group(0))]


def test_lists_past_their_count(
    monkeypatch: pytest.MonkeyPatch, browser_factory: NewBrowser, session: Session
) -> None:
    kinds = ("ministere", "cpne", "organisation_cncp", "ministere", "cpne")
    waiting: list[Walker] = [walk_until(browser_factory, STEP, organisation=kind) for kind in kinds]
    designated = walk_until(browser_factory, "designer_rapporteur", organisation="cpne")
    lower_caps(monkeypatch)
    agent = waiting[0].as_user(SECRETARIAT)
    filed = [str(walker.reference) for walker in waiting]

    # The Bannette: the queue at the step counted up to 3, the other one exactly.
    tray = agent.get("/instruction/")
    body = tray.get_data(as_text=True)
    assert "Tâches (plus de 4)" in main_text(tray)
    assert "Examiner la recevabilité (plus de 3)" in options(body)
    assert "Désigner le rapporteur (1)" in options(body)
    # No last page is offered (not known); the next one is.
    assert 'title="Dernière page"' not in body and 'title="Page suivante"' in body
    assert sorted(walk_through(agent, "/instruction/")) == sorted([*filed, designated.reference])
    at_step = walk_through(agent, f"/instruction/?etape={STEP}")
    assert sorted(at_step) == sorted(filed) and len(set(at_step)) == len(filed)
    # Typed past the end: the last page, now counted exactly.
    past = agent.get(f"/instruction/?etape={STEP}&page=9")
    assert "Tâches (5)" in main_text(past)
    assert references(past.get_data(as_text=True)) == at_step[4:]

    # Tous les dossiers: « plus de 3 », every dossier reachable, the export link says so.
    listed = agent.get("/instruction/dossiers?statut=D%C3%A9pos%C3%A9e")
    assert "Dossiers (plus de 3)" in main_text(listed)
    assert "Exporter cette liste (plus de 3 dossiers)" in main_text(listed)
    assert sorted(walk_through(agent, "/instruction/dossiers?statut=D%C3%A9pos%C3%A9e")) == sorted(
        filed
    )
    last = agent.get("/instruction/dossiers?statut=D%C3%A9pos%C3%A9e&page=50")
    assert "Dossiers (5)" in main_text(last) and len(references(last.get_data(as_text=True))) == 1
    # Under the cap, the exact count as before.
    assert "Dossiers (1)" in main_text(agent.get(f"/instruction/dossiers?q={filed[0]}"))

    # Four taken by the agent: their own queue is capped too; theirs come first, then the
    # one nobody took, in the order of arrival, each once.
    for walker in waiting[:4]:
        item = open_item(session, walker.dossier_id, STEP)
        taken = agent.post(
            f"/instruction/taches/{item}/prendre", from_page=f"/instruction/taches/{item}"
        )
        assert taken.status_code == 302
    mine = walk_through(agent, f"/instruction/?etape={STEP}")
    assert mine == [*filed[:4], filed[4]]
    page_two = agent.get(f"/instruction/?etape={STEP}&page=2").get_data(as_text=True)
    assert references(page_two) == filed[2:4] and page_two.count("Par vous") == 2


def test_steps_offered_with_each_title(browser_factory: NewBrowser, session: Session) -> None:
    """The steps of the filters are found one index descent each: a step whose task was
    renamed by a later version of the process is offered under each of its titles."""
    first = walk_until(browser_factory, STEP, organisation="ministere")
    second = walk_until(browser_factory, STEP, organisation="cpne")
    designated = walk_until(browser_factory, "designer_rapporteur", organisation="cpne")
    # The title the dossier's own (earlier) version gave the task.
    session.execute(
        update(WorkItem)
        .where(WorkItem.id == open_item(session, second.dossier_id, STEP))
        .values(task_title="Examiner la recevabilité (version 1)")
    )
    session.commit()
    agent = first.as_user(SECRETARIAT)
    tray = options(agent.get("/instruction/").get_data(as_text=True))
    assert [label for label in tray if "recevabilité" in label or "rapporteur" in label] == [
        "Désigner le rapporteur (1)",
        "Examiner la recevabilité (1)",
        "Examiner la recevabilité (version 1) (1)",
    ]
    # Under a filter, only the steps where some task passes it (none counted at zero).
    searched = agent.get(f"/instruction/?q={designated.reference}").get_data(as_text=True)
    assert [label for label in options(searched) if "(" in label] == ["Désigner le rapporteur (1)"]
    every = options(agent.get("/instruction/dossiers").get_data(as_text=True))
    assert {"Désigner le rapporteur", "Examiner la recevabilité",
            "Examiner la recevabilité (version 1)"} <= set(every)  # fmt: skip
