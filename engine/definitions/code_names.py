"""The names a diagram's code reads and writes, found on its syntax tree without running it.

Deployment checks every name read by a condition, expression or script against the process
variables the model can set: a misspelt name would otherwise fail each dossier reaching it.
Statements are followed in execution order, so a script may read a name it assigned earlier;
names bound inside the code (comprehension variables, lambda and function parameters) are not
read from outside. Code that does not parse gives no names: the sandbox reports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

# Deeper code is refused by the sandbox's size limit long before; this keeps parsing bounded.
MAX_SOURCE_CHARS = 20_000


@dataclass(frozen=True)
class ScriptNames:
    reads: frozenset[str]  # read before the script assigns them: taken from the process
    stores: frozenset[str]  # left in the script's namespace: new process variables


def expression_reads(source: str) -> frozenset[str]:
    """Names an expression (condition, timer, DMN cell…) reads from the process variables."""
    tree = _parse(source.strip(), "eval")
    if tree is None:
        return frozenset()
    scope = _Scope(set())
    scope.visit(tree)
    return frozenset(scope.finish())


def script_names(source: str) -> ScriptNames:
    """What a script reads from the process variables and what it leaves in them."""
    tree = _parse(source, "exec")
    if tree is None:
        return ScriptNames(frozenset(), frozenset())
    scope = _Scope(set())
    scope.visit(tree)
    reads = scope.finish()
    return ScriptNames(frozenset(reads), frozenset(scope.bound))


def _parse(source: str, mode: str) -> ast.AST | None:
    if len(source) > MAX_SOURCE_CHARS:
        return None
    try:
        return ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class _Scope(ast.NodeVisitor):
    """One scope (the script, a function, a comprehension), visited in execution order.

    Function and lambda bodies run later, when called: they are visited once the enclosing
    scope is done, with every name it binds.
    """

    def __init__(self, bound: set[str], enclosing: _Scope | None = None) -> None:
        self.bound = set(bound)
        self.reads: set[str] = set()
        self.deferred: list[tuple[ast.AST | list[ast.stmt], set[str]]] = []
        # A comprehension's scope: `:=` inside it binds in the enclosing scope too.
        self.enclosing = enclosing

    def finish(self) -> set[str]:
        while self.deferred:
            body, parameters = self.deferred.pop(0)
            inner = _Scope(self.bound | parameters)
            if isinstance(body, list):
                inner.visit_all(body)
            else:
                inner.visit(body)
            self.reads |= inner.finish()
        return self.reads

    def visit_all(self, nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            self.visit(node)

    def _read(self, name: str) -> None:
        if name not in self.bound:
            self.reads.add(name)

    # --- names --------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.bound.add(node.id)
        elif isinstance(node.ctx, ast.Del):
            self._read(node.id)
            self.bound.discard(node.id)
        else:
            self._read(node.id)

    # --- statements whose parts do not run in the order of their fields --------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        self.visit_all(node.targets)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)  # `n += 1` needs `n` already
            self.bound.add(node.target.id)
        else:
            self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)
        scope = self.enclosing
        while scope is not None:
            scope.bound.add(node.target.id)
            scope = scope.enclosing

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        self.visit_all(node.body)
        self.visit_all(node.orelse)

    visit_AsyncFor = visit_For

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bound.add(node.name)
        self.visit_all(node.body)
        if node.name:
            self.bound.discard(node.name)  # Python deletes it when the handler ends

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        return None

    visit_Nonlocal = visit_Global

    # --- match statements bind their capture names ----------------------------------------

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self.bound.add(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bound.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.visit_all(node.keys)
        self.visit_all(node.patterns)
        if node.rest:
            self.bound.add(node.rest)

    # --- nested scopes --------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.visit_all(node.decorator_list)
        self._defaults(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.bound.add(node.name)
        self.deferred.append((node.body, _parameters(node.args)))

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._defaults(node.args)
        self.deferred.append((node.body, _parameters(node.args)))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.visit_all(node.decorator_list)
        self.visit_all(node.bases)
        self.visit_all(node.keywords)
        inner = _Scope(self.bound)
        inner.visit_all(node.body)
        self.reads |= inner.finish()
        self.bound.add(node.name)

    def _defaults(self, arguments: ast.arguments) -> None:
        self.visit_all(arguments.defaults)
        self.visit_all(default for default in arguments.kw_defaults if default is not None)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, [node.key, node.value])

    def _comprehension(self, generators: list[ast.comprehension], results: list[ast.expr]) -> None:
        # The first iterable is evaluated outside; the rest inside, after the targets bind.
        self.visit(generators[0].iter)
        inner = _Scope(self.bound, enclosing=self)
        for index, generator in enumerate(generators):
            if index:
                inner.visit(generator.iter)
            inner.visit(generator.target)
            inner.visit_all(generator.ifs)
        inner.visit_all(results)
        self.reads |= inner.finish()


def _parameters(arguments: ast.arguments) -> set[str]:
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    names = {argument.arg for argument in every}
    for extra in (arguments.vararg, arguments.kwarg):
        if extra is not None:
            names.add(extra.arg)
    return names
