"""Timers: the ones a workflow waits on and their due time, firing one when its job says it is
due, and the checks of a timer's ISO 8601 text at deployment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn.running import diagram_errors
from engine.bpmn.tasks import find_task, spec_id, spec_title
from engine.core.clock import utcnow


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    spec_id: str
    title: str
    due: datetime


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """The timers the workflow waits on, with their due time (no walk of the task tree).

    SpiffWorkflow keeps its waiting catch events in the top workflow's event manager and the
    due time in each task's internal data, computed when the timer was reached.
    """
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING or not is_timer(task.task_spec):
            continue
        due = _timer_due(task)
        if due is not None:
            found.append(WaitingTimer(str(task.id), spec_id(task), spec_title(task), due))
    return found


def _timer_due(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # a cycle: its next occurrence
        return datetime.fromisoformat(value["next"]).astimezone(UTC)
    if not isinstance(value, str):
        return None
    moment = TimerEventDefinition.parse_time_or_duration(value)
    return moment.astimezone(UTC) if isinstance(moment, datetime) else None


def timer_pending(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Whether this timer still has to fire (waiting, or found due and not yet run)."""
    task = find_task(workflow, task_id)
    return (
        task is not None
        and is_timer(task.task_spec)
        and task.state in (TaskState.WAITING, TaskState.READY)
    )


def fire_timer(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Fire one timer now (its job says it is due); False when it no longer waits.

    The job is the authority on time: we do not ask SpiffWorkflow to compare clocks again.
    """
    task = find_task(workflow, task_id)
    if task is None or not is_timer(task.task_spec):
        return False
    if task.state == TaskState.WAITING:
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value["next"] = (utcnow() - timedelta(seconds=1)).isoformat()
        else:
            task._set_internal_data(event_fired=True)
        with diagram_errors():
            workflow.refresh_timers()
    return task.state in (TaskState.READY, TaskState.COMPLETED)


def retime_timers(workflow: BpmnWorkflow, changes: dict[str, Any]) -> list[WaitingTimer]:
    """The waiting date timers whose expression reads one of `changes`' names (a séance moved:
    `date_seance`) take the new values into their data and compute their due time again, with
    their own expression; returns them with their new due time. Nothing else moves."""
    moved = []
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if task.state != TaskState.WAITING or not isinstance(definition, TimeDateEventDefinition):
            continue
        if not set(_NAME.findall(str(definition.expression))) & set(changes):
            continue
        task.data.update(changes)
        if task.parent is not None:
            # A timer inherits its parent's data again when it fires (SpiffWorkflow merges the
            # parent's over its own): the parent holds the new values too.
            task.parent.data.update(changes)
        with diagram_errors():
            value = workflow.script_engine.evaluate(task, definition.expression)
        task._set_internal_data(event_value=value)
        due = _timer_due(task)
        if due is not None:
            moved.append(WaitingTimer(str(task.id), spec_id(task), spec_title(task), due))
    return moved


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- static analysis (validation) ------------------------------------------------------------


def is_timer(task_spec: Any) -> bool:
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)


def timer_text_problem(event_definition: Any, text: str) -> str | None:
    """The French reason a timer's ISO 8601 text is unusable, or None."""
    try:
        if isinstance(event_definition, TimeDateEventDefinition):
            moment = TimerEventDefinition.get_datetime(text)
            if moment.tzinfo is None:
                return "la date doit indiquer son fuseau horaire (ex. 2026-03-01T09:00:00+01:00)"
        elif isinstance(event_definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(text)
        else:
            TimerEventDefinition.parse_time_or_duration(text)
    except Exception:
        return "ce n'est pas un texte ISO 8601 valide (ex. P30D, 2026-03-01T09:00:00+01:00)"
    return None
