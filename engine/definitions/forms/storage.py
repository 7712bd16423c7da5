"""Where a form's values are kept: the process variables, or the dossier only (`ui:storage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.definitions.forms.fields import STORAGE_DOSSIER
from engine.definitions.forms.spec import FormDefinition


def split_for_storage(
    form: FormDefinition, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(process variables, dossier-only values); keys that are not fields are dropped."""
    process: dict[str, Any] = {}
    dossier: dict[str, Any] = {}
    for name, value in data.items():
        if name in form:
            target = dossier if form.get_field(name).storage == STORAGE_DOSSIER else process
            target[name] = value
    return process, dossier
