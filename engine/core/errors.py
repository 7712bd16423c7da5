"""One exception root for the engine; every error carries a French message for the user."""

from __future__ import annotations

from typing import Any


class InventaireError(Exception):
    """Root of the engine's errors. `user_message` is shown to users as is (French)."""

    http_status = 400

    def __init__(self, user_message: str, **context: Any) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.context = context


class NotFound(InventaireError):
    http_status = 404


class Forbidden(InventaireError):
    http_status = 403


class Conflict(InventaireError):
    """Someone else acted first (optimistic lock lost, task already completed or claimed)."""

    http_status = 409


class FormInvalid(InventaireError):
    """The submitted form has errors; `errors` maps field names to French messages."""

    http_status = 422

    def __init__(self, errors: dict[str, str], data: dict[str, Any] | None = None) -> None:
        count = len(errors)
        super().__init__(f"Le formulaire contient {count} erreur{'s' if count > 1 else ''}.")
        self.errors = errors
        self.data = data or {}


class DocumentRefused(InventaireError):
    http_status = 422


class ProcessModelError(InventaireError):
    """A process model (BPMN, DMN, form, configuration) is not deployable."""

    def __init__(
        self, user_message: str, problems: list[str] | None = None, **context: Any
    ) -> None:
        super().__init__(user_message, **context)
        self.problems = problems or [user_message]


class ScriptError(InventaireError):
    """A script, condition or expression of a diagram failed or was refused by the sandbox."""

    http_status = 500


class ExecutionError(InventaireError):
    """The workflow cannot go on (script error, loop limit); the instance keeps its last state."""

    http_status = 500


class PermanentFailure(ExecutionError):
    """A job's failure that trying again cannot mend (a document's template that does not
    apply to the dossier): the job is an incident at once, *Relancer* once it is corrected."""
