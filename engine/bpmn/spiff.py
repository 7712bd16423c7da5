"""The one door to SpiffWorkflow: parser, serializer, script engine and task helpers.

Nothing else in the project imports SpiffWorkflow, so a library upgrade touches this file only.
Workflow states are stored without their spec (the spec lives once per process version), and
every restored workflow gets our sandboxed script engine: SpiffWorkflow does not serialize it and
would otherwise fall back to an unrestricted one.
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task, TaskState

from engine.bpmn import bpmn_rules, cheap_code, sandbox, sandbox_client
from engine.core import xml_safety
from engine.core.errors import ExecutionError, InventaireError, ProcessModelError, ScriptError

# A deep task tree is SpiffWorkflow's hard limit (~1000: RecursionError or a silently stuck
# instance); we stop well before it, and bound the engine steps of one action.
MAX_TREE_DEPTH = 600
MAX_ENGINE_STEPS = 2_000
# Call activities nest processes; deployment refuses a process calling itself, this stops one
# stored before that rule.
MAX_CALL_DEPTH = 10
MAX_XML_BYTES = 5 * 1024 * 1024
STATE_FORMAT = 2

Spec = Any  # SpiffWorkflow's BpmnProcessSpec
SubprocessSpecs = dict[str, Any]


# --- XML and parsing -------------------------------------------------------------------------

_HARDENED = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


def parse_xml(content: str | bytes, filename: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, a size limit."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if len(data) > MAX_XML_BYTES:
        raise ProcessModelError(
            f"{filename}: fichier trop volumineux ({len(data) // 1024} Ko, "
            f"{MAX_XML_BYTES // 1024 // 1024} Mo au plus)."
        )
    if (refused := xml_safety.refusal(data)) is not None:
        raise ProcessModelError(f"{filename}: {refused}.")
    try:
        return etree.fromstring(data, parser=_HARDENED)
    except etree.XMLSyntaxError as error:
        raise ProcessModelError(f"{filename}: XML mal formé ({error}).") from None


@dataclass(frozen=True)
class ParsedProcess:
    spec: Spec
    subprocess_specs: SubprocessSpecs


def parse_process(
    bpmn_files: dict[str, str], dmn_files: dict[str, str], process_id: str
) -> ParsedProcess:
    """Parse BPMN and DMN texts (XSD-validated) into the spec of `process_id`."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        for name, text in dmn_files.items():
            parser.add_dmn_xml(parse_xml(text, name), filename=name)
        for name, text in bpmn_files.items():
            parser.add_bpmn_xml(parse_xml(text, name), filename=name)
        if process_id not in parser.get_process_ids():
            raise ProcessModelError(
                f"Le processus « {process_id} » est introuvable dans les diagrammes."
            )
        spec = parser.get_spec(process_id)
        _check_called_processes(spec, set(parser.get_process_ids()))
        subprocess_specs = parser.get_subprocess_specs(process_id)
        for sub in subprocess_specs.values():
            _check_called_processes(sub, set(parser.get_process_ids()))
    except ValidationException as error:
        raise ProcessModelError(_validation_message(error)) from None
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as error:
        raise ProcessModelError(f"Diagramme non exécutable : {error}") from None
    return ParsedProcess(spec, subprocess_specs)


def _check_called_processes(spec: Spec, known: set[str]) -> None:
    for task_spec in spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if type(task_spec).__name__ == "CallActivity" and called not in known:
            raise ProcessModelError(
                f"{task_spec.bpmn_id}: processus appelé « {called} » introuvable "
                f"(processus disponibles : {', '.join(sorted(known)) or 'aucun'})"
            )


# SpiffWorkflow's messages, said in French (the element's id stays first).
_NAMESPACE = re.compile(r"\{[^}]*\}")
_TRANSLATIONS = (
    (
        re.compile(r'No DMN Diagram available with id "([^"]*)"'),
        "table de décision « {0} » introuvable",
    ),
    (
        re.compile(r"we found two items, perhaps a form has the same ID\? \((.*)\)"),
        "identifiant en double ou manquant ({0})",
    ),
    (
        re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
        "flux sortant d'une passerelle exclusive sans condition et qui n'est pas le flux par "
        "défaut",
    ),
    (
        re.compile(r"Element '(\w+)', attribute '([\w:]+)': (.*)"),
        "non conforme au schéma BPMN 2.0 (élément {0}, attribut {1} : {2})",
    ),
    (
        re.compile(r"Element '(\w+)': (.*)"),
        "non conforme au schéma BPMN 2.0 (élément {0} : {1})",
    ),
)
_XSD_DETAILS = (
    (re.compile(r"This element is not expected.*"), "élément inattendu à cet endroit"),
    (re.compile(r"The attribute '[^']*' is not allowed.*"), "attribut non autorisé"),
    (re.compile(r".*is not a valid value.*"), "valeur invalide"),
    (re.compile(r"The attribute '([^']*)' is required.*"), "attribut « \\1 » obligatoire"),
    (re.compile(r"Missing child element.*"), "élément enfant manquant"),
)


def _french_detail(text: str) -> str:
    for pattern, french in _XSD_DETAILS:
        if pattern.match(text):
            return pattern.sub(french, text)
    return text


def _validation_message(error: ValidationException) -> str:
    where = getattr(error, "file_name", "") or ""
    line = getattr(error, "line_number", "")
    element = getattr(error, "id", "") or ""
    text = _NAMESPACE.sub("", str(error).split("\n")[0]).strip().rstrip(".").strip()
    for pattern, french in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            groups = list(match.groups())
            if groups:
                groups[-1] = _french_detail(groups[-1])
            text = french.format(*groups)
            break
    else:
        text = f"diagramme refusé par le moteur ({text})"
    return f"{element or where}: {text}" + (f" (ligne {line})" if line else "")


# --- serialization (spec-less states) --------------------------------------------------------


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Stores a workflow without its spec; the spec is handed back at load time."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: Spec = None,
        subprocess_specs: SubprocessSpecs | None = None,
    ) -> BpmnWorkflow:
        if spec is None:
            raise ExecutionError("État de dossier chargé sans sa définition de processus.")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_registry() -> Any:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(
        date,
        lambda value: {"value": value.isoformat()},
        lambda value: date.fromisoformat(value["value"]),
    )
    return registry


_SPEC_SERIALIZER = BpmnWorkflowSerializer(_make_registry())
_STATE_REGISTRY = _make_registry()
_SpeclessWorkflowConverter(BpmnWorkflow, _STATE_REGISTRY)
_STATE_SERIALIZER = BpmnWorkflowSerializer(_STATE_REGISTRY)


def dump_spec(parsed: ParsedProcess) -> str:
    """The spec as JSON text, stored once per process version."""
    registry = _SPEC_SERIALIZER.registry
    return json.dumps(
        {
            "spec": registry.convert(parsed.spec),
            "subprocess_specs": {
                k: registry.convert(v) for k, v in parsed.subprocess_specs.items()
            },
        },
        separators=(",", ":"),
    )


def load_spec(text: str) -> ParsedProcess:
    dct = json.loads(text)
    registry = _SPEC_SERIALIZER.registry
    return ParsedProcess(
        registry.restore(dct["spec"]),
        {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()},
    )


# Format 2: the JSON state, zlib-compressed, base64 in the same text column. A dossier's tree
# repeats the same keys and task ids ~300 bytes per task: 10.8 KB → 2.7 KB at 0 rounds.
COMPRESSED_PREFIX = "z1:"


def dump_state(workflow: BpmnWorkflow) -> str:
    raw = _STATE_SERIALIZER.serialize_json(workflow).encode("utf-8")
    return COMPRESSED_PREFIX + base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def state_json(text: str) -> str:
    """The JSON of a stored state, whichever format it was stored in (1: JSON, 2: compressed)."""
    if text.startswith(COMPRESSED_PREFIX):
        return zlib.decompress(base64.b64decode(text[len(COMPRESSED_PREFIX) :])).decode("utf-8")
    return text


def load_state(text: str, parsed: ParsedProcess, scripts: ScriptEngine) -> BpmnWorkflow:
    dct = json.loads(state_json(text))
    _STATE_SERIALIZER.migrate(dct)
    workflow = _STATE_SERIALIZER.from_dict(
        dct, spec=parsed.spec, subprocess_specs=parsed.subprocess_specs
    )
    workflow.script_engine = scripts
    return workflow


def new_workflow(parsed: ParsedProcess, scripts: ScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=scripts)


# --- scripts ---------------------------------------------------------------------------------

ServiceHandler = Callable[[str, dict[str, Any], dict[str, Any]], Any]


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes diagram code under engine.bpmn.sandbox's restrictions.

    Code proven cheap by its shape runs here; the rest in a sandbox process that is killed at
    the deadline (engine.bpmn.sandbox_client). One environment serves one action, whose code has a
    time budget in all (`ACTION_TIME_BUDGET`) besides each evaluation's own limit.
    """

    def __init__(
        self,
        time_limit: float = sandbox.DEFAULT_TIME_LIMIT,
        action_budget: float = sandbox.ACTION_TIME_BUDGET,
    ) -> None:
        super().__init__({})
        self.time_limit = time_limit
        self.budget_left = action_budget
        self.service_handler: ServiceHandler | None = None

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        if cheap_code.is_cheap_expression(expression):
            return sandbox.evaluate_here(expression, context, external_context)
        return self._confined(
            lambda seconds: sandbox_client.evaluate(expression, context, external_context, seconds)
        )

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        if cheap_code.is_cheap_script(script):
            sandbox.execute_here(script, context, external_context or {})
            return True
        variables = self._confined(
            lambda seconds: sandbox_client.execute(script, context, external_context, seconds)
        )
        sandbox.apply_variables(context, variables)
        return True

    def render(self, template: str, data: dict[str, Any]) -> str:
        return str(self._confined(lambda seconds: sandbox_client.render(template, data, seconds)))

    def _confined(self, call: Callable[[float], Any]) -> Any:
        if self.budget_left <= 0:
            raise ScriptError(
                "Le code du diagramme a épuisé le temps de calcul accordé à une action "
                f"({sandbox.ACTION_TIME_BUDGET:g} s) ; elle est arrêtée."
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
        raise ScriptError(f"minuterie répétée « {value} » refusée : {reason}")


def _script_error(task: Task, source: str, error: Exception) -> ScriptError:
    element = task.task_spec.bpmn_id or task.task_spec.name
    label = task.task_spec.bpmn_name or element
    if isinstance(error, InventaireError):
        reason = error.user_message
    elif isinstance(error, NameError):
        reason = f"nom inconnu ({error})"
    else:
        reason = f"{type(error).__name__} : {error}"
    return ScriptError(
        f"{element}: erreur dans « {label} » : {reason}",
        element=element,
        source=(source or "")[:500],
    )


# --- running ---------------------------------------------------------------------------------


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
                f"(plus de {MAX_CALL_DEPTH} appels imbriqués) ; l'exécution est arrêtée."
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
    task_spec = getattr(error, "task_spec", None) or getattr(
        getattr(error, "task", None), "task_spec", None
    )
    element = str(getattr(task_spec, "bpmn_id", None) or getattr(task_spec, "name", "processus"))
    label = getattr(task_spec, "bpmn_name", None) or element
    detail = str(error).split("\n")[0][:300]
    return ScriptError(
        f"{element}: erreur dans « {label} » : {type(error).__name__} : {detail}",
        element=element,
    )


def check_depth(task: Task) -> None:
    depth = 0
    node = task
    while node.parent is not None:
        depth += 1
        node = node.parent
    if depth > MAX_TREE_DEPTH:
        raise ExecutionError(
            f"{task.task_spec.bpmn_id}: ce dossier a fait trop de passages dans une boucle du "
            f"processus ({depth} étapes) ; l'exécution est arrêtée avant la limite du moteur."
        )


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


def complete_human_task(task: Task, data: dict[str, Any]) -> None:
    task.set_data(**data)
    with diagram_errors():
        task.run()
    check_depth(task)


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


def all_task_specs(parsed: ParsedProcess) -> Iterable[Any]:
    yield from parsed.spec.task_specs.values()
    for sub in parsed.subprocess_specs.values():
        yield from sub.task_specs.values()


# --- timers ----------------------------------------------------------------------------------


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


def has_completed(workflow: BpmnWorkflow, spec: str) -> bool:
    return any(spec_id(task) == spec for task in workflow.get_tasks(state=TaskState.COMPLETED))


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
            value["next"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        else:
            task._set_internal_data(event_fired=True)
        with diagram_errors():
            workflow.refresh_timers()
    return task.state in (TaskState.READY, TaskState.COMPLETED)


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


# --- moving a dossier to another version ------------------------------------------------------

_AHEAD = TaskState.MAYBE | TaskState.LIKELY | TaskState.FUTURE


def lived_tasks(text: str) -> list[tuple[str, str]]:
    """(spec name, state name) of the tasks a dossier has lived: done, current or waiting."""
    dct = json.loads(state_json(text))
    return [
        (task["task_spec"], TaskState.get_name(task["state"]))
        for task in dct["tasks"].values()
        if not task["state"] & _AHEAD
    ]


def has_subprocesses(text: str) -> bool:
    return bool(json.loads(state_json(text)).get("subprocesses"))


def rebase_state(text: str, parsed: ParsedProcess, scripts: ScriptEngine) -> BpmnWorkflow:
    """Load a dossier's state onto another version's spec.

    What the dossier has lived is kept as is; what lay ahead (predicted branches) is dropped and
    predicted again from the new diagram, so new or rerouted steps are taken from there on.
    """
    dct = json.loads(state_json(text))
    _STATE_SERIALIZER.migrate(dct)
    tasks = dct["tasks"]
    ahead = {task_id for task_id, task in tasks.items() if task["state"] & _AHEAD}
    for task_id in ahead:
        del tasks[task_id]
    for task in tasks.values():
        task["children"] = [child for child in task["children"] if child not in ahead]
    workflow = _STATE_SERIALIZER.from_dict(
        dct, spec=parsed.spec, subprocess_specs=parsed.subprocess_specs
    )
    workflow.script_engine = scripts
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        task.task_spec._predict(task, mask=TaskState.DEFINITE_MASK | TaskState.PREDICTED_MASK)
    return workflow


def task_title_of(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_name", None) or getattr(task_spec, "bpmn_id", ""))


def path_markers(workflow: BpmnWorkflow) -> dict[str, list[str]]:
    """Element ids a dossier has completed, the ones it is at, and the ones it waits on."""
    completed: set[str] = set()
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
