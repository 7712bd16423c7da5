"""A form definition: its checked fields and pages, its conditions and its compiled validator.

It knows nothing about HTML or Flask: the web layer builds its view models from
`FormDefinition.fields` and `FormDefinition.pages`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from engine.core.errors import NotFound
from engine.definitions.forms.fields import STORAGE_DOSSIER, FieldSpec, FormPage
from engine.definitions.forms.schema import (
    build_fields,
    build_pages,
    raise_if_any,
    schema_problems,
    submit_label,
)
from engine.definitions.forms.sources import SOURCES
from engine.definitions.forms.validator import compile_validator


class FormDefinition:
    """A checked form: its fields, pages and compiled validator."""

    def __init__(
        self, name: str, schema: Mapping[str, Any], ui: Mapping[str, Any] | None = None
    ) -> None:
        self.name = name
        self.schema: dict[str, Any] = copy.deepcopy(dict(schema))
        self.ui: dict[str, Any] = copy.deepcopy(dict(ui or {}))
        problems = schema_problems(self.schema)
        raise_if_any(name, problems)
        self.schema["additionalProperties"] = False
        self.title = str(self.schema.get("title") or name)
        self.description: str | None = self.schema.get("description") or None
        specs = build_fields(self.schema, self.ui, problems)
        self.pages = build_pages(self.ui, self.title, specs, problems)
        raise_if_any(name, problems)
        self.fields: tuple[FieldSpec, ...] = tuple(
            specs[field_name] for page in self.pages for field_name in page.fields
        )
        self._by_name = {spec.name: spec for spec in self.fields}
        self.submit_label = submit_label(self.ui)
        # What the submitter reads of a reviewer's answers (a Jinja text over the form's values,
        # e.g. « Votre demande a été déclarée irrecevable pour le motif suivant : … »), instead
        # of the reviewer's choices.
        message = self.ui.get("ui:messageDemandeur")
        self.submitter_message: str | None = message if isinstance(message, str) else None
        self.validator = compile_validator(self.schema)
        self._conditions = _compile_conditions(self.schema)

    def __repr__(self) -> str:
        return f"FormDefinition({self.name!r}, fields={[f.name for f in self.fields]!r})"

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get_field(self, name: str) -> FieldSpec:
        """The field of that name (KeyError when the form has none)."""
        return self._by_name[name]

    def get_page(self, page_id: str | None) -> FormPage:
        """The page of that id; the first page when `page_id` is None."""
        if page_id is None:
            return self.pages[0]
        for page in self.pages:
            if page.id == page_id:
                return page
        raise NotFound("Cette page du formulaire n'existe pas.", form=self.name, page=page_id)

    def page_of(self, name: str) -> FormPage:
        """The page that shows a field."""
        for page in self.pages:
            if name in page.fields:
                return page
        raise KeyError(name)

    def process_fields(self) -> list[str]:
        """Fields that go into the process variables (not `ui:storage: dossier`)."""
        return [f.name for f in self.fields if f.storage != STORAGE_DOSSIER]

    def file_fields(self) -> list[str]:
        """Fields holding uploaded documents (`file` and `files` widgets)."""
        return [f.name for f in self.fields if f.is_file]

    def user_fields(self) -> dict[str, str]:
        """Fields holding a user id (`user` widget), with the role they list."""
        return {f.name: f.role or "" for f in self.fields if f.widget == "user"}

    def choice_fields(self) -> dict[str, str]:
        """Fields offering a list from the database (`choix` widget), with their source."""
        return {f.name: f.source or "" for f in self.fields if f.widget == "choix"}

    def derived_names(self) -> set[str]:
        """The process variables the `choix` fields set beside themselves."""
        names: set[str] = set()
        for source in self.choice_fields().values():
            known = SOURCES.get(source)
            names |= set(known.derives) if known is not None else set()
        return names

    def required_fields(self, data: Mapping[str, Any]) -> set[str]:
        """Fields required given `data`: static ones plus those of satisfied if/then."""
        names = {f.name for f in self.fields if f.required}
        for condition in self._conditions:
            names |= condition.required(data)
        return names


@dataclass(frozen=True)
class _Condition:
    """An `if`/`then`/`else` (or `dependentRequired`) of the schema, reduced to what it requires."""

    test: Draft202012Validator | None
    then_required: frozenset[str]
    else_required: frozenset[str] = frozenset()
    trigger: str | None = None

    def required(self, data: Mapping[str, Any]) -> frozenset[str]:
        if self.trigger is not None:
            return self.then_required if self.trigger in data else frozenset()
        if self.test is None:
            return frozenset()
        return self.then_required if self.test.is_valid(data) else self.else_required


def _compile_conditions(schema: Mapping[str, Any]) -> list[_Condition]:
    conditions = []
    for part in [schema, *schema.get("allOf", [])]:
        if not isinstance(part, Mapping):
            continue
        if isinstance(part.get("if"), (Mapping, bool)):
            conditions.append(
                _Condition(
                    test=Draft202012Validator(part["if"]),
                    then_required=_required_of(part.get("then")),
                    else_required=_required_of(part.get("else")),
                )
            )
        for trigger, names in (part.get("dependentRequired") or {}).items():
            conditions.append(_Condition(None, frozenset(names), trigger=trigger))
    return conditions


def _required_of(branch: Any) -> frozenset[str]:
    if not isinstance(branch, Mapping):
        return frozenset()
    return frozenset(str(name) for name in branch.get("required", []))
