"""Deployment rule on a task's instructions: a Jinja template that parses, stands alone and reads
no `_` name."""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.core.typography import TEXT_FILTERS

# Parsing only: templates are rendered elsewhere (engine.workflow.task_page), under the sandbox.
_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)
# The filters the sandbox renders with: a template using them compiles.
_TEMPLATES.filters.update(TEXT_FILTERS)


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


def instructions_problem(text: str) -> str | None:
    """Why a task's instructions (a Jinja template) cannot be shown, or None."""
    if "{" not in text:
        return None
    try:
        tree = _TEMPLATES.parse(text)
        _TEMPLATES.compile(tree)
    except TemplateSyntaxError as error:
        return f"modèle invalide (ligne {error.lineno}\u00a0: {error.message})"
    except RecursionError:
        return "modèle invalide (trop imbriqué)"
    except Exception as error:
        return f"modèle invalide ({type(error).__name__}\u00a0: {error})"
    for node_type, tag, reason in _FORBIDDEN_TAGS:
        if tree.find(node_type) is not None:
            return f"«\u00a0{tag}\u00a0» interdit ({reason})"
    for name in _template_names(tree):
        if name.startswith("_"):
            return (
                f"«\u00a0{name}\u00a0» interdit "
                "(les noms commençant par «\u00a0_\u00a0» sont interdits)"
            )
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
