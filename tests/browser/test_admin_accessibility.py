"""axe-core on the administrator's pages of emails and jobs: the outbox (with its pages), an
email, the templates, the incidents with a failed job, the jobs and a dossier's jobs — no
serious or critical violation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.clock import utcnow
from engine.core.models import Email, EmailStatus
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.integration.test_admin_jobs import deposer, failed_job


@pytest.fixture
def operations(session: Session, upload_dir: Path, app: Flask) -> tuple[int, int]:
    """A dossier déposé with its emails in the outbox and a failed job; enough emails for
    the outbox to have pages. The dossier's id and its acknowledgement's id."""
    sessions: sessionmaker[Session] = app.extensions["db_sessions"]
    instance = deposer(session, upload_dir, sessions)
    failed_job(session, sessions, instance.id)
    now = utcnow()
    session.add_all(
        Email(
            idempotency_key=f"essai:{number}",
            template="tache_en_attente",
            recipient="rapporteur@example.org",
            subject=f"Courriel d'essai {number}",
            body="Bonjour,\n\nUn essai.",
            status=EmailStatus.SENT,
            created_at=now - timedelta(days=1, minutes=number),
            sent_at=now - timedelta(days=1),
        )
        for number in range(60)
    )
    session.commit()
    email_id = session.scalar(
        select(Email.id).where(Email.instance_id == instance.id, Email.template == "accuse_depot")
    )
    assert email_id is not None
    return instance.id, email_id


def test_admin_operations_pages(page: Page, live_server: str, operations: tuple[int, int]) -> None:
    instance_id, email_id = operations
    login(page, live_server, "admin@example.org")
    for path in (
        "/admin/",
        "/admin/incidents",
        "/admin/courriels",
        "/admin/courriels?page=2",
        f"/admin/courriels/{email_id}",
        "/admin/courriels/modeles",
        "/admin/travaux",
        f"/admin/dossiers/{instance_id}/travaux",
        "/admin/webhooks",
        "/admin/webhooks/nouveau",
    ):
        page.goto(live_server + path)
        assert violations(page) == [], path
    page.goto(f"{live_server}/admin/courriels")
    assert page.locator("nav.fr-pagination").count() == 1
    page.goto(f"{live_server}/admin/incidents")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Relancé\u00a0: Archivage du dossier" in page.inner_text("main")
    assert violations(page) == [], "after Relancer"
