"""The engine is a library: it never imports Flask, and nothing but engine/spiff.py imports
SpiffWorkflow (one door, so a library upgrade touches one file)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_flask() -> None:
    offenders = [
        path.name
        for path in (ROOT / "engine").rglob("*.py")
        if imported_modules(path) & {"flask", "flask_wtf"}
    ]
    assert offenders == []


def test_only_the_facade_imports_spiffworkflow() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("engine", "web")
        for path in (ROOT / folder).rglob("*.py")
        if "SpiffWorkflow" in imported_modules(path) and path.name != "spiff.py"
    ]
    assert offenders == []
