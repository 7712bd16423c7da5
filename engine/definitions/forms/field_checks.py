"""The checks of a form's fields that read the field with its neighbours: the widget fits the
type, the options are well formed, `ui:visibleIf` and `ui:options.notPastUnless` name other
fields of the same form. Each problem is a French sentence naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.definitions.forms.fields import STORAGE_DOSSIER, STORAGE_PROCESS, FieldSpec
from engine.definitions.forms.sources import SOURCES

WIDGETS = frozenset(
    {
        "text",
        "textarea",
        "radio",
        "select",
        "checkbox",
        "checkboxes",
        "date",
        "file",
        "files",
        "user",
        "choix",
        "hidden",
    }
)


def field_problems(spec: FieldSpec, options: Any, storage: Any) -> list[str]:
    where = f"champ «\u00a0{spec.name}\u00a0»\u00a0:"
    problems = []
    if spec.widget not in WIDGETS:
        problems.append(f"{where} le widget «\u00a0{spec.widget}\u00a0» n'est pas pris en charge.")
    elif spec.widget in ("radio", "select", "checkboxes") and not spec.choices:
        problems.append(
            f"{where} le widget «\u00a0{spec.widget}\u00a0» demande des choix (enum ou oneOf)."
        )
    elif not _widget_fits(spec):
        problems.append(
            f"{where} le widget «\u00a0{spec.widget}\u00a0» ne convient pas au type "
            f"«\u00a0{spec.json_type}\u00a0»."
        )
    if spec.widget == "user" and not spec.role:
        problems.append(f"{where} le widget «\u00a0user\u00a0» demande ui:options.role.")
    if spec.widget == "choix":
        problems += _source_problems(spec, where)
    if not isinstance(options, Mapping):
        problems.append(f"{where} «\u00a0ui:options\u00a0» doit être un objet.")
    if storage not in (STORAGE_PROCESS, STORAGE_DOSSIER):
        problems.append(
            f"{where} «\u00a0ui:storage\u00a0» vaut «\u00a0process\u00a0» ou «\u00a0dossier\u00a0»."
        )
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except re.error:
            problems.append(f"{where} le motif (pattern) n'est pas une expression valide.")
    return problems


def _widget_fits(spec: FieldSpec) -> bool:
    kind, widget = spec.json_type, spec.widget
    if widget in ("text", "textarea"):
        return kind in ("string", "integer", "number")
    if widget in ("radio", "select"):
        return kind != "array" and bool(spec.choices)
    if widget == "checkboxes":
        return kind == "array" and bool(spec.choices)
    if widget == "checkbox":
        return kind == "boolean"
    if widget == "files":
        return kind == "array"
    if widget == "hidden":
        return kind != "array"
    if widget == "user":
        return kind in ("string", "integer")
    if widget == "choix":
        return kind in ("string", "integer")
    return kind == "string"  # date, file


def _source_problems(spec: FieldSpec, where: str) -> list[str]:
    source = SOURCES.get(spec.source or "")
    if source is None:
        known = ", ".join(f"«\u00a0{name}\u00a0»" for name in sorted(SOURCES))
        return [
            f"{where} le widget «\u00a0choix\u00a0» demande ui:options.source, le nom d'une "
            f"liste connue ({known})."
        ]
    if spec.json_type != source.json_type:
        return [
            f"{where} la liste «\u00a0{source.name}\u00a0» donne des valeurs de type "
            f"«\u00a0{source.json_type}\u00a0», pas «\u00a0{spec.json_type}\u00a0»."
        ]
    return []


def check_visibility(specs: Mapping[str, FieldSpec], problems: list[str]) -> None:
    for spec in specs.values():
        for other in spec.visible_if or {}:
            if other not in specs or other == spec.name:
                problems.append(
                    f"champ «\u00a0{spec.name}\u00a0»\u00a0: «\u00a0ui:visibleIf\u00a0» porte sur "
                    f"«\u00a0{other}\u00a0», "
                    "qui n'est pas un autre champ du formulaire."
                )


def check_not_past(specs: Mapping[str, FieldSpec], problems: list[str]) -> None:
    """`ui:options.notPastUnless` names the box that lets a past date through (« La séance
    s'est déjà tenue »): a misspelt name would refuse every past date for good."""
    for spec in specs.values():
        unless = spec.options.get("notPastUnless")
        if unless is None:
            continue
        other = specs.get(unless) if isinstance(unless, str) else None
        where = f"champ «\u00a0{spec.name}\u00a0»\u00a0: «\u00a0ui:options.notPastUnless\u00a0»"
        todo = (
            "donnez le nom de la case à cocher (champ booléen) du même formulaire qui autorise "
            "une date passée, ou retirez cette option"
        )
        if other is None or other is spec:
            problems.append(
                f"{where} nomme «\u00a0{unless}\u00a0», qui n'est pas un autre champ du "
                f"formulaire\u202f; {todo}."
            )
        elif other.json_type != "boolean":
            problems.append(
                f"{where} nomme «\u00a0{unless}\u00a0», un champ de type "
                f"«\u00a0{other.json_type}\u00a0» et non une case à cocher\u202f; {todo}."
            )
