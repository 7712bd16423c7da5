"""The one door to SpiffWorkflow: every other package imports this module (and the sandbox's),
never the modules behind it, so a library upgrade or a new split stays inside engine.bpmn
(import-linter checks it, see pyproject.toml).

Behind it: `parsing` (diagrams into specs), `serialization` (specs and spec-less states),
`scripts` (the sandboxed script engine), `running` (engine steps within our bounds), `tasks`
(reading a workflow and its tasks), `timers`, `analysis` (the graph, for deployment rules),
`rebase` (moving a dossier to another version) and `pruning` (what a stored state keeps of the
task tree).
"""

from __future__ import annotations

from engine.bpmn.analysis import all_task_specs, cycles, deadline_of
from engine.bpmn.parsing import ParsedProcess, parse_process, parse_xml
from engine.bpmn.pruning import tree_depth
from engine.bpmn.rebase import VersionMove, apply_move, plan_move
from engine.bpmn.running import (
    MAX_TREE_DEPTH,
    complete_human_task,
    run_engine,
)
from engine.bpmn.scripts import SandboxEnvironment, ScriptEngine
from engine.bpmn.serialization import (
    COMPRESSED_PREFIX,
    ORJSON_PREFIX,
    STATE_FORMAT,
    dump_spec,
    dump_state,
    load_spec,
    load_state,
    new_workflow,
    state_json,
)
from engine.bpmn.tasks import (
    current_data,
    find_task,
    has_completed,
    is_completed,
    is_ready_human_task,
    lane_of,
    path_markers,
    reached_end_event,
    ready_human_tasks,
    spec_id,
    spec_title,
    task_id_of,
    task_instructions,
    task_properties,
    task_title_of,
    waiting_tasks,
)
from engine.bpmn.timers import (
    WaitingTimer,
    fire_timer,
    is_timer,
    retime_timers,
    timer_pending,
    timer_text_problem,
    waiting_timers,
)

__all__ = [
    "COMPRESSED_PREFIX",
    "MAX_TREE_DEPTH",
    "ORJSON_PREFIX",
    "STATE_FORMAT",
    "ParsedProcess",
    "SandboxEnvironment",
    "ScriptEngine",
    "VersionMove",
    "WaitingTimer",
    "all_task_specs",
    "apply_move",
    "complete_human_task",
    "current_data",
    "cycles",
    "deadline_of",
    "dump_spec",
    "dump_state",
    "find_task",
    "fire_timer",
    "has_completed",
    "is_completed",
    "is_ready_human_task",
    "is_timer",
    "lane_of",
    "load_spec",
    "load_state",
    "new_workflow",
    "parse_process",
    "parse_xml",
    "path_markers",
    "plan_move",
    "reached_end_event",
    "ready_human_tasks",
    "retime_timers",
    "run_engine",
    "spec_id",
    "spec_title",
    "state_json",
    "task_id_of",
    "task_instructions",
    "task_properties",
    "task_title_of",
    "timer_pending",
    "timer_text_problem",
    "tree_depth",
    "waiting_tasks",
    "waiting_timers",
]
