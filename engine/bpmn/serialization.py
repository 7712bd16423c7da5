"""Specs and dossier states as text: a spec is stored once per process version, a dossier's state
without its spec (compressed), and every restored workflow gets our sandboxed script engine:
SpiffWorkflow does not serialize it and would otherwise fall back to an unrestricted one."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, cast
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.bpmn import pruning
from engine.bpmn.parsing import ParsedProcess, Spec, SubprocessSpecs
from engine.bpmn.scripts import ScriptEngine
from engine.core.errors import ExecutionError

# 3: the task tree pruned of its closed branches, with what they leave (HISTORY_KEY); 2: the
# whole tree, compressed; 1: the whole tree as JSON. All three load.
STATE_FORMAT = 3
HISTORY_KEY = "pruned"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Stores a workflow without its spec (handed back at load time) and without the closed
    branches of its task tree (engine.bpmn.pruning), with what pruning leaves behind."""

    @property
    def _task_typename(self) -> str:
        return str(self.registry.typenames[Task])

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        pruned = pruning.prune(workflow)
        dct = self._tree_to_dict(workflow, pruned)
        dct["subprocesses"] = {
            str(task_id): self._subprocess_to_dict(sub, pruned)
            for task_id, sub in workflow.subprocesses.items()
            if task_id in pruned.subprocesses
        }
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        history = pruned.history.as_dict()
        if history:
            dct[HISTORY_KEY] = history
        return dct

    def _tree_to_dict(self, workflow: Any, pruned: pruning.Pruned) -> dict[str, Any]:
        """SpiffWorkflow's WorkflowConverter.to_dict, with the kept tasks only."""
        shape = pruned.shapes[id(workflow)]
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {shape.ids[task]: self._task_to_dict(task, shape) for task in shape.order},
            "root": str(workflow.task_tree.id),
        }

    def _task_to_dict(self, task: Task, shape: pruning.Shape) -> dict[str, Any]:
        """SpiffWorkflow's TaskConverter.to_dict, with the task's parent and children in the
        stored tree (a hung task's data is stored as its changes from its new parent's)."""
        parent = shape.parents.get(task)
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        return {
            "id": shape.ids[task],
            "parent": shape.ids[parent] if parent is not None else None,
            "children": shape.children[task],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": self._task_typename,
        }

    def _subprocess_to_dict(self, sub: Any, pruned: pruning.Pruned) -> dict[str, Any]:
        """SpiffWorkflow's BpmnSubWorkflowConverter.to_dict, with the kept tasks only."""
        dct = self._tree_to_dict(sub, pruned)
        dct["parent_task_id"] = str(sub.parent_task_id)
        dct["spec"] = sub.spec.name
        dct["typename"] = self.registry.typenames[BpmnSubWorkflow]
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
        ids = {key: UUID(key) for key in dct["tasks"]}
        for key, stored in dct["tasks"].items():
            self._task_from_dict(stored, workflow, ids[key], ids)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        pruning.attach_history(workflow, pruning.History.from_dict(dct.pop(HISTORY_KEY, None)))
        return workflow

    def _task_from_dict(
        self, dct: dict[str, Any], workflow: BpmnWorkflow, task_id: UUID, ids: dict[str, UUID]
    ) -> Task:
        """SpiffWorkflow's TaskConverter.from_dict, each id read once (parsing the same UUIDs
        as keys, parents and children was a third of a restore). The task registers itself in
        `workflow.tasks`; its parent comes before it."""
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = Task(workflow, task_spec, state=dct["state"], id=task_id)
        parent_id = dct["parent"]
        task._parent = (ids.get(parent_id) or UUID(parent_id)) if parent_id is not None else None
        task._children = [ids.get(child) or UUID(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = task.parent
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


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
_ENCODER = _STATE_SERIALIZER._encoder_cls()
# What SpiffWorkflow's version diff compares task specs with (engine.bpmn.rebase).
SPEC_REGISTRY = _SPEC_SERIALIZER.registry


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


# The JSON state, zlib-compressed, base64 in the same text column. A dossier's tree repeats the
# same keys and task ids ~300 bytes per task: 10.8 KB → 2.7 KB at 0 rounds (before pruning).
# "z1:": JSON written by the standard library (formats 2 and 3 when orjson cannot write it);
# "z2:": JSON written by orjson, ten times faster to write and twice as fast to read. orjson
# reads back exactly what it wrote (integers within 64 bits), so it reads "z2:" states only.
# Two values differ from the standard library's JSON: NaN and infinities (not JSON) are written
# null, a UUID inside task data its text (neither comes from forms or the sandbox's answers).
COMPRESSED_PREFIX = "z1:"
ORJSON_PREFIX = "z2:"
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_ORJSON_OPTIONS |= orjson.OPT_PASSTHROUGH_DATACLASS
_VERSION_KEY = _STATE_SERIALIZER.VERSION_KEY


def dump_state(workflow: BpmnWorkflow) -> str:
    with _encoder_mode():
        dct = _STATE_SERIALIZER.to_dict(workflow)
        dct[_VERSION_KEY] = _STATE_SERIALIZER.VERSION
        try:
            # Whatever it does not write natively goes to SpiffWorkflow's own encoder (dates,
            # sets, callables); datetimes and dataclasses too, as the standard library does.
            raw = orjson.dumps(dct, default=_ENCODER.default, option=_ORJSON_OPTIONS)
            prefix = ORJSON_PREFIX
        except (orjson.JSONEncodeError, TypeError):
            # An integer past 64 bits, a lone surrogate: the standard library writes them.
            raw = json.dumps(dct, cls=_STATE_SERIALIZER._encoder_cls).encode("utf-8")
            prefix = COMPRESSED_PREFIX
    return prefix + base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


@contextmanager
def _encoder_mode() -> Iterator[None]:
    """What SpiffWorkflow's serialize_json does around to_dict: task data left as it is for the
    JSON encoder instead of being copied and converted first."""
    _STATE_REGISTRY._encoder_mode = True
    try:
        yield
    finally:
        _STATE_REGISTRY._encoder_mode = False


def state_json(text: str) -> str:
    """The JSON of a stored state, whichever format it was stored in (1: JSON, 2 and 3:
    compressed)."""
    if text.startswith((COMPRESSED_PREFIX, ORJSON_PREFIX)):
        return _inflate(text).decode("utf-8")
    return text


def _inflate(text: str) -> bytes:
    return zlib.decompress(base64.b64decode(text[len(COMPRESSED_PREFIX) :]))


def _parse(text: str) -> dict[str, Any]:
    if text.startswith(ORJSON_PREFIX):
        return cast(dict[str, Any], orjson.loads(_inflate(text)))
    return cast(dict[str, Any], json.loads(state_json(text)))


def load_state(text: str, parsed: ParsedProcess, scripts: ScriptEngine) -> BpmnWorkflow:
    dct = _parse(text)
    if dct.get(_VERSION_KEY) == _STATE_SERIALIZER.VERSION:
        del dct[_VERSION_KEY]  # nothing to migrate (SpiffWorkflow's migrate only pops it)
    else:
        _STATE_SERIALIZER.migrate(dct)
    workflow = _STATE_SERIALIZER.from_dict(
        dct, spec=parsed.spec, subprocess_specs=parsed.subprocess_specs
    )
    workflow.script_engine = scripts
    return workflow


def new_workflow(parsed: ParsedProcess, scripts: ScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=scripts)
