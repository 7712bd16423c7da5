"""Reading a parsed process as a graph, for the deployment rules: all its task specs, the
cycles of its sequence flows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn.specs.defaults import EndEvent

from engine.bpmn.parsing import ParsedProcess


def all_task_specs(parsed: ParsedProcess) -> Iterable[Any]:
    yield from parsed.spec.task_specs.values()
    for sub in parsed.subprocess_specs.values():
        yield from sub.task_specs.values()


def cycles(parsed: ParsedProcess) -> list[list[Any]]:
    """The cycles (strongly connected components) of each process's sequence flows."""
    found: list[list[Any]] = []
    for process in [parsed.spec, *parsed.subprocess_specs.values()]:
        specs = [spec for spec in process.task_specs.values() if getattr(spec, "bpmn_id", None)]
        found.extend(_strongly_connected(specs))
    return found


def _strongly_connected(specs: list[Any]) -> list[list[Any]]:
    """Tarjan's algorithm, iterative (diagrams can be large); keeps only real cycles."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[Any] = []
    result: list[list[Any]] = []
    counter = 0
    known = {id(spec) for spec in specs}

    def successors(spec: Any) -> list[Any]:
        return [child for child in spec.outputs if id(child) in known]

    for root in specs:
        if id(root) in index:
            continue
        work = [(root, iter(successors(root)))]
        index[id(root)] = low[id(root)] = counter
        counter += 1
        stack.append(root)
        on_stack.add(id(root))
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if id(child) not in index:
                    index[id(child)] = low[id(child)] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(id(child))
                    work.append((child, iter(successors(child))))
                elif id(child) in on_stack:
                    low[id(node)] = min(low[id(node)], index[id(child)])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[id(parent)] = min(low[id(parent)], low[id(node)])
            if low[id(node)] == index[id(node)]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(id(member))
                    component.append(member)
                    if member is node:
                        break
                if len(component) > 1 or node in node.outputs:
                    result.append(component)
    return result


class DeadlineOutcome(NamedTuple):
    """What an interrupting timer on an activity's boundary does: the activity it ends, the
    first `statut` the process reaches after it (None when it sets none), and whether that
    status is at an end event (the dossier is then closed)."""

    activity: str
    status: str | None
    closes: bool


def deadline_of(timer_spec: Any) -> DeadlineOutcome | None:
    """For an interrupting timer on an activity's boundary (a deadline that ends the task): what
    it ends and leads to; None for any other element."""
    if not getattr(timer_spec, "cancel_activity", False) or not timer_spec.inputs:
        return None
    split = timer_spec.inputs[0]
    activity = next(
        (
            spec
            for spec in split.outputs
            if spec is not timer_spec and not hasattr(spec, "cancel_activity")
        ),
        None,
    )
    if activity is None:
        return None
    status, closes = _next_status(timer_spec)
    return DeadlineOutcome(activity.bpmn_id, status, closes)


def _next_status(spec: Any) -> tuple[str | None, bool]:
    seen: set[int] = set()
    todo = list(spec.outputs)
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        properties = getattr(current, "extensions", {}) or {}
        status = (properties.get("properties") or {}).get("statut")
        if status:
            return str(status), isinstance(current, EndEvent)
        todo.extend(current.outputs)
    return None, False
