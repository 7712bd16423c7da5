"""Diagram code as SpiffWorkflow runs it: our script engine, whose environment sends each piece
of code to the sandbox (in the server when cheap, in a sandbox process otherwise) within the
action's time budget, and whose errors name the element in French."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task

from engine.bpmn import bpmn_rules
from engine.bpmn.sandbox import cheap, client
from engine.bpmn.sandbox.policy import ACTION_TIME_BUDGET, DEFAULT_TIME_LIMIT
from engine.bpmn.sandbox.variables import apply_variables
from engine.core.errors import InventaireError, ScriptError

ServiceHandler = Callable[[str, dict[str, Any], dict[str, Any]], Any]


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes diagram code under the sandbox's policy (engine.bpmn.sandbox).

    Code proven cheap by its shape runs here; the rest in a sandbox process that is killed at
    the deadline (engine.bpmn.sandbox.client). One environment serves one action, whose code has a
    time budget in all (`ACTION_TIME_BUDGET`) besides each evaluation's own limit.
    """

    def __init__(
        self,
        time_limit: float = DEFAULT_TIME_LIMIT,
        action_budget: float = ACTION_TIME_BUDGET,
    ) -> None:
        super().__init__({})
        self.time_limit = time_limit
        self.budget_left = action_budget
        self.service_handler: ServiceHandler | None = None

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        if cheap.is_cheap_expression(expression):
            return cheap.evaluate_here(expression, context, external_context)
        return self._confined(
            lambda seconds: client.evaluate(expression, context, external_context, seconds)
        )

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        if cheap.is_cheap_script(script):
            cheap.execute_here(script, context, external_context or {})
            return True
        variables = self._confined(
            lambda seconds: client.execute(script, context, external_context, seconds)
        )
        apply_variables(context, variables)
        return True

    def render(self, template: str, data: dict[str, Any]) -> str:
        return str(self._confined(lambda seconds: client.render(template, data, seconds)))

    def _confined(self, call: Callable[[float], Any]) -> Any:
        if self.budget_left <= 0:
            raise ScriptError(
                "Le code du diagramme a épuisé le temps de calcul accordé à une action "
                f"({ACTION_TIME_BUDGET:g} s)\u202f; elle est arrêtée."
            )
        seconds = min(self.time_limit, self.budget_left)
        started = time.monotonic()
        try:
            return call(seconds)
        finally:
            self.budget_left -= time.monotonic() - started

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        if self.service_handler is None:
            raise ScriptError("Aucun service n'est disponible ici.")
        name = kwargs.get("operation_name", "")
        params = {k: v.get("value") for k, v in (kwargs.get("operation_params") or {}).items()}
        return json.dumps(self.service_handler(name, params, context), default=str)


class ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, reporting our errors instead of its own wrappers."""

    environment: SandboxEnvironment

    def __init__(self, environment: SandboxEnvironment | None = None) -> None:
        super().__init__(environment=environment or SandboxEnvironment())

    def evaluate(self, task: Task, expression: str, external_context: Any = None) -> Any:
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
            _check_cycle(task, expression, value)
            return value
        except Exception as error:
            raise _script_error(task, expression, error) from None

    def execute(self, task: Task, script: str, external_context: Any = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except Exception as error:
            raise _script_error(task, script, error) from None

    def call_service(self, task: Task, **kwargs: Any) -> str:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as error:
            raise _script_error(task, kwargs.get("operation_name", ""), error) from None


def _check_cycle(task: Task, expression: str, value: Any) -> None:
    """A repeating timer computed from process variables is checked when reached, like a
    constant one at deployment (a version stored before that rule is caught here too)."""
    event = getattr(task.task_spec, "event_definition", None)
    if not isinstance(event, CycleTimerEventDefinition) or expression != event.expression:
        return
    try:
        count, _start, interval = TimerEventDefinition.parse_iso_recurring_interval(str(value))
    except Exception:
        return  # not ISO 8601: SpiffWorkflow reports it
    reason = bpmn_rules.cycle_problem(count, interval)
    if reason:
        raise ScriptError(f"minuterie répétée «\u00a0{value}\u00a0» refusée\u00a0: {reason}")


def _script_error(task: Task, source: str, error: Exception) -> ScriptError:
    element = task.task_spec.bpmn_id or task.task_spec.name
    label = task.task_spec.bpmn_name or element
    if isinstance(error, InventaireError):
        reason = error.user_message
    elif isinstance(error, NameError):
        reason = f"nom inconnu ({error})"
    else:
        reason = f"{type(error).__name__}\u00a0: {error}"
    return ScriptError(
        f"{element}: erreur dans «\u00a0{label}\u00a0»\u00a0: {reason}",
        element=element,
        source=(source or "")[:500],
    )
