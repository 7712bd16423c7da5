"""Stored XSS through what a process owner writes: a process's title (process.json) and a
task's name (the BPMN), deployed, then shown to submitters (the processes they may file, the
draft's task page) and to process owners (the studio). Checked in Chromium as
tests/browser/test_stored_xss.py checks the users' fields."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from engine.definitions import definition, deployment
from tests.browser.conftest import login
from tests.browser.test_stored_xss import PAYLOAD, check
from tests.conftest import PROCESSES
from tests.support import Browser

NewBrowser = Callable[[], Browser]
KEY = "enregistrement-rs"
TASK_NAME = 'name="Déposer la demande"'


@pytest.fixture
def poisoned_model(session: Session, tmp_path: Path) -> Iterator[None]:
    """A version of the RS filing process whose title and first task carry the payload; the
    folder's own version deployed again afterwards."""
    folder = tmp_path / KEY
    shutil.copytree(PROCESSES / KEY, folder)
    meta_path = folder / "process.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["title"] = f"Enregistrement {PAYLOAD}"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    bpmn = folder / f"{KEY}.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    assert TASK_NAME in text
    poisoned = f'name="Déposer la demande {escape(PAYLOAD, quote=True)}"'
    bpmn.write_text(text.replace(TASK_NAME, poisoned, 1), encoding="utf-8")
    deployment.deploy(session, definition.read_folder(folder))
    session.commit()
    yield
    session.rollback()
    deployment.deploy(session, definition.read_folder(PROCESSES / KEY))
    session.commit()


def test_a_process_models_names_never_run_as_script(
    page: Page, live_server: str, browser_factory: NewBrowser, poisoned_model: None
) -> None:
    submitter = browser_factory()
    submitter.login("demandeur@example.org")
    started = submitter.post("/demandes/nouvelle", {"processus": KEY})
    assert started.status_code in (302, 303), started.get_data(as_text=True)[:500]
    draft = started.headers["Location"]

    login(page, live_server, "demandeur@example.org")
    check(page, f"{live_server}/demandes/", shown=False)  # its buttons name the registers
    check(page, f"{live_server}{draft}" if draft.startswith("/") else draft)
    page.context.clear_cookies()
    login(page, live_server, "proprietaire@example.org")
    check(page, f"{live_server}/studio/")
    check(page, f"{live_server}/studio/{KEY}/")
