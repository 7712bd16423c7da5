"""Running a workflow within our bounds: automatic steps until people or timers are awaited, a
human task completed, and whatever a diagram makes SpiffWorkflow raise turned into our French
error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task

from engine.bpmn.engine_messages import run_time_message
from engine.bpmn.pruning import tree_depth
from engine.core.errors import ExecutionError, InventaireError, ScriptError

# A deep task tree is SpiffWorkflow's hard limit (~1000: RecursionError or a silently stuck
# instance); we stop well before it, and bound the engine steps of one action. The stored tree
# is pruned (engine.bpmn.pruning) but the depth still counts the levels pruned, so a loop's
# passes are bounded as before.
MAX_TREE_DEPTH = 600
MAX_ENGINE_STEPS = 2_000
# Call activities nest processes; deployment refuses a process calling itself, this stops one
# stored before that rule.
MAX_CALL_DEPTH = 10


def run_engine(workflow: BpmnWorkflow, completed: list[Task] | None = None) -> None:
    """Run automatic steps until only human tasks or waits remain, within our bounds.

    `completed` collects the tasks the engine completed (emails hang on some of them).
    """
    steps = 0

    def guard(task: Task) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_ENGINE_STEPS:
            raise ExecutionError(
                f"{task.task_spec.bpmn_id}: le processus tourne en boucle sans s'arrêter "
                f"(plus de {MAX_ENGINE_STEPS} étapes automatiques)."
            )
        check_depth(task)
        if getattr(task.workflow, "depth", 0) > MAX_CALL_DEPTH:
            raise ExecutionError(
                f"{task.task_spec.bpmn_id}: le processus s'appelle lui-même sans fin "
                f"(plus de {MAX_CALL_DEPTH} appels imbriqués)\u202f; l'exécution est arrêtée."
            )
        if completed is not None:
            completed.append(task)

    with diagram_errors():
        workflow.do_engine_steps(did_complete_task=guard)


@contextmanager
def diagram_errors() -> Iterator[None]:
    """Whatever a diagram makes SpiffWorkflow raise leaves as our French ScriptError.

    SpiffWorkflow wraps errors in its own (a decision table's rule, a syntax it re-parses, a
    missing variable): the caller must see one kind of error, to roll back and record an
    incident, never a 500.
    """
    try:
        yield
    except InventaireError:
        raise
    except Exception as error:
        raise _as_script_error(error) from None


def _as_script_error(error: BaseException) -> InventaireError:
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, InventaireError):
            return cause  # ours, wrapped by SpiffWorkflow (a rule of a decision table)
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    task_spec = (
        getattr(error, "task_spec", None)
        or getattr(getattr(error, "task", None), "task_spec", None)
        or _task_spec_at_fault(error)
    )
    message = run_time_message(error, task_spec)
    return ScriptError(message, element=message.partition(": ")[0])


def _task_spec_at_fault(error: BaseException) -> Any:
    """The task SpiffWorkflow was working on when it raised a bare exception (a timer's text it
    cannot read): its methods name it `my_task`."""
    found = None
    trace = error.__traceback__
    while trace is not None:
        task = trace.tb_frame.f_locals.get("my_task")
        if isinstance(task, Task):
            found = task.task_spec
        trace = trace.tb_next
    return found


def check_depth(task: Task) -> None:
    # Counted on the whole tree, the levels pruned from the stored one included: a loop's passes
    # stay bounded as they were before pruning.
    depth = tree_depth(task)
    if depth > MAX_TREE_DEPTH:
        raise ExecutionError(
            f"{task.task_spec.bpmn_id}: ce dossier a fait trop de passages dans une boucle du "
            f"processus ({depth} étapes)\u202f; l'exécution est arrêtée avant la limite du moteur."
        )


def complete_human_task(task: Task, data: dict[str, Any]) -> None:
    task.set_data(**data)
    with diagram_errors():
        task.run()
    check_depth(task)
