"""What the rest of the engine reads on a workflow and its tasks: the human tasks ready, the
catch events waiting, a task's element id, title, lane and properties, the process data, the end
event reached, the path a dossier has taken."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn import pruning


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TypeError):
        return None
    except SpiffWorkflowException:
        return None


def is_ready_human_task(task: Task) -> bool:
    return task.state == TaskState.READY and bool(task.task_spec.manual)


def task_properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def task_instructions(task_spec: Any) -> str:
    extensions = getattr(task_spec, "extensions", None) or {}
    return str(extensions.get("instructionsForEndUser") or "")


def task_id_of(task: Task) -> str:
    return str(task.id)


def spec_id(task: Task) -> str:
    return str(task.task_spec.bpmn_id or task.task_spec.name)


def spec_title(task: Task) -> str:
    return str(task.task_spec.bpmn_name or spec_id(task))


def lane_of(task: Task) -> str | None:
    return task.task_spec.lane


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The process variables as they stand: the ready task's data, or the final data."""
    if workflow.completed:
        return dict(workflow.data)
    tasks = ready_human_tasks(workflow) or waiting_tasks(workflow)
    if tasks:
        return dict(tasks[0].data)
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


def waiting_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [
        task
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(task.task_spec, CatchingEvent)
    ]


def reached_end_event(workflow: BpmnWorkflow, completed: list[Task] | None = None) -> Task | None:
    """The end event that ended the top process (None while running).

    Another branch may have reached an end event before (a reminder sent by a non-interrupting
    timer): the one that ended the process is the last completed by the action that ended it.
    Without that list, the most recent by time (which a clock set back can mislead).
    """
    if not workflow.completed:
        return None
    just_ended = [
        task
        for task in completed or []
        if isinstance(task.task_spec, EndEvent) and task.workflow is workflow
    ]
    if just_ended:
        return just_ended[-1]
    ends: Iterable[Task] = workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
    top = [task for task in ends if task.workflow is workflow]
    return max(top, key=lambda task: task.last_state_change) if top else None


def is_completed(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.completed)


def has_completed(workflow: BpmnWorkflow, spec: str) -> bool:
    """Whether the dossier completed the element `spec` (in the tree, or before a pruning)."""
    if any(spec_id(task) == spec for task in workflow.get_tasks(state=TaskState.COMPLETED)):
        return True
    return any(_element_id(task_spec) == spec for task_spec in pruning.done_specs(workflow))


def _element_id(task_spec: Any) -> str:
    return str(task_spec.bpmn_id or task_spec.name)


def task_title_of(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_name", None) or getattr(task_spec, "bpmn_id", ""))


def path_markers(workflow: BpmnWorkflow) -> dict[str, list[str]]:
    """Element ids a dossier has completed, the ones it is at, and the ones it waits on."""
    # The steps pruned from the stored tree were completed there (engine.bpmn.pruning).
    completed = {
        task_spec.bpmn_id
        for task_spec in pruning.done_specs(workflow)
        if getattr(task_spec, "bpmn_id", None)
    }
    current: set[str] = set()
    waiting: set[str] = set()
    for task in workflow.get_tasks():
        element = getattr(task.task_spec, "bpmn_id", None)
        if not element:
            continue
        if task.has_state(TaskState.COMPLETED):
            completed.add(element)
        elif task.has_state(TaskState.READY | TaskState.STARTED):
            current.add(element)
        elif task.has_state(TaskState.WAITING):
            waiting.add(element)
    return {
        "completed": sorted(completed - current - waiting),
        "current": sorted(current),
        "waiting": sorted(waiting - current),
    }
