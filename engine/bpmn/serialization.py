"""Specs and dossier states as text: a spec is stored once per process version, a dossier's state
without its spec (compressed), and every restored workflow gets our sandboxed script engine:
SpiffWorkflow does not serialize it and would otherwise fall back to an unrestricted one."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import date
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.bpmn.parsing import ParsedProcess, Spec, SubprocessSpecs
from engine.bpmn.scripts import ScriptEngine
from engine.core.errors import ExecutionError

STATE_FORMAT = 2


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
