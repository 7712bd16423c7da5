"""A dossier's stored task tree without its closed past, and what that past leaves behind.

SpiffWorkflow keeps every task a dossier has gone through: each round of complements adds its
tasks and its cancelled timers to the tree, which a restore rebuilds at every action. The audit
trail and the submissions keep the history, so a stored state keeps only what the engine reads
again (`prune`, at save, on the serializer's copy: the workflow in memory is left whole):

- the tasks not finished (ready, waiting, started, predicted) and every task under them (a
  multi-instance's finished instances, a cycle timer's fired branches);
- the parent of each, with all its children: a task inherits its data from its parent, a
  boundary event's split holds the activity and its events, a join reads its inputs' parents;
  and for a join that looks for its split (`split_task`), the tasks up to that split;
- the last task completed (read when nothing is open) and, once the process has ended, the end
  event that ended it;
- the root, and the sub-processes whose task is kept.

A kept task whose parent is dropped hangs from its nearest kept ancestor, so the ancestry among
kept tasks stays what it was. Dropped tasks leave their element names, per process: completed
(`done`, the path viewer and `has_completed`) or closed without completing (`closed`, a
cancelled timer; a version move checks every step a dossier has lived); and a hung task keeps
the number of levels dropped above it, so that the loop bound (`running.MAX_TREE_DEPTH`) counts
a dossier's passes as it did on the whole tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

TOP = ""  # the history's key for the dossier's own process (sub-processes: their spec name)
_ATTRIBUTE = "_inventaire_history"
_OPEN = TaskState.NOT_FINISHED_MASK


@dataclass
class History:
    """What pruning dropped: element names per process, levels dropped above hung tasks."""

    done: dict[str, list[str]] = field(default_factory=dict)
    closed: dict[str, list[str]] = field(default_factory=dict)
    depths: dict[UUID, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        dct: dict[str, Any] = {}
        if self.done:
            dct["done"] = self.done
        if self.closed:
            dct["closed"] = self.closed
        if self.depths:
            dct["depths"] = {str(key): value for key, value in self.depths.items()}
        return dct

    @classmethod
    def from_dict(cls, dct: dict[str, Any] | None) -> History:
        dct = dct or {}
        return cls(
            {key: list(names) for key, names in dct.get("done", {}).items()},
            {key: list(names) for key, names in dct.get("closed", {}).items()},
            {UUID(key): int(value) for key, value in dct.get("depths", {}).items()},
        )

    def lived(self) -> list[tuple[str, str]]:
        """(process, task spec name) of every dropped step, done ones first."""
        return [
            (process, name)
            for names in (self.done, self.closed)
            for process, listed in names.items()
            for name in listed
        ]


def history_of(workflow: Any) -> History:
    """The history a restored workflow came with (empty for a new one or an older format)."""
    top = getattr(workflow, "top_workflow", workflow)
    found = getattr(top, _ATTRIBUTE, None)
    return found if isinstance(found, History) else History()


def attach_history(workflow: BpmnWorkflow, history: History) -> None:
    setattr(workflow, _ATTRIBUTE, history)


def process_key(workflow: Any) -> str:
    return TOP if workflow.top_workflow is workflow else str(workflow.spec.name)


def process_spec(workflow: BpmnWorkflow, process: str) -> Any:
    """The spec of a process of the history, in the version the workflow now follows."""
    return workflow.spec if process == TOP else workflow.subprocess_specs.get(process)


def done_specs(workflow: BpmnWorkflow) -> list[Any]:
    """The task specs of the completed steps pruning dropped (sub-processes included)."""
    found = []
    for process, names in history_of(workflow).done.items():
        spec = process_spec(workflow, process)
        if spec is None:
            continue
        found += [spec.task_specs[name] for name in names if name in spec.task_specs]
    return found


def tree_depth(task: Task) -> int:
    """The task's depth in its tree as if nothing had been pruned."""
    depths = history_of(task.workflow).depths
    depth, node = 0, task
    while (parent := node.parent) is not None:
        depth += 1 + depths.get(node.id, 0)
        node = parent
    return depth


@dataclass
class Shape:
    """One (sub-)workflow's stored tree: its kept tasks, parents first, and their children."""

    order: list[Task]
    ids: dict[Task, str]  # each kept task's id as text
    parents: dict[Task, Task]  # its parent in the stored tree (a nearer ancestor when hung)
    children: dict[Task, list[str]]  # the ids of its children in the stored tree


@dataclass
class Pruned:
    shapes: dict[int, Shape]  # by id() of the (sub-)workflow
    subprocesses: set[UUID]  # ids of the tasks whose sub-process is kept
    history: History


def prune(workflow: BpmnWorkflow) -> Pruned:
    """What to store of `workflow` (see the module's docstring); the workflow is not changed."""
    old = history_of(workflow)
    history = History(
        {key: list(names) for key, names in old.done.items()},
        {key: list(names) for key, names in old.closed.items()},
    )
    seen = {
        (kind, process, name)
        for kind, names in (("done", old.done), ("closed", old.closed))
        for process, listed in names.items()
        for name in listed
    }

    def drop(task: Task, process: str) -> None:
        done = task.state == TaskState.COMPLETED
        kind, names = ("done", history.done) if done else ("closed", history.closed)
        key = (kind, process, task.task_spec.name)
        if key not in seen:
            seen.add(key)
            names.setdefault(process, []).append(task.task_spec.name)

    # A sub-process with open tasks keeps the task that runs it, in every enclosing process.
    forced: set[UUID] = set()
    for sub in workflow.subprocesses.values():
        if any(task.has_state(_OPEN) for task in sub.tasks.values()):
            current: Any = sub
            while current is not workflow:
                forced.add(current.parent_task_id)
                current = current.parent_workflow

    shapes = {id(workflow): _shape(workflow, forced, old.depths, history.depths, drop)}
    subprocesses: set[UUID] = set()
    if workflow.subprocesses:
        kept = {task.id for task in shapes[id(workflow)].order}
        for task_id, sub in sorted(workflow.subprocesses.items(), key=lambda item: item[1].depth):
            if task_id in kept:
                subprocesses.add(task_id)
                shape = _shape(sub, forced, old.depths, history.depths, drop)
                shapes[id(sub)] = shape
                kept.update(task.id for task in shape.order)
            else:
                for task in sub.get_tasks(skip_subprocesses=True):
                    drop(task, process_key(sub))
    return Pruned(shapes, subprocesses, history)


def _shape(
    workflow: Any,
    forced: set[UUID],
    old_depths: dict[UUID, int],
    depths: dict[UUID, int],
    drop: Callable[[Task, str], None],
) -> Shape:
    tasks = workflow.tasks
    # One walk down the tree, depth first, children in their order (no recursion: a tree may be
    # hundreds of levels deep): each task, its parent and its depth on the whole tree. Tasks
    # are keyed by themselves below (identity), cheaper than by their UUID.
    walk: list[tuple[Task, Task | None, int]] = []
    stack: list[tuple[Task, Task | None, int]] = [(workflow.task_tree, None, 0)]
    while stack:
        task, parent, depth = stack.pop()
        walk.append((task, parent, depth))
        for child_id in reversed(task._children):
            child = tasks.get(child_id)
            if child is not None:
                offset = old_depths.get(child_id, 0) if old_depths else 0
                stack.append((child, task, depth + 1 + offset))
    keep = _kept(workflow, walk, forced)
    process = process_key(workflow)
    order: list[Task] = []
    ids: dict[Task, str] = {}
    parents: dict[Task, Task] = {}
    children: dict[Task, list[str]] = {}
    anchor_of: dict[Task, tuple[Task, int]] = {}  # nearest kept ancestor-or-self, its depth
    for task, parent, depth in walk:
        if task not in keep:
            drop(task, process)
            anchor_of[task] = anchor_of[parent]  # the root is kept: never None here
            continue
        order.append(task)
        ids[task] = str(task.id)
        children[task] = []
        anchor_of[task] = (task, depth)
        if parent is None:
            continue
        anchor, anchor_depth = anchor_of[parent]
        parents[task] = anchor
        children[anchor].append(ids[task])
        if depth - anchor_depth > 1:  # hung now, or since an earlier save
            depths[task.id] = depth - anchor_depth - 1
    return Shape(order, ids, parents, children)


def _kept(workflow: Any, walk: list[tuple[Task, Task | None, int]], forced: set[UUID]) -> set[Task]:
    """The tasks to keep (see the module's docstring); `walk` has parents before children."""
    keep: set[Task] = set()
    under_open: set[Task] = set()
    parent_of: dict[Task, Task | None] = {}
    anchors: set[Task] = set()
    for task, parent, _depth in walk:
        parent_of[task] = parent
        if task._state & _OPEN:
            keep.add(task)
            under_open.add(task)
            if parent is not None:
                anchors.add(parent)
            split = getattr(task.task_spec, "split_task", None)
            if split:
                ancestor = parent
                while ancestor is not None and ancestor.task_spec.name != split:
                    anchors.add(ancestor)
                    ancestor = parent_of[ancestor]
                if ancestor is not None:
                    anchors.add(ancestor)
        elif parent is not None and parent in under_open:
            keep.add(task)
            under_open.add(task)
        elif forced and task.id in forced:
            keep.add(task)
    keep.add(walk[0][0])
    tasks = workflow.tasks
    for anchor in anchors:
        keep.add(anchor)
        if not anchor._state & _OPEN:  # an open task's children are kept already
            keep.update(tasks[child_id] for child_id in anchor._children if child_id in tasks)
    last = workflow.last_task
    if last is not None and last.id in tasks:
        keep.add(last)
    if workflow.top_workflow is workflow and workflow.completed:
        ends = [
            task
            for task, _parent, _depth in walk
            if task._state == TaskState.COMPLETED and isinstance(task.task_spec, EndEvent)
        ]
        if ends:
            keep.add(max(ends, key=lambda task: task.last_state_change))
    return keep
