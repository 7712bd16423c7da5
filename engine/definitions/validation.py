"""Deployment rules for a process definition: one line per problem, `element-id: reason`.

One implementation behind `inventaire processes check` and every deployment.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.bpmn import sandbox, spiff
from engine.bpmn.bpmn_rules import cycle_problem
from engine.core.errors import InventaireError
from engine.definitions.code_names import expression_reads, script_names
from engine.definitions.definition import ProcessDefinition

KNOWN_ROLES = {"demandeur", "recevabilite", "rapporteur", "commission"}

# Process variables set when a dossier opens, before any form: by
# engine.workflow.runtime.start_instance for every dossier, and by engine.register.life for a
# withdrawal and for a renewal.
START_VARIABLES = frozenset({"organisation_id", "type_organisation", "delai_complements_jours"})
REGISTER_START_VARIABLES = frozenset(
    {
        "numero_inventaire",
        "intitule_certification",
        "fin_validite",
        "certificateur_connu",
        "renouvellement_de",
        "fin_validite_precedente",
    }
)
# What sets a variable: an element's label and its part ("script", "prescript"… or "table").
Setter = tuple[str, str]
TABLE = "table"
SANDBOX_NAMES = frozenset(sandbox.HELPERS) | frozenset(sandbox._BUILTINS)
# SpiffWorkflow's name for the `?` of a decision table's input entry ("? > 5").
DMN_INPUT = "dmninputexpr"


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
                f"process.json: le couloir « {lane} » renvoie au rôle inconnu « {rule.role} »"
            )
    return list(dict.fromkeys(problems))


def _label(task_spec: Any) -> str:
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    name = getattr(task_spec, "bpmn_name", None)
    return f"{element}: « {name} »" if name else f"{element}:"


def _check_task_spec(
    definition: ProcessDefinition, task_spec: Any, known: KnownNames
) -> Iterator[str]:
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
        # A form named but unreadable is reported by its loading (engine.definitions.definition).
    for where, source in _expressions(task_spec):
        reason = _expression_refusal(source)
        if reason:
            yield f"{label} condition ou expression refusée : {reason}"
        else:
            yield from known.problems(f"{label} {where}", expression_reads(source))
    for attribute, source in _scripts(task_spec):
        reason = _script_refusal(source)
        if reason:
            yield f"{label} script refusé : {reason}"
        else:
            reads = script_names(source).reads
            yield from known.problems(f"{label} script", reads, (label, attribute))
    yield from _check_decision(label, task_spec, known)
    timer = _timer_problem(task_spec)
    if timer:
        yield f"{label} {timer}"
    instructions = _instructions_problem(spiff.task_instructions(task_spec))
    if instructions:
        yield f"{label} instructions : {instructions}"
    if type(task_spec).__name__ == "ExclusiveGateway" and not task_spec.default_task_spec:
        yield f"{label} passerelle exclusive sans flux par défaut"


def _expressions(task_spec: Any) -> Iterator[tuple[str, str]]:
    """(what it is, in French; its text) of each expression the engine evaluates on this task."""
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        args = getattr(condition, "args", None)
        if args and isinstance(args[0], str):
            yield "condition", args[0]
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        yield ("minuterie" if spiff.is_timer(task_spec) else "contenu de l'événement"), expression
    params = getattr(task_spec, "operation_params", None)
    for name, param in (params or {}).items() if isinstance(params, dict) else ():
        value = param.get("value") if isinstance(param, dict) else None
        if isinstance(value, str):
            yield f"paramètre « {name} » du service", value
    for attribute, where in (("cardinality", "nombre d'instances"), ("condition", "condition")):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield where, source


def _scripts(task_spec: Any) -> Iterator[tuple[str, str]]:
    for attribute in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attribute, None)
        if isinstance(source, str) and source.strip():
            yield attribute, source


def _expression_refusal(source: str) -> str | None:
    """The sandbox's reason to refuse an expression, or None; never an exception."""
    return _refusal(sandbox.check_expression, source)


def _script_refusal(source: str) -> str | None:
    return _refusal(sandbox.check_script, source)


def _refusal(check: Callable[[str], str | None], source: str) -> str | None:
    # Python's compiler, past the parser, refuses `return`, `break` or `yield` outside a
    # function with a SyntaxError of its own.
    try:
        return check(source)
    except SyntaxError as error:
        return f"erreur de syntaxe ({error.msg})"
    except Exception as error:
        return f"code refusé ({type(error).__name__} : {error})"


# --- names the process can set ---------------------------------------------------------------


@dataclass(frozen=True)
class KnownNames:
    """The names diagram code may read: process variables the model can set, and our helpers."""

    variables: frozenset[str]
    # Form fields kept out of the process variables (`"ui:storage": "dossier"`).
    dossier_only: frozenset[str]
    # Variables set only by diagram code (scripts, decision tables), with what sets them.
    setters: dict[str, frozenset[Setter]]

    def problems(
        self, where: str, reads: Iterable[str], reader: Setter | None = None
    ) -> Iterator[str]:
        """`reader`: the script or table reading them, which sets its own variables only after
        reading (a name nothing else sets is unknown when it runs)."""
        for name in sorted(set(reads)):
            own = reader is not None and self.setters.get(name) == {reader}
            if name in self.variables and not own:
                continue
            if own:
                yield (
                    f"{where} : nom inconnu « {name} » (seul cet élément l'affecte, "
                    "après l'avoir lu)"
                )
            elif name in self.dossier_only:
                yield (
                    f"{where} : nom inconnu « {name} » (champ conservé au dossier, "
                    "« ui:storage » : « dossier », pas une variable du processus)"
                )
            else:
                yield (
                    f"{where} : nom inconnu « {name} » "
                    "(ni champ de formulaire, ni variable du processus)"
                )


def known_names(definition: ProcessDefinition) -> KnownNames:
    """Every name a dossier of this definition can hold, wherever the model sets it."""
    names = set(START_VARIABLES | REGISTER_START_VARIABLES | SANDBOX_NAMES)
    dossier_only: set[str] = set()
    for form in definition.forms.values():
        process_fields = set(form.process_fields())
        names |= process_fields
        dossier_only |= {field.name for field in form.fields} - process_fields
    names |= {
        rule.assignee_variable for rule in definition.lanes.values() if rule.assignee_variable
    }
    parsed = definition.parsed
    for process in [parsed.spec, *parsed.subprocess_specs.values()]:
        names |= {name for name in getattr(process, "data_objects", None) or {}}
    setters: dict[str, set[Setter]] = {}
    for task_spec in spiff.all_task_specs(parsed):
        names |= _names_set_by(task_spec)
        label = _label(task_spec)
        for attribute, source in _scripts(task_spec):
            for name in script_names(source).stores:
                setters.setdefault(name, set()).add((label, attribute))
        for name in _decision_outputs(task_spec):
            setters.setdefault(name, set()).add((label, TABLE))
    by_code = {name: frozenset(keys) for name, keys in setters.items() if name not in names}
    every = frozenset(names | set(by_code))
    return KnownNames(every, frozenset(dossier_only - every), by_code)


def _decision_outputs(task_spec: Any) -> set[str]:
    names = set()
    for output in getattr(_decision_table(task_spec), "outputs", None) or []:
        key = getattr(output, "name", None) or getattr(output, "label", None)
        if isinstance(key, str) and key:
            names.add(key.split(".")[0])  # "a.b" fills the dict `a`
    return names


def _names_set_by(task_spec: Any) -> set[str]:
    """What this element sets, scripts and decision tables apart."""
    names: set[str] = set()
    result = getattr(task_spec, "result_variable", None)  # a service task's answer
    if isinstance(result, str) and result:
        names.add(result)
    event_definition = getattr(task_spec, "event_definition", None)
    for attribute in ("message_var", "variable"):  # a message's or signal's payload
        value = getattr(event_definition, attribute, None)
        if isinstance(value, str) and value:
            names.add(value)
    for attribute in ("input_item", "output_item", "data_output"):  # multi-instance items
        item = getattr(task_spec, attribute, None)
        bpmn_id = getattr(item, "bpmn_id", None)
        if isinstance(bpmn_id, str) and bpmn_id:
            names.add(bpmn_id)
    return names


# --- decision tables -------------------------------------------------------------------------


def _decision_table(task_spec: Any) -> Any:
    return getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)


def _check_decision(label: str, task_spec: Any, known: KnownNames) -> Iterator[str]:
    """Each cell of the called table compiles in the sandbox and reads only known names.

    A cell is checked as the text SpiffWorkflow's DMN engine evaluates, built the same way.
    """
    table = _decision_table(task_spec)
    if table is None:
        return
    where = f"{label} table de décision « {table.id} »"
    reader = (label, TABLE)
    refused: set[int] = set()  # columns without a usable expression: entries not checked
    for column in table.inputs:
        expression = column.expression
        title = column.label or column.name or column.id
        if not isinstance(expression, str) or not expression.strip():
            continue  # reported by the entries that need it
        reason = _expression_refusal(expression)
        if reason:
            refused.add(id(column))
            yield f"{where}, entrée « {title} » : expression refusée : {reason}"
        else:
            reads = expression_reads(expression)
            yield from known.problems(f"{where}, entrée « {title} »", reads, reader)
    for rule in table.rules:
        rule_where = f"{where}, règle {rule.row_number}"
        for entry in rule.inputEntries:
            column = entry.input
            for text in entry.lhs:
                if text is None or id(column) in refused:
                    continue
                if not isinstance(column.expression, str) or not column.expression.strip():
                    # The engine would look up a variable named like the column's label.
                    refused.add(id(column))
                    title = column.label or column.name or column.id
                    yield f"{where}, entrée « {title} » : pas d'expression d'entrée"
                    continue
                yield from _check_input_entry(rule_where, column, text, known, reader)
        for entry in rule.outputEntries:
            text = entry.text
            if not text:
                continue  # an empty output gives ""
            output = entry.output
            output_where = f"{rule_where}, sortie « {output.name or output.label or output.id} »"
            reason = _expression_refusal(text)
            if reason:
                yield f"{output_where} : expression refusée : {reason}"
            else:
                yield from known.problems(output_where, expression_reads(text), reader)


def _check_input_entry(
    where: str, column: Any, text: str, known: KnownNames, reader: Setter
) -> Iterator[str]:
    expression = column.expression
    evaluated, bound = dmn_entry_expression(expression, text)
    reason = _expression_refusal(evaluated)
    if reason:
        yield f"{where} : expression refusée : {reason}"
        return
    # Names of the input expression are reported once, on its column.
    reads = expression_reads(evaluated) - bound - expression_reads(expression)
    yield from known.problems(where, reads, reader)


def dmn_entry_expression(input_expression: str, entry: str) -> tuple[str, frozenset[str]]:
    """The text SpiffWorkflow 3.2's DMN engine evaluates for an input entry, and the names it
    binds itself.

    A `?` outside quotes stands for the input's value (`dmninputexpr`); otherwise the entry is
    compared with `==` when it parses alone ("oui", 5), else glued to the input (`> 5`).
    """
    if _question_marks(entry):
        return _replace_question_marks(entry), frozenset({DMN_INPUT})
    if _parses(entry) or not _parses(f"v {entry}"):
        return f"({input_expression}) == ({entry})", frozenset()
    return input_expression + entry, frozenset()


def _parses(text: str) -> bool:
    if len(text) > sandbox.MAX_SOURCE_CHARS:
        return True  # the sandbox refuses it for its size
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _question_marks(text: str) -> list[int]:
    """Positions of the `?` the engine replaces: those followed by balanced quotes only.

    After such a `?`, the rest of the text must read as plain characters and quoted runs, a
    run opening and closing on any quote character (the engine's own rule, ' and " alike).
    Computed from the end, once: `balanced[i]` says whether text[i:] reads so.
    """
    balanced = [False] * (len(text) + 1)
    balanced[len(text)] = True
    next_quote: int | None = None
    for index in range(len(text) - 1, -1, -1):
        if text[index] in "'\"":
            balanced[index] = next_quote is not None and balanced[next_quote + 1]
            next_quote = index
        else:
            balanced[index] = balanced[index + 1]
    return [index for index, char in enumerate(text) if char == "?" and balanced[index + 1]]


def _replace_question_marks(text: str) -> str:
    positions = set(_question_marks(text))
    return "".join(DMN_INPUT if index in positions else char for index, char in enumerate(text))


# --- timers ----------------------------------------------------------------------------------


def _timer_problem(task_spec: Any) -> str | None:
    """A constant timer expression must give ISO 8601 text ("P30D", a date, "R3/…/P1D"), and a
    repeating one must be bounded and spaced."""
    event_definition = getattr(task_spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if not spiff.is_timer(task_spec) or not isinstance(expression, str):
        return None
    if _expression_refusal(expression):
        return None  # reported as refused code
    if expression_reads(expression) - SANDBOX_NAMES:
        return None  # depends on process variables: checked when the dossier reaches it
    try:
        value = spiff.SandboxEnvironment(time_limit=0.2).evaluate(expression, {})
    except NameError:
        return None
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
    if reason:
        return f"minuterie « {value} » : {reason}"
    parse_cycle = getattr(event_definition, "parse_iso_recurring_interval", None)
    if type(event_definition).__name__ == "CycleTimerEventDefinition" and parse_cycle:
        repetitions, _start, interval = parse_cycle(value)
        reason = cycle_problem(repetitions, interval)
        if reason:
            return f"minuterie répétée « {value} » : {reason}"
    return None


# --- instructions ----------------------------------------------------------------------------

# Parsing only: templates are rendered elsewhere (engine.workflow.task_context), under the sandbox.
_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)
# Instructions are text with `{{ variable }}` and `{% if %}`/`{% for %}`: they stand alone (no
# other template to load) and define nothing (a macro can call itself without end).
_FORBIDDEN_TAGS: tuple[tuple[type[nodes.Node], str, str], ...] = (
    (nodes.Include, "include", "les instructions ne chargent pas d'autre modèle"),
    (nodes.Extends, "extends", "les instructions ne chargent pas d'autre modèle"),
    (nodes.Import, "import", "les instructions ne chargent pas d'autre modèle"),
    (nodes.FromImport, "import", "les instructions ne chargent pas d'autre modèle"),
    (nodes.Macro, "macro", "les instructions ne définissent pas de macro"),
    (nodes.CallBlock, "call", "les instructions ne définissent pas de macro"),
)


def _instructions_problem(text: str) -> str | None:
    """Why a task's instructions (a Jinja template) cannot be shown, or None."""
    if "{" not in text:
        return None
    try:
        tree = _TEMPLATES.parse(text)
        _TEMPLATES.compile(tree)
    except TemplateSyntaxError as error:
        return f"modèle invalide (ligne {error.lineno} : {error.message})"
    except RecursionError:
        return "modèle invalide (trop imbriqué)"
    except Exception as error:
        return f"modèle invalide ({type(error).__name__} : {error})"
    for node_type, tag, reason in _FORBIDDEN_TAGS:
        if tree.find(node_type) is not None:
            return f"« {tag} » interdit ({reason})"
    for name in _template_names(tree):
        if name.startswith("_"):
            return f"« {name} » interdit (les noms commençant par « _ » sont interdits)"
    return None


def _template_names(tree: nodes.Template) -> Iterator[str]:
    """Variables, attributes and constant keys a template reads (`a`, `a.b`, `a["b"]`)."""
    for name_node in tree.find_all(nodes.Name):
        yield name_node.name
    for attribute in tree.find_all(nodes.Getattr):
        yield attribute.attr
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            yield item.arg.value


# --- structure -------------------------------------------------------------------------------


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
            f"{_label(first)} appel récursif : {chain} (activités d'appel : "
            f"{', '.join(activities)}) ; un processus ne peut pas s'appeler lui-même, "
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
