"""Read a posted form: uploads become pieces of the dossier, strings become typed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request

from engine.core import audit
from engine.core.actor import Actor
from engine.core.errors import DocumentRefused
from engine.core.models import Instance
from engine.core.settings import EngineSettings
from engine.definitions.forms import FormDefinition, parse_submission
from engine.workflow import documents
from web import quarantine
from web.database import db


def document_store() -> documents.DocumentStore:
    settings: EngineSettings = current_app.extensions["engine_settings"]
    return documents.DocumentStore(
        Path(current_app.config["UPLOAD_DIR"]),
        settings.max_piece_bytes,
        settings.antivirus,
        quarantine.incidents(),
    )


def read_form(
    actor: Actor, instance: Instance, form: FormDefinition, fields: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(typed data, French errors) of the posted fields; uploaded pieces are committed at once.

    Pieces are kept even when another field is wrong, so nobody uploads a file twice; a piece
    that is not acceptable is refused before anything is written.
    """
    wanted = set(fields) if fields is not None else {field.name for field in form.fields}
    raw: dict[str, list[str]] = {key: request.form.getlist(key) for key in request.form}
    upload_errors: dict[str, str] = {}
    stored = False
    for name in form.file_fields():
        if name not in wanted:
            continue
        removed = set(request.form.getlist(f"_retirer_{name}"))
        kept = [value for value in raw.get(name, []) if value and value not in removed]
        for upload in request.files.getlist(name):
            if not upload or not upload.filename:
                continue
            try:
                document = documents.store(
                    db(), document_store(), actor, instance, name, upload.filename, upload.stream
                )
            except DocumentRefused as error:
                upload_errors[name] = error.user_message
                continue
            audit.record(
                db(), instance.id, actor, "piece", f"Pièce ajoutée\u00a0: {document.name}."
            )
            kept.append(str(document.id))
            stored = True
        spec = form.get_field(name)
        raw[name] = kept if spec.multiple else kept[-1:]
    if stored:
        db().commit()
    data, errors = parse_submission(form, raw, fields=wanted)
    errors.update(upload_errors)
    return data, errors
