"""Process definitions: a model's files (read by `folders`, or a stored version), parsed once.

A `ProcessDefinition` is immutable and cached per process version: the spec (parsed BPMN and DMN),
the forms, and the lane → role rules of `process.json`.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import spiff
from engine.bpmn.bpmn_rules import check_bpmn_xml
from engine.core.counter import INVENTAIRE_PREFIX
from engine.core.errors import NotFound, ProcessModelError
from engine.core.models import ProcessVersion
from engine.definitions.folders import PROCESS_FILE

# Other packages (the CLI, the diagram viewer, the studio) import these two from here.
from engine.definitions.folders import main_diagram as main_diagram
from engine.definitions.folders import read_folder as read_folder
from engine.definitions.forms import FormDefinition, load_form_from_texts
from engine.definitions.rules import (
    ProcessRules,
    ProcessService,
    reference_prefix_from_config,
    rules_from_config,
    service_from_config,
)


@dataclass(frozen=True)
class LaneRule:
    """Who works in a lane: a role, optionally the dossier's organisation or one designated user."""

    role: str
    scope: str | None = None
    assignee_variable: str | None = None


@dataclass(frozen=True)
class ProcessDefinition:
    key: str
    title: str
    process_id: str
    lanes: dict[str, LaneRule]
    files: dict[str, str]
    parsed: spiff.ParsedProcess
    forms: dict[str, FormDefinition] = field(default_factory=dict)
    start_status: str = "Brouillon"
    title_field: str | None = None
    # Who opens a dossier of this process: a submitter (for their organisation) or, for the
    # retrait of a certification, the commission.
    start_role: str = "demandeur"
    # The legal values of the procedure and its service (process.json "regles", "service"):
    # read them through engine.definitions.rules.
    rules: ProcessRules = field(default_factory=ProcessRules)
    service: ProcessService = field(default_factory=ProcessService)
    # What its dossiers' references start with (process.json "prefixe_reference"): INV-2026-…
    reference_prefix: str = INVENTAIRE_PREFIX
    version_id: int | None = None
    version: int | None = None
    _specs: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def lane_rule(self, lane: str | None) -> LaneRule | None:
        return self.lanes.get(lane or "")

    def form_for(self, task_spec: Any) -> FormDefinition | None:
        properties = spiff.task_properties(task_spec)
        schema_file = properties.get("formJsonSchemaFilename")
        return self.forms.get(schema_file) if schema_file else None

    def __post_init__(self) -> None:
        # Looked up on every action: index the specs by their BPMN id once.
        specs = {
            task_spec.bpmn_id: task_spec
            for task_spec in spiff.all_task_specs(self.parsed)
            if getattr(task_spec, "bpmn_id", None)
        }
        object.__setattr__(self, "_specs", specs)

    def tasks_with_property(self, name: str) -> frozenset[str]:
        """Ids of the elements whose property `name` is `true`."""
        return frozenset(
            spec_id
            for spec_id, task_spec in self._specs.items()
            if spiff.task_properties(task_spec).get(name) == "true"
        )

    def depot_tasks(self) -> frozenset[str]:
        """Ids of the tasks whose completion files the request (property `depot`)."""
        return self.tasks_with_property("depot")

    def tasks_shown_to_submitter(self) -> frozenset[str]:
        """Reviewers' tasks whose answers the submitter reads (property `visiblePourDemandeur`)."""
        return self.tasks_with_property("visiblePourDemandeur")

    def task_spec(self, spec_id: str) -> Any:
        return self._specs.get(spec_id)


def build_definition(
    files: dict[str, str],
    parsed: spiff.ParsedProcess | None = None,
    *,
    form_problems: list[str] | None = None,
) -> ProcessDefinition:
    """Parse a model's files into a definition; ProcessModelError lists what is wrong.

    With `form_problems`, broken forms are reported there instead of stopping the build, so a
    check can go on to the diagram's own rules.
    """
    try:
        config = json.loads(files[PROCESS_FILE])
    except KeyError:
        raise ProcessModelError(f"Fichier {PROCESS_FILE} manquant.") from None
    except json.JSONDecodeError as error:
        raise ProcessModelError(f"{PROCESS_FILE}\u00a0: JSON invalide ({error}).") from None
    try:
        key = str(config["key"])
        process_id = str(config.get("process_id", key))
        lanes = {
            name: LaneRule(
                role=str(rule["role"]),
                scope=rule.get("scope"),
                assignee_variable=rule.get("assignee_variable"),
            )
            for name, rule in dict(config.get("lanes", {})).items()
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise ProcessModelError(
            f"{PROCESS_FILE}\u00a0: clé manquante ou invalide ({error})."
        ) from None
    rules = rules_from_config(config)
    service = service_from_config(config)
    reference_prefix = reference_prefix_from_config(config)
    if parsed is None:
        bpmn = {name: text for name, text in files.items() if name.endswith(".bpmn")}
        dmn = {name: text for name, text in files.items() if name.endswith(".dmn")}
        if not bpmn:
            raise ProcessModelError("Aucun diagramme BPMN dans le modèle.")
        problems = [
            problem
            for name, text in bpmn.items()
            for problem in check_bpmn_xml(spiff.parse_xml(text, name))
        ]
        if problems:
            raise ProcessModelError("Le diagramme contient des éléments refusés.", problems)
        parsed = spiff.parse_process(bpmn, dmn, process_id)
    forms = _load_forms(files, parsed, form_problems, rules)
    return ProcessDefinition(
        key=key,
        title=str(config.get("title", key)),
        process_id=process_id,
        lanes=lanes,
        files=files,
        parsed=parsed,
        forms=forms,
        start_status=str(config.get("start_status", "Brouillon")),
        title_field=config.get("title_field"),
        start_role=str(config.get("start_role", "demandeur")),
        rules=rules,
        service=service,
        reference_prefix=reference_prefix,
    )


def _load_forms(
    files: dict[str, str],
    parsed: spiff.ParsedProcess,
    collected: list[str] | None,
    rules: ProcessRules,
) -> dict[str, FormDefinition]:
    """Every task's form; all the problems at once, each naming the task that uses the form."""
    forms: dict[str, FormDefinition] = {}
    problems: list[str] = collected if collected is not None else []
    for task_spec in spiff.all_task_specs(parsed):
        properties = spiff.task_properties(task_spec)
        schema_file = properties.get("formJsonSchemaFilename")
        if not schema_file or schema_file in forms:
            continue
        ui_file = properties.get("formUiSchemaFilename")
        try:
            forms[schema_file] = load_form_from_texts(
                schema_file,
                files.get(f"forms/{schema_file}"),
                files.get(f"forms/{ui_file}") if ui_file else None,
                ui_filename=ui_file,
                bounds=rules.bounds(),
            )
        except ProcessModelError as error:
            problems.extend(f"{task_spec.bpmn_id}: {problem}" for problem in error.problems)
    if problems and collected is None:
        raise ProcessModelError("Des formulaires sont invalides.", problems)
    return forms


# --- versions --------------------------------------------------------------------------------


def find_latest_version(session: Session, key: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def get_latest_version(session: Session, key: str) -> ProcessVersion:
    version = find_latest_version(session, key)
    if version is None:
        raise NotFound(f"Aucune version déployée du processus «\u00a0{key}\u00a0».")
    return version


# Per database (a scenario replay runs in a throwaway one, whose ids start at 1 again), then per
# version id; keyed by the engine's pool, which its variants (`engine.execution_options`, the
# write requests' engine on SQLite) share; a pool's entries go with it.
_cache: weakref.WeakKeyDictionary[Any, dict[int, ProcessDefinition]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def definition_for(session: Session, process_version_id: int) -> ProcessDefinition:
    """The cached definition of a stored version (versions never change once stored)."""
    pool = session.get_bind().engine.pool
    per_database = _cache.get(pool)
    cached = per_database.get(process_version_id) if per_database is not None else None
    if cached is not None:
        return cached
    row = session.get(ProcessVersion, process_version_id)
    if row is None:
        raise NotFound("Version de processus introuvable.")
    definition = build_definition(dict(row.files), parsed=spiff.load_spec(row.spec))
    definition = _with_version(definition, row)
    with _cache_lock:
        _cache.setdefault(pool, {})[process_version_id] = definition
    return definition


def _with_version(definition: ProcessDefinition, row: ProcessVersion) -> ProcessDefinition:
    return replace(definition, version_id=row.id, version=row.version)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
