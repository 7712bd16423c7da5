"""Deployment rules for a process definition: one line per problem, `element-id: reason`.

One implementation behind `inventaire processes check` and every deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine import sandbox, spiff
from engine.definition import ProcessDefinition
from engine.errors import InventaireError

KNOWN_ROLES = {"demandeur", "recevabilite", "rapporteur", "commission"}


def validate_definition(definition: ProcessDefinition) -> list[str]:
    """The French problems that make the definition undeployable (empty when deployable)."""
    problems: list[str] = []
    for task_spec in spiff.all_task_specs(definition.parsed):
        problems.extend(_check_task_spec(definition, task_spec))
    problems.extend(_check_loops(definition))
    for lane, rule in definition.lanes.items():
        if rule.role not in KNOWN_ROLES:
            problems.append(
                f"process.json: le couloir « {lane} » renvoie au rôle inconnu « {rule.role} »"
            )
    return problems


def _label(task_spec: Any) -> str:
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    name = getattr(task_spec, "bpmn_name", None)
    return f"{element}: « {name} »" if name else f"{element}:"


def _check_task_spec(definition: ProcessDefinition, task_spec: Any) -> Iterator[str]:
    label = _label(task_spec)
    if getattr(task_spec, "manual", False):
        lane = task_spec.lane
        if definition.lane_rule(lane) is None:
            where = f"« {lane} »" if lane else "aucun"
            yield f"{label} tâche humaine hors d'un couloir associé à un rôle (couloir : {where})"
        properties = spiff.task_properties(task_spec)
        schema_file = properties.get("formJsonSchemaFilename")
        if not schema_file:
            yield f"{label} tâche humaine sans formulaire (formJsonSchemaFilename)"
        # A form named but unreadable is reported by its loading (engine.definition).
    for source in _expressions(task_spec):
        reason = sandbox.check_expression(source)
        if reason:
            yield f"{label} condition ou expression refusée : {reason}"
    for source in _scripts(task_spec):
        reason = sandbox.check_script(source)
        if reason:
            yield f"{label} script refusé : {reason}"
    timer = _timer_problem(task_spec)
    if timer:
        yield f"{label} {timer}"
    if type(task_spec).__name__ == "ExclusiveGateway" and not task_spec.default_task_spec:
        yield f"{label} passerelle exclusive sans flux par défaut"


def _expressions(task_spec: Any) -> Iterator[str]:
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        args = getattr(condition, "args", None)
        if args and isinstance(args[0], str):
            yield args[0]
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        yield expression
    decision = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
    for column in getattr(decision, "inputs", []) or []:
        if isinstance(getattr(column, "expression", None), str):
            yield column.expression


def _scripts(task_spec: Any) -> Iterator[str]:
    for attribute in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield source


def _timer_problem(task_spec: Any) -> str | None:
    """A constant timer expression must give ISO 8601 text ("P30D", a date, "R3/…/P1D")."""
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if not isinstance(expression, str) or sandbox.check_expression(expression):
        return None
    try:
        value = spiff.SandboxEnvironment(time_limit=0.2).evaluate(expression, {})
    except NameError:
        return None  # depends on process variables: checked when the dossier reaches it
    except InventaireError as error:
        return f"expression de minuterie refusée : {error.user_message}"
    except Exception as error:
        return f"expression de minuterie invalide ({type(error).__name__} : {error})"
    if not isinstance(value, str):
        return (
            "l'expression de minuterie doit donner un texte ISO 8601 entre guillemets, "
            f'par exemple "P30D" (elle donne {value!r})'
        )
    reason = spiff.timer_text_problem(event_definition, value)
    return f"minuterie « {value} » : {reason}" if reason else None


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
            f"{_label(first)} boucle sans tâche humaine ni minuterie ({names}) : "
            "elle pourrait tourner sans fin"
        )
