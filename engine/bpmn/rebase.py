"""Moving a dossier's workflow onto another version of its process, with SpiffWorkflow's own
diff and migration functions (`SpiffWorkflow.bpmn.util.diff`).

`SpecDiff` and `WorkflowDiff` (what `diff_workflow` does) align every task of the dossier, in its
top process and in each sub-process or call activity it runs, with the task specs of the new
version, and so the steps pruned from its stored tree (engine.bpmn.pruning). The caller reads
the steps the dossier has lived and decides whether it may move (`plan_move`).
`migrate_workflow` then points each task at its new spec and resets the tasks at the frontier
(ready, waiting, started) so that what lies ahead is predicted again from the new diagram
(`apply_move`).

A reset task is recomputed as if it had just been reached; a dossier that moves keeps what it
had: each frontier task gets back its data and internal data (a timer keeps its due time) and a
running sub-process's task stays started, as before the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn import pruning
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
    """Compare a dossier's workflow with `target`: the steps it has lived and their new specs.

    The lived steps are the tasks of its tree and those pruned from the stored tree
    (engine.bpmn.pruning), compared by the same spec diffs."""
    try:
        spec_diffs = _SpecDiffs(workflow, target)
        top_diff = WorkflowDiff(workflow, spec_diffs.of(pruning.TOP))
        subprocess_diffs: dict[UUID, WorkflowDiff | None] = {}
        for key, sub in workflow.subprocesses.items():
            diff = spec_diffs.of(sub.spec.name, sub.spec)
            subprocess_diffs[key] = WorkflowDiff(sub, diff) if diff is not None else None
    except (SpiffWorkflowException, KeyError, RecursionError) as error:
        raise ExecutionError(
            f"le dossier n'a pas pu être comparé à la nouvelle version ({type(error).__name__})"
        ) from None
    steps: dict[int, LivedStep] = {}
    for process, name in pruning.history_of(workflow).lived():
        spec = pruning.process_spec(workflow, process)
        before = spec.task_specs.get(name) if spec is not None else None
        if before is not None and id(before) not in steps:
            diff = spec_diffs.of(process)
            after = diff.alignment.get(before) if diff is not None else None
            steps[id(before)] = _step(before, after, repeating=False)
    parts: list[tuple[Any, WorkflowDiff | None]] = [(workflow, top_diff)]
    parts += [(sub, subprocess_diffs.get(key)) for key, sub in workflow.subprocesses.items()]
    for part, workflow_diff in parts:
        for task in part.get_tasks(skip_subprocesses=True):
            if task.has_state(_AHEAD):
                continue
            step = _lived_step(task, workflow_diff)
            known = steps.get(id(task.task_spec))
            if known is None or (step.repeating and not known.repeating):
                steps[id(task.task_spec)] = step
    return VersionMove(workflow, target, list(steps.values()), top_diff, subprocess_diffs)


class _SpecDiffs:
    """SpiffWorkflow's diff of each process of the dossier with its new version (what
    `diff_workflow` computes), made once per process."""

    def __init__(self, workflow: BpmnWorkflow, target: ParsedProcess) -> None:
        self.workflow, self.target = workflow, target
        self.diffs: dict[str, SpecDiff | None] = {}

    def of(self, process: str, before: Any = None) -> SpecDiff | None:
        if process not in self.diffs:
            before = before or pruning.process_spec(self.workflow, process)
            after = (
                self.target.spec
                if process == pruning.TOP
                else self.target.subprocess_specs.get(process)
            )
            self.diffs[process] = (
                SpecDiff(SPEC_REGISTRY, before, after)
                if before is not None and after is not None
                else None
            )
        return self.diffs[process]


def _lived_step(task: Task, diff: WorkflowDiff | None) -> LivedStep:
    after = diff.alignment.get(task) if diff is not None else None
    repeating = isinstance(task.task_spec, LoopTask) and task.has_state(_FRONTIER)
    return _step(task.task_spec, after, repeating=repeating)


def _step(before: Any, after: Any | None, *, repeating: bool) -> LivedStep:
    # The diff may align a renamed element by its place in the flow; the engine follows
    # dossiers by element id (work items, forms, emails), so a new id is a step gone.
    if after is not None and after.name != before.name:
        after = None
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
