"""The editor's JSON API: the draft's files, their check, the live form preview."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, render_template, request
from werkzeug.wrappers import Response

from engine.core import xml_safety
from engine.core.errors import Conflict, FormInvalid, ProcessModelError
from engine.definitions.definition import main_diagram
from engine.definitions.forms import FormDefinition
from engine.studio import drafts
from engine.workflow import access, diagram
from web.auth import allowed, current_actor
from web.database import db
from web.formrender import build_form_view
from web.studio import bp

Json = Response | tuple[Response, int]


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.get("/api/<key>/brouillon")
@allowed(access.may_open_studio)
def draft_get(key: str) -> Json:
    drafts.versions_of(db(), key)
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    files = dict(draft.files)
    return jsonify(
        key=key,
        lock_version=draft.lock_version,
        files=files,
        main_bpmn=main_diagram(files),
    )


@bp.put("/api/<key>/brouillon")
@allowed(access.may_open_studio)
def draft_put(key: str) -> Json:
    drafts.versions_of(db(), key)
    payload = _payload()
    files = payload.get("files")
    seen = payload.get("lock_version")
    if not isinstance(files, dict) or not isinstance(seen, int):
        return jsonify(errors={"": "Requête invalide\u00a0: fichiers et version attendus."}), 422
    refused = _xml_refusals(files)
    if refused:
        return jsonify(errors=refused), 422
    try:
        draft = drafts.save_draft(db(), current_actor(), key, files, seen)
        db().commit()
    except FormInvalid as error:
        db().rollback()
        return jsonify(errors=error.errors), 422
    except Conflict as error:
        db().rollback()
        return jsonify(message=error.user_message), 409
    return jsonify(lock_version=draft.lock_version)


def _xml_refusals(files: dict[str, Any]) -> dict[str, str]:
    """The diagrams and decision tables that declare a DTD: never stored, so neither the editor
    nor a later check reads them (oversized texts are save_draft's to refuse)."""
    refusals: dict[str, str] = {}
    for name, text in files.items():
        if not name.endswith((".bpmn", ".dmn")) or not isinstance(text, str):
            continue
        if len(text) > drafts.MAX_FILE_CHARS:
            continue
        refused = xml_safety.refusal(text.encode("utf-8", errors="surrogatepass"))
        if refused is not None:
            refusals[name] = f"Fichier refusé\u00a0: {refused}."
    return refusals


@bp.post("/api/<key>/brouillon/verification")
@allowed(access.may_open_studio)
def draft_check(key: str) -> Json:
    drafts.versions_of(db(), key)
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    problems = drafts.check_draft(draft)
    return jsonify(
        deployable=not problems,
        problems=[{"element": problem.element, "message": problem.message} for problem in problems],
    )


@bp.post("/api/formulaire/apercu")
@allowed(access.may_open_studio)
def form_preview() -> Json:
    """The form as users will see it, rendered by the same server code as the real pages."""
    payload = _payload()
    try:
        schema = json.loads(str(payload.get("schema") or "{}"))
        ui = json.loads(str(payload.get("ui") or "{}"))
    except json.JSONDecodeError as error:
        return jsonify(
            html="", errors=[f"JSON invalide\u00a0: {error.msg} (ligne {error.lineno})."]
        )
    if not isinstance(schema, dict) or not isinstance(ui, dict):
        return jsonify(html="", errors=["Le schéma et le schéma d'interface sont des objets JSON."])
    try:
        form = FormDefinition("apercu", schema, ui)
    except ProcessModelError as error:
        return jsonify(html="", errors=error.problems)
    pages = list(form.pages)
    views = (
        [build_form_view(form, {}, {}, page_id=page.id) for page in pages]
        if len(pages) > 1
        else [build_form_view(form, {}, {})]
    )
    html = render_template("studio/_preview.html", views=views, paged=len(pages) > 1)
    return jsonify(html=html, errors=[])


@bp.get("/api/<key>/versions/<int:number>/diagramme")
@allowed(access.may_open_studio)
def version_diagram(key: str, number: int) -> Response:
    version = diagram.version_by_number(db(), key, number)
    return Response(diagram.version_xml(version), mimetype="application/xml")


@bp.get("/api/<key>/versions/<int:number>/marqueurs")
@allowed(access.may_open_studio)
def version_markers(key: str, number: int) -> Response:
    version = diagram.version_by_number(db(), key, number)
    return jsonify(diagram.version_markers(db(), version))
