"""Dossiers brought to a given step through HTTP, and what the database keeps about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import AuditEvent, Document, Instance, Submission, User, WorkItem
from engine.studio.scenario import Scenario, load_scenarios
from tests.support import Browser
from tests.walk import PROCESS, Walker

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in load_scenarios(PROCESS)}


def data_of(scenario: str, task: str, occurrence: int = 0) -> dict[str, Any]:
    """The data a scenario file gives to its `occurrence`-th step of `task`."""
    steps = [step for step in SCENARIOS[scenario].steps if step.task == task]
    return dict(steps[occurrence].data)


def walk_until(
    new_browser: Callable[[], Browser],
    task: str,
    *,
    scenario: str = "favorable",
    organisation: str = "ministere",
) -> Walker:
    """A dossier of `organisation` played through HTTP up to (not including) the first `task`
    (a task, or the element of a timer step)."""
    walker = Walker(new_browser, organisation)
    for step in SCENARIOS[scenario].steps:
        if task in (step.task, step.timer):
            return walker
        walker.step(step.task, step.data, step.timer)
    raise AssertionError(f"{task} is not a step of {scenario}")


def open_item(session: Session, instance_id: int | None, task: str) -> int:
    """The id of the open work item of `task` in the dossier (fails when there is none)."""
    session.rollback()  # a fresh transaction: see what the app has committed since
    item_id = session.scalar(
        select(WorkItem.id).where(
            WorkItem.instance_id == instance_id,
            WorkItem.task_spec == task,
            WorkItem.status == "open",
        )
    )
    assert item_id is not None, f"no open {task} in dossier {instance_id}"
    return item_id


def user_id(session: Session, email: str) -> int:
    found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return found


@dataclass(frozen=True)
class Snapshot:
    """What a refused action must leave untouched."""

    state: str
    lock_version: int
    status_label: str
    reference: str | None
    draft: tuple[tuple[int, Any], ...]
    submissions: int
    events: int  # audit events, pieces excepted (a good piece is kept even if the form is not)
    documents: int
    work_items: tuple[tuple[int, str, str, int | None], ...]


def snapshot(session: Session, instance_id: int | None) -> Snapshot:
    session.rollback()
    instance = session.get(Instance, instance_id, populate_existing=True)
    assert instance is not None

    def count(model: Any, *conditions: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0

    items = session.scalars(
        select(WorkItem).where(WorkItem.instance_id == instance_id).order_by(WorkItem.id)
    ).all()
    return Snapshot(
        state=instance.state,
        lock_version=instance.lock_version,
        status_label=instance.status_label,
        reference=instance.reference,
        draft=tuple((item.id, item.draft) for item in items),
        submissions=count(Submission, Submission.instance_id == instance_id),
        events=count(AuditEvent, AuditEvent.instance_id == instance_id, AuditEvent.kind != "piece"),
        documents=count(Document, Document.instance_id == instance_id),
        work_items=tuple(
            (item.id, item.task_spec, item.status, item.claimed_by_id) for item in items
        ),
    )
