"""Moving a dossier's workflow onto another version of its process, with SpiffWorkflow's own
diff and migration functions (`SpiffWorkflow.bpmn.util.diff`).

`diff_workflow` aligns every task of the dossier, in its top process and in each sub-process or
call activity it runs, with the task specs of the new version. The caller reads the steps the
dossier has lived and decides whether it may move (`plan_move`). `migrate_workflow` then points
each task at its new spec and resets the tasks at the frontier (ready, waiting, started) so that
what lies ahead is predicted again from the new diagram (`apply_move`).

A reset task is recomputed as if it had just been reached; a dossier that moves keeps what it
had: each frontier task gets back its data and internal data (a timer keeps its due time) and a
running sub-process's task stays started, as before the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn.parsing import ParsedProcess
from engine.bpmn.running import diagram_errors
from engine.bpmn.serialization import SPEC_REGISTRY
from engine.core.errors import ExecutionError

# Predicted tasks are not lived: they are dropped and predicted again from the new diagram.
_AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE
_FRONTIER = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class LivedStep:
    """A step the dossier has lived (done, current or waiting) and its counterpart."""

    before: Any  # the task spec in the dossier's version
    after: Any | None  # the spec with the same element id in the new version; None when gone
    repeating: bool  # a multi-instance or loop activity under way: its instances cannot move

    @property
    def name(self) -> str:
        return str(self.before.name)

    @property
    def kind_changed(self) -> bool:
        return self.after is not None and type(self.after) is not type(self.before)


@dataclass(frozen=True)
class VersionMove:
    """A dossier's workflow compared with another version, ready to be moved onto it."""

    workflow: BpmnWorkflow
    target: ParsedProcess
    steps: list[LivedStep]
    top_diff: WorkflowDiff
    subprocess_diffs: dict[UUID, WorkflowDiff | None]


def plan_move(workflow: BpmnWorkflow, target: ParsedProcess) -> VersionMove:
    """Compare a dossier's workflow with `target`: the steps it has lived and their new specs."""
    try:
        top_diff, subprocess_diffs = diff_workflow(
            SPEC_REGISTRY, workflow, target.spec, target.subprocess_specs
        )
    except (SpiffWorkflowException, KeyError, RecursionError) as error:
        raise ExecutionError(
            f"le dossier n'a pas pu être comparé à la nouvelle version ({type(error).__name__})"
        ) from None
    steps: dict[int, LivedStep] = {}
    parts: list[tuple[Any, WorkflowDiff | None]] = [(workflow, top_diff)]
    parts += [(sub, subprocess_diffs.get(key)) for key, sub in workflow.subprocesses.items()]
    for part, diff in parts:
        for task in part.get_tasks(skip_subprocesses=True):
            if task.has_state(_AHEAD):
                continue
            step = _lived_step(task, diff)
            known = steps.get(id(task.task_spec))
            if known is None or (step.repeating and not known.repeating):
                steps[id(task.task_spec)] = step
    return VersionMove(workflow, target, list(steps.values()), top_diff, subprocess_diffs)


def _lived_step(task: Task, diff: WorkflowDiff | None) -> LivedStep:
    before = task.task_spec
    after = diff.alignment.get(task) if diff is not None else None
    # The diff may align a renamed element by its place in the flow; the engine follows
    # dossiers by element id (work items, forms, emails), so a new id is a step gone.
    if after is not None and after.name != before.name:
        after = None
    repeating = isinstance(before, LoopTask) and task.has_state(_FRONTIER)
    return LivedStep(before, after, repeating)


def apply_move(move: VersionMove) -> None:
    """Move the workflow onto the new version (the caller has checked its lived steps)."""
    workflow, target = move.workflow, move.target
    kept = {
        task.id: (task.state, task.data, task.internal_data)
        for task in workflow.get_tasks(state=_FRONTIER)
    }
    with diagram_errors():
        migrate_workflow(move.top_diff, workflow, target.spec, reset_mask=_FRONTIER)
        for key, sub in workflow.subprocesses.items():
            diff = move.subprocess_diffs.get(key)
            spec = target.subprocess_specs.get(sub.spec.name)
            if diff is None or spec is None:
                raise ExecutionError(
                    f"le sous-processus «\u00a0{sub.spec.name}\u00a0» n'existe plus"
                )
            migrate_workflow(diff, sub, spec, reset_mask=_FRONTIER)
    workflow.subprocess_specs = target.subprocess_specs
    for task in workflow.get_tasks():
        if task.id not in kept:
            continue
        state, data, internal = kept[task.id]
        task.data, task.internal_data = data, internal
        if state == TaskState.STARTED and task.state < TaskState.STARTED:
            task.state = TaskState.STARTED  # a sub-process still running
    _check_specs(workflow)


def _check_specs(workflow: BpmnWorkflow) -> None:
    """Every task now follows a spec of the new version (a stored state is read against it)."""
    for task in workflow.get_tasks():
        spec = task.workflow.spec
        if spec.task_specs.get(task.task_spec.name) is not task.task_spec:
            label = getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name
            raise ExecutionError(
                f"{task.task_spec.name}\u00a0: l'étape «\u00a0{label}\u00a0» de l'ancienne "
                "version resterait "
                "dans le dossier"
            )
