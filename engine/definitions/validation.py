"""Deployment rules for a process definition: one line per problem, `element-id: reason`.

One implementation behind `inventaire processes check` and every deployment. This module holds
the entry point and the rules on each element and on the whole structure (loops, recursive
calls); the rules by subject live beside it: `known_names` (what code may read), `decision_rules`,
`timer_rules`, `instruction_rules`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.bpmn import spiff
from engine.core.document_models import document_names
from engine.definitions.code_names import expression_reads, script_names
from engine.definitions.decision_rules import check_decision
from engine.definitions.definition import ProcessDefinition
from engine.definitions.element_code import (
    element_label,
    expression_refusal,
    expressions,
    script_refusal,
    scripts,
)
from engine.definitions.instruction_rules import instructions_problem
from engine.definitions.known_names import KnownNames, known_names
from engine.definitions.timer_rules import timer_problem, unquoted_timer_text

# The roles a lane may name: those that work on dossiers.
KNOWN_ROLES = {"demandeur", "recevabilite", "rapporteur", "commission", "directeur_general"}


def validate_definition(definition: ProcessDefinition) -> list[str]:
    """The French problems that make the definition undeployable (empty when deployable)."""
    problems: list[str] = []
    known = known_names(definition)
    for task_spec in spiff.all_task_specs(definition.parsed):
        problems.extend(_check_task_spec(definition, task_spec, known))
    problems.extend(_check_loops(definition))
    problems.extend(_check_recursion(definition))
    for lane, rule in definition.lanes.items():
        if rule.role not in KNOWN_ROLES:
            problems.append(
                f"process.json: le couloir «\u00a0{lane}\u00a0» renvoie au rôle inconnu "
                f"«\u00a0{rule.role}\u00a0»\u202f; "
                f"rôles connus\u00a0: {', '.join(sorted(KNOWN_ROLES))}"
            )
    return list(dict.fromkeys(problems))


def _check_task_spec(
    definition: ProcessDefinition, task_spec: Any, known: KnownNames
) -> Iterator[str]:
    label = element_label(task_spec)
    if getattr(task_spec, "manual", False):
        lane = task_spec.lane
        if definition.lane_rule(lane) is None:
            where = f"«\u00a0{lane}\u00a0»" if lane else "aucun"
            yield (
                f"{label} tâche humaine hors d'un couloir associé à un rôle (couloir\u00a0: "
                f"{where})\u202f; "
                "placez-la dans un couloir dont process.json donne le rôle (clé "
                "«\u00a0lanes\u00a0»)"
            )
        properties = spiff.task_properties(task_spec)
        schema_file = properties.get("formJsonSchemaFilename")
        if not schema_file:
            yield (
                f"{label} tâche humaine sans formulaire (formJsonSchemaFilename)\u202f; choisissez "
                "dans ses propriétés le formulaire (JSON Schema du dossier forms/) qu'elle présente"
            )
        # A form named but unreadable is reported by its loading (engine.definitions.definition).
    for where, source in expressions(task_spec):
        if where == "minuterie" and unquoted_timer_text(source):
            yield (
                f"{label} minuterie «\u00a0{source.strip()}\u00a0»\u00a0: ce texte ISO 8601 est "
                "lu comme du "
                f'code\u202f; écrivez-le entre guillemets ("{source.strip()}")'
            )
            continue
        reason = expression_refusal(source)
        if reason:
            yield f"{label} condition ou expression refusée\u00a0: {reason}"
        else:
            yield from known.problems(f"{label} {where}", expression_reads(source))
    for attribute, source in scripts(task_spec):
        reason = script_refusal(source)
        if reason:
            yield f"{label} script refusé\u00a0: {reason}"
        else:
            reads = script_names(source).reads
            yield from known.problems(f"{label} script", reads, (label, attribute))
    yield from check_decision(label, task_spec, known)
    timer = timer_problem(task_spec)
    if timer:
        yield f"{label} {timer}"
    yield from _document_problems(label, task_spec)
    instructions = instructions_problem(spiff.task_instructions(task_spec))
    if instructions:
        yield f"{label} instructions\u00a0: {instructions}"
    if type(task_spec).__name__ == "ExclusiveGateway" and not task_spec.default_task_spec:
        yield f"{label} passerelle exclusive sans flux par défaut"


def _document_problems(label: str, task_spec: Any) -> Iterator[str]:
    """A `document` property naming no template would fail at each dossier: refused here."""
    listed = spiff.task_properties(task_spec).get("document") or ""
    names = [name.strip() for name in listed.split(",") if name.strip()]
    known = document_names()
    for name in names:
        if name not in known:
            yield (
                f"{label} document «\u00a0{name}\u00a0» inconnu\u00a0: aucun modèle "
                f"engine/pdf/modeles/{name}.html\u202f; modèles connus\u00a0: "
                f"{', '.join(sorted(known))}"
            )


def _check_loops(definition: ProcessDefinition) -> Iterator[str]:
    """A cycle with no human task and no timer can turn forever within one action: refused.

    Cycles through a human task are bounded by people and guarded by the engine's depth limit.
    """
    for cycle in spiff.cycles(definition.parsed):
        if any(getattr(spec, "manual", False) or spiff.is_timer(spec) for spec in cycle):
            continue
        first = sorted(cycle, key=lambda spec: spec.bpmn_id or spec.name)[0]
        names = ", ".join(sorted(spec.bpmn_id or spec.name for spec in cycle))
        yield (
            f"{element_label(first)} boucle sans tâche humaine ni minuterie ({names})\u00a0: "
            "elle pourrait tourner sans fin"
        )


def _check_recursion(definition: ProcessDefinition) -> Iterator[str]:
    """A process calling itself, directly or through others, would call without end."""
    parsed = definition.parsed
    processes = {parsed.spec.name: parsed.spec, **parsed.subprocess_specs}
    calls: dict[str, list[tuple[Any, str]]] = {
        name: [
            (task_spec, task_spec.spec)
            for task_spec in process.task_specs.values()
            if isinstance(getattr(task_spec, "spec", None), str) and task_spec.spec in processes
        ]
        for name, process in processes.items()
    }
    reported: set[frozenset[str]] = set()
    for start in [parsed.spec.name, *sorted(parsed.subprocess_specs)]:
        path = _cycle_from(start, calls)
        if path is None or frozenset(path) in reported:
            continue
        reported.add(frozenset(path))
        members = set(path)
        activities = sorted(
            {
                task_spec.bpmn_id or task_spec.name
                for caller in members
                for task_spec, called in calls[caller]
                if called in members
            }
        )
        first = next(spec for spec, called in calls[path[0]] if called == path[1 % len(path)])
        chain = " → ".join([*path, path[0]])
        yield (
            f"{element_label(first)} appel récursif\u00a0: {chain} (activités d'appel\u00a0: "
            f"{', '.join(activities)})\u202f; un processus ne peut pas s'appeler lui-même, "
            "directement ou par un autre"
        )


def _cycle_from(start: str, calls: dict[str, list[tuple[Any, str]]]) -> list[str] | None:
    """The processes of a shortest call chain from `start` back to itself, or None."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for caller in frontier:
            for _task_spec, called in calls.get(caller, []):
                if called == start:
                    path = [caller]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path))
                if called not in previous:
                    previous[called] = caller
                    following.append(called)
        frontier = following
    return None
