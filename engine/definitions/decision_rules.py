"""Deployment rules on decision tables (DMN): every cell, rebuilt as SpiffWorkflow 3.2's DMN engine
evaluates it, compiles in the sandbox and reads only names a dossier can hold."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from engine.bpmn import sandbox
from engine.definitions.code_names import expression_reads
from engine.definitions.element_code import decision_table, expression_refusal
from engine.definitions.known_names import TABLE, KnownNames, Setter

# SpiffWorkflow's name for the `?` of a decision table's input entry ("? > 5").
DMN_INPUT = "dmninputexpr"


def check_decision(label: str, task_spec: Any, known: KnownNames) -> Iterator[str]:
    """Each cell of the called table compiles in the sandbox and reads only known names.

    A cell is checked as the text SpiffWorkflow's DMN engine evaluates, built the same way.
    """
    table = decision_table(task_spec)
    if table is None:
        return
    where = f"{label} table de décision «\u00a0{table.id}\u00a0»"
    reader = (label, TABLE)
    refused: set[int] = set()  # columns without a usable expression: entries not checked
    for column in table.inputs:
        expression = column.expression
        title = column.label or column.name or column.id
        if not isinstance(expression, str) or not expression.strip():
            continue  # reported by the entries that need it
        reason = expression_refusal(expression)
        if reason:
            refused.add(id(column))
            yield f"{where}, entrée «\u00a0{title}\u00a0»\u00a0: expression refusée\u00a0: {reason}"
        else:
            reads = expression_reads(expression)
            yield from known.problems(f"{where}, entrée «\u00a0{title}\u00a0»", reads, reader)
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
                    yield f"{where}, entrée «\u00a0{title}\u00a0»\u00a0: pas d'expression d'entrée"
                    continue
                yield from _check_input_entry(rule_where, column, text, known, reader)
        for entry in rule.outputEntries:
            text = entry.text
            if not text:
                continue  # an empty output gives ""
            output = entry.output
            output_where = (
                f"{rule_where}, sortie «\u00a0{output.name or output.label or output.id}\u00a0»"
            )
            reason = expression_refusal(text)
            if reason:
                yield f"{output_where}\u00a0: expression refusée\u00a0: {reason}"
            else:
                yield from known.problems(output_where, expression_reads(text), reader)


def _check_input_entry(
    where: str, column: Any, text: str, known: KnownNames, reader: Setter
) -> Iterator[str]:
    expression = column.expression
    evaluated, bound = dmn_entry_expression(expression, text)
    reason = expression_refusal(evaluated)
    if reason:
        yield f"{where}\u00a0: expression refusée\u00a0: {reason}"
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
