"""The dossiers' consistency checker (engine/workflow/consistency.py): silent on dossiers walked
through the pages, it names each disagreement between a dossier's workflow state, its work
items and its audit trail."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.core.models import AuditEvent, Instance, WorkItem
from engine.workflow.consistency import check_all, check_dossier
from tests.dossiers import open_item, walk_until
from tests.support import Browser


def problems(session: Session, instance_id: int | None) -> list[str]:
    session.rollback()
    instance = session.get(Instance, instance_id, populate_existing=True)
    assert instance is not None
    return [found.what for found in check_dossier(session, instance)]


def test_the_checker_names_what_disagrees(
    browser_factory: Callable[[], Browser], session: Session
) -> None:
    walker = walk_until(browser_factory, "designer_rapporteur")
    dossier = walker.dossier_id
    assert check_all(session) == []

    # An open work item whose task is no longer ready (closed in the workflow, not in the row).
    item = open_item(session, dossier, "designer_rapporteur")
    session.execute(update(WorkItem).where(WorkItem.id == item).values(task_id="fantome"))
    session.commit()
    found = problems(session, dossier)
    assert any("no longer ready: ['fantome']" in what for what in found), found
    assert any("ready tasks with no open work item" in what for what in found), found

    # A filed form whose audit event is missing.
    session.execute(
        delete(AuditEvent).where(AuditEvent.instance_id == dossier, AuditEvent.kind == "tache")
    )
    session.commit()
    found = problems(session, dossier)
    assert "2 forms filed but 1 audit events of filing" in found, found

    # A reference with no dépôt recorded.
    session.execute(
        delete(AuditEvent).where(AuditEvent.instance_id == dossier, AuditEvent.kind == "depot")
    )
    session.commit()
    assert any("dépôt events" in what for what in problems(session, dossier))
    reference = session.scalar(select(Instance.reference).where(Instance.id == dossier))
    assert reference is not None
