"""Deployment rules for a process definition: one line per problem, `element-id: reason`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import sandbox, spiff
from engine.definition import ProcessDefinition

KNOWN_ROLES = {"demandeur", "recevabilite", "rapporteur", "commission"}


def validate_definition(definition: ProcessDefinition) -> list[str]:
    """The French problems that make the definition undeployable (empty when deployable)."""
    problems: list[str] = []
    for task_spec in spiff.all_task_specs(definition.parsed):
        problems.extend(_check_task_spec(definition, task_spec))
    for lane, rule in definition.lanes.items():
        if rule.role not in KNOWN_ROLES:
            problems.append(
                f"process.json: le couloir « {lane} » renvoie au rôle inconnu « {rule.role} »"
            )
    return problems


def _label(task_spec: Any) -> str:
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    name = getattr(task_spec, "bpmn_name", None)
    return f"{element}" + (f" (« {name} »)" if name else "")


def _check_task_spec(definition: ProcessDefinition, task_spec: Any) -> Iterator[str]:
    label = _label(task_spec)
    if getattr(task_spec, "manual", False):
        lane = task_spec.lane
        if definition.lane_rule(lane) is None:
            where = lane or "aucun"
            yield f"{label}: tâche humaine hors d'un couloir associé à un rôle (couloir : {where})"
        properties = spiff.task_properties(task_spec)
        schema_file = properties.get("formJsonSchemaFilename")
        if not schema_file:
            yield f"{label}: tâche humaine sans formulaire (formJsonSchemaFilename)"
        elif schema_file not in definition.forms:
            yield f"{label}: formulaire « {schema_file} » introuvable"
    for source in _expressions(task_spec):
        reason = sandbox.check_expression(source)
        if reason:
            yield f"{label}: condition ou expression refusée : {reason}"
    for source in _scripts(task_spec):
        reason = sandbox.check_script(source)
        if reason:
            yield f"{label}: script refusé : {reason}"
    if type(task_spec).__name__ == "ExclusiveGateway" and not task_spec.default_task_spec:
        yield f"{label}: passerelle exclusive sans flux par défaut"


def _expressions(task_spec: Any) -> Iterator[str]:
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        args = getattr(condition, "args", None)
        if args and isinstance(args[0], str):
            yield args[0]
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        yield expression


def _scripts(task_spec: Any) -> Iterator[str]:
    for attribute in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield source
