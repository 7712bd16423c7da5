"""Séances for tests, made as the secretariat makes them: through the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import PARIS, as_utc
from engine.core.models import Job, JobStatus
from engine.jobs import JobKind
from tests.support import Browser, location_id, text_of
from tests.walk import Walker

SECRETARIAT = "recevabilite@example.org"
COMMISSION = "commission@example.org"


def seance_fields(when: datetime, **extra: Any) -> dict[str, Any]:
    local = when.astimezone(PARIS)
    return {
        "date": local.date().isoformat(),
        "heure": local.strftime("%H:%M"),
        "lieu": "Salle Duquesne",
        "lien_visio": "",
    } | extra


def create_seance(browser: Browser, when: datetime, *, tenue: bool = False) -> int:
    fields = seance_fields(when, **({"tenue": "true"} if tenue else {}))
    created = browser.post("/seances/nouvelle", fields, from_page="/seances/nouvelle")
    assert created.status_code == 302, text_of(created)[:2000]
    return location_id(created, r"/seances/(\d+)")


def inscribe_on_task_page(walker: Walker, seance_id: int, work_item_id: int) -> int:
    """The secretariat takes *Inscrire à l'ordre du jour* and chooses the séance."""
    browser = walker.as_user(SECRETARIAT)
    url = f"/instruction/taches/{work_item_id}"
    assert browser.post(f"{url}/prendre", from_page=url).status_code == 302
    response = browser.post(url, {"seance_id": str(seance_id)}, content_type="multipart/form-data")
    return response.status_code


def timer_due(session: Session, instance_id: int | None) -> datetime:
    session.rollback()
    job = session.scalar(
        select(Job).where(
            Job.instance_id == instance_id,
            Job.kind == str(JobKind.TIMER),
            Job.status == JobStatus.PENDING,
        )
    )
    assert job is not None
    return as_utc(job.run_at)
