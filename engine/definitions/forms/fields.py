"""What a form is made of: its fields and pages, as the schema and the UI schema describe them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STORAGE_PROCESS = "process"
STORAGE_DOSSIER = "dossier"
FILE_WIDGETS = frozenset({"file", "files"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form, as the schema and the UI schema describe it."""

    name: str
    title: str
    json_type: str
    widget: str
    hint: str | None = None
    required: bool = False  # listed in "required", or a box that must be ticked (const true)
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    min_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    format: str | None = None
    rows: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    visible_if: Mapping[str, tuple[str, ...]] | None = field(default=None, hash=False)
    storage: str = STORAGE_PROCESS
    multiple: bool = False
    default: Any = field(default=None, hash=False)

    @property
    def is_date(self) -> bool:
        return self.format == "date" or self.widget == "date"

    @property
    def is_file(self) -> bool:
        return self.widget in FILE_WIDGETS

    @property
    def role(self) -> str | None:
        """The role listed by a `user` widget."""
        role = self.options.get("role")
        return str(role) if role is not None else None

    @property
    def source(self) -> str | None:
        """The list a `choix` widget offers (engine/definitions/forms/sources.py)."""
        source = self.options.get("source")
        return str(source) if source is not None else None


@dataclass(frozen=True)
class FormPage:
    """One page of a multi-page form (a single-page form has one implicit page)."""

    id: str
    title: str
    fields: tuple[str, ...]


def choice_value(value: Any) -> str:
    """How a typed value is written in an HTML form (choices, visibility conditions)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
