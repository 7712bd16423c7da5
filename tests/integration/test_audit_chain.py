"""The audit trail proves itself: its chains linked by the worker's job and `inventaire audit
seal`, checked by `inventaire audit verify` (an altered, a moved, a deleted row named), its
seals signed with the operator's key, a dossier's trail downloaded by the staff."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from engine.core.models import AuditEvent, AuditSeal, Job, JobStatus
from engine.jobs import JobKind
from tests.dossiers import SCENARIOS
from tests.support import Browser, location_id
from tests.walk import Walker

KEY = "clé-de-l-opérateur"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("INVENTAIRE_DATABASE_URL", database_url)
    monkeypatch.setenv("INVENTAIRE_SECRET_KEY", "test")
    monkeypatch.setenv("INVENTAIRE_AUDIT_SEAL_KEY", KEY)
    from web.cli import main

    def run(*args: str, key: str | None = KEY) -> Result:
        if key is None:
            monkeypatch.delenv("INVENTAIRE_AUDIT_SEAL_KEY")
        else:
            monkeypatch.setenv("INVENTAIRE_AUDIT_SEAL_KEY", key)
        return CliRunner().invoke(main, list(args))

    return run


def played(app: Flask) -> int:
    favorable = SCENARIOS["favorable"]
    walker = Walker(lambda: Browser(app.test_client()), favorable.organisation)
    walker.play(favorable)
    assert walker.dossier_id is not None
    return walker.dossier_id


def events_of(session: Session, dossier: int) -> list[AuditEvent]:
    session.rollback()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == dossier).order_by(AuditEvent.id)
        )
    )


def test_verify_names_the_first_altered_moved_or_deleted_event(
    app: Flask, session: Session, db_engine: Engine, cli: Callable[..., Result]
) -> None:
    dossier = played(app)
    before = cli("audit", "verify")
    assert before.exit_code == 0, before.output
    assert "pas encore chaîné" in before.output

    sealed = cli("audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    assert "Sceau n°" in sealed.output
    whole = cli("audit", "verify")
    assert whole.exit_code == 0, whole.output
    assert "Journal d'audit intact" in whole.output and "1 sceau(x) vérifié(s)" in whole.output

    events = events_of(session, dossier)
    assert len(events) > 4 and all(event.hash for event in events)
    target = events[2]
    with db_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET summary = 'Rien à signaler' WHERE id = :id"),
            {"id": target.id},
        )
    altered = cli("audit", "verify")
    assert altered.exit_code == 1
    assert f"événement n° {target.id}" in altered.output
    assert f"dossier n° {dossier}" in altered.output
    assert "contenu" in altered.output

    with db_engine.begin() as connection:  # put back: whole again
        connection.execute(
            text("UPDATE audit_event SET summary = :summary WHERE id = :id"),
            {"summary": target.summary, "id": target.id},
        )
        connection.execute(
            text("UPDATE audit_event SET actor_id = NULL WHERE id = :id"), {"id": events[3].id}
        )
    header = cli("audit", "verify")
    assert header.exit_code == 1
    assert f"événement n° {events[3].id}" in header.output and "en-tête" in header.output

    with db_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET actor_id = :actor WHERE id = :id"),
            {"actor": events[3].actor_id, "id": events[3].id},
        )
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[1].id})
    deleted = cli("audit", "verify")
    assert deleted.exit_code == 1
    assert f"événement n° {events[2].id}" in deleted.output
    assert f"position {events[1].chain_seq} a été supprimé" in deleted.output


def test_a_rewritten_chain_breaks_the_seal_and_a_wrong_key_is_named(
    app: Flask, session: Session, db_engine: Engine, cli: Callable[..., Result]
) -> None:
    dossier = played(app)
    assert cli("audit", "seal").exit_code == 0
    wrong = cli("audit", "verify", key="une-autre-clé")
    assert wrong.exit_code == 1
    assert "la signature du sceau" in wrong.output

    no_key = cli("audit", "verify", key="")
    assert no_key.exit_code == 0, no_key.output
    assert "Signatures des sceaux non vérifiées" in no_key.output

    # Whoever rewrites the last event and recomputes its hash keeps the chain coherent, not
    # the seal.
    last = events_of(session, dossier)[-1]
    from engine.core.audit_chain import content_digest, header_of

    session.rollback()
    event = session.get(AuditEvent, last.id)
    assert event is not None
    event.summary = "Réécrit"
    event.content_sha256 = content_digest(event.summary, event.details)
    event.hash = header_of(event).hash()
    session.commit()
    rewritten = cli("audit", "verify")
    assert rewritten.exit_code == 1
    assert "ne correspond plus à la chaîne" in rewritten.output


def test_the_worker_links_and_seals_once_a_day_and_schedules_its_next_run(
    app: Flask, session: Session, cli: Callable[..., Result]
) -> None:
    from engine.jobs.audit_job import schedule

    played(app)
    schedule(session)
    session.commit()
    written = session.scalars(select(AuditEvent.id)).all()
    ran = cli("worker", "--once")
    assert ran.exit_code == 0, ran.output
    session.rollback()
    linked = session.scalars(select(AuditEvent.id).where(AuditEvent.chain_seq.is_not(None))).all()
    assert set(written) <= set(linked)
    assert len(session.scalars(select(AuditSeal)).all()) == 1
    jobs = session.scalars(select(Job).where(Job.kind == str(JobKind.AUDIT_CHAINAGE))).all()
    assert sorted(job.status for job in jobs) == [JobStatus.DONE, JobStatus.PENDING]
    assert "Sceau du journal d'audit" in ran.output or session.scalar(select(AuditSeal.chain_seq))

    # The next run links again, and writes no second seal the same day.
    from engine.core.clock import utcnow

    session.execute(
        text("UPDATE job SET run_at = :now WHERE status = 'pending' AND kind = :kind"),
        {"now": utcnow(), "kind": str(JobKind.AUDIT_CHAINAGE)},
    )
    session.commit()
    assert cli("worker", "--once").exit_code == 0
    session.rollback()
    assert len(session.scalars(select(AuditSeal)).all()) == 1
    assert cli("audit", "verify").exit_code == 0


def test_a_deleted_draft_leaves_its_trail_redacted_and_the_chains_whole(
    app: Flask, session: Session, cli: Callable[..., Result]
) -> None:
    played(app)
    assert cli("audit", "seal").exit_code == 0
    submitter = Browser(app.test_client())
    submitter.login("demandeur@example.org")
    created = submitter.post("/demandes/nouvelle", from_page="/demandes/")
    draft = location_id(created, r"/demandes/(\d+)/saisie")
    assert cli("audit", "seal").exit_code == 0  # the draft's creation linked and sealed
    deleted = submitter.post(f"/demandes/{draft}/supprimer")
    assert deleted.status_code == 302

    session.rollback()
    kept = [
        event
        for event in session.scalars(select(AuditEvent).where(AuditEvent.redacted_at.is_not(None)))
    ]
    assert kept and all(event.summary == "" for event in kept)
    assert all(event.details == {"dossier": draft} for event in kept)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output


def test_the_staff_download_a_dossiers_trail_the_submitter_cannot(app: Flask) -> None:
    dossier = played(app)
    staff = Browser(app.test_client())
    staff.login("recevabilite@example.org")
    page = staff.get(f"/instruction/dossiers/{dossier}")
    assert f"/instruction/dossiers/{dossier}/journal.csv" in page.get_data(as_text=True)

    as_json = staff.get(f"/instruction/dossiers/{dossier}/journal.json")
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["Content-Disposition"]
    trail = json.loads(as_json.get_data(as_text=True))
    assert trail["dossier"] == dossier
    assert len(trail["evenements"]) > 4
    assert trail["evenements"][0]["acteur"] == "Paul Branche"  # the favorable's submitter

    as_csv = staff.get(f"/instruction/dossiers/{dossier}/journal.csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["id"] for row in rows] == [str(event["id"]) for event in trail["evenements"]]

    submitter = Browser(app.test_client())
    submitter.login("demandeur@example.org")
    refused = submitter.get(f"/instruction/dossiers/{dossier}/journal.json")
    assert refused.status_code in (403, 404)
    assert "evenements" not in refused.get_data(as_text=True)


def test_the_command_line_exports_a_dossiers_trail(app: Flask, cli: Callable[..., Result]) -> None:
    dossier = played(app)
    as_csv = cli("audit", "export", str(dossier), "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) > 4 and rows[0]["acteur"] == "Paul Branche"
    as_json = cli("audit", "export", str(dossier))
    assert json.loads(as_json.output)["dossier"] == dossier
    unknown = cli("audit", "export", "999999")
    assert unknown.exit_code == 2
    assert "Aucun dossier n° 999999." in unknown.output
