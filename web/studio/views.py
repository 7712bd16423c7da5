"""Pages of the studio (server-rendered; only the diagram editor needs JavaScript)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from engine.core import xml_safety
from engine.core.errors import Conflict, NotFound, ProcessModelError
from engine.core.models import ProcessVersion, as_id
from engine.definitions.definition import main_diagram
from engine.studio import drafts
from engine.workflow import access, migration
from engine.workflow.diagram import waiting_at
from web.auth import allowed, current_actor
from web.database import db
from web.studio import bp

Page = str | tuple[str, int] | Response
# The draft (by its lock version) whose scenarios all passed: only then is Déployer offered.
PASSED = "studio_scenarios_ok"


@bp.get("/")
@allowed(access.may_open_studio)
def index() -> str:
    return render_template("studio/index.html", models=drafts.process_summaries(db()))


def _passed(key: str, lock_version: int) -> bool:
    return session.get(PASSED, {}).get(key) == lock_version


@bp.get("/<key>/")
@allowed(access.may_open_studio)
def model(key: str) -> str:
    versions = drafts.versions_of(db(), key)
    draft = db().get(drafts.ProcessDraft, key)
    latest = db().get(ProcessVersion, versions[0].id)
    files = draft.files if draft is not None else (latest.files if latest is not None else {})
    return render_template(
        "studio/model.html",
        key=key,
        title=latest.title if latest is not None else key,
        versions=versions,
        draft=draft,
        decision_files=sorted(name for name in files if name.endswith(".dmn")),
        waiting=waiting_at(db(), versions[0].id),
        deployable=draft is not None and _passed(key, draft.lock_version),
    )


@bp.get("/<key>/editeur")
@allowed(access.may_open_studio)
def editor(key: str) -> str:
    drafts.versions_of(db(), key)  # 404 for an unknown model
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    api = url_for("studio.draft_get", key=key).removesuffix("/brouillon")
    return render_template("studio/editor.html", key=key, draft=draft, api=api)


@bp.get("/<key>/decisions/<path:name>")
@allowed(access.may_open_studio)
def decisions(key: str, name: str) -> str:
    """The decision-table editor (dmn-js) on one DMN file of the draft."""
    if not name.endswith(".dmn"):
        abort(404)
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    if name not in draft.files:
        abort(404)
    api = url_for("studio.draft_get", key=key).removesuffix("/brouillon")
    return render_template("studio/decisions.html", key=key, name=name, api=api)


@bp.post("/<key>/verification")
@allowed(access.may_open_studio)
def check(key: str) -> Page:
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    problems = drafts.check_draft(draft)
    return render_template("studio/check.html", key=key, draft=draft, problems=problems)


@bp.post("/<key>/scenarios")
@allowed(access.may_open_studio)
def scenarios(key: str) -> Page:
    draft = drafts.get_draft(db(), current_actor(), key)
    db().commit()
    folder = Path(current_app.config["PROCESSES_DIR"])
    try:
        results = drafts.run_scenarios(draft, folder)
    except ProcessModelError as error:
        problems = [drafts.Problem.from_line(line) for line in error.problems]
        return render_template("studio/check.html", key=key, draft=draft, problems=problems), 422
    passed = bool(results) and all(result.passed for result in results)
    marks = dict(session.get(PASSED, {}))
    if passed:
        marks[key] = draft.lock_version
    else:
        marks.pop(key, None)
    session[PASSED] = marks
    return render_template(
        "studio/scenarios.html", key=key, draft=draft, results=results, passed=passed
    )


@bp.post("/<key>/deploiement")
@allowed(access.may_open_studio)
def deploy(key: str) -> Page:
    draft = drafts.get_draft(db(), current_actor(), key)
    if not _passed(key, draft.lock_version):
        flash(
            "Essayez les scénarios sur ce brouillon avant de le déployer\u00a0: le déploiement est "
            "proposé quand ils passent tous.",
            "warning",
        )
        return redirect(url_for("studio.model", key=key))
    try:
        version, created = drafts.deploy_draft(db(), current_actor(), key)
        db().commit()
    except ProcessModelError as error:
        db().rollback()
        problems = [drafts.Problem.from_line(line) for line in error.problems]
        return render_template("studio/check.html", key=key, draft=draft, problems=problems), 422
    if created:
        flash(
            f"Version {version.version} déployée\u00a0: les nouveaux dossiers la suivent, "
            "les dossiers en cours restent sur leur version.",
            "success",
        )
    else:
        flash(
            f"Le brouillon est identique à la version {version.version}\u00a0: rien à déployer.",
            "info",
        )
    return redirect(url_for("studio.model", key=key))


@bp.post("/<key>/import")
@allowed(access.may_open_studio)
def import_bpmn(key: str) -> Page:
    """Replace the draft's diagram by a BPMN 2.0 file from another modeler, then check it."""
    upload = request.files.get("fichier")
    actor = current_actor()
    draft = drafts.get_draft(db(), actor, key)
    if upload is None or not upload.filename:
        flash("Choisissez un fichier BPMN à importer.", "error")
        return redirect(url_for("studio.model", key=key))
    content = upload.stream.read(drafts.MAX_FILE_CHARS + 1)
    # On the bytes, before they are decoded or stored: a DTD in UTF-16 is refused as such.
    refused = xml_safety.refusal(content)
    if refused is not None:
        flash(f"«\u00a0{upload.filename}\u00a0» n'est pas importé\u00a0: {refused}.", "error")
        return model(key), 422
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text or len(content) > drafts.MAX_FILE_CHARS:
        flash("Le fichier doit être un document XML BPMN 2.0 en UTF-8 de 2 Mo au plus.", "error")
        return redirect(url_for("studio.model", key=key))
    main = main_diagram(dict(draft.files))
    files = {name: value for name, value in draft.files.items() if not name.endswith(".bpmn")}
    files[main] = text
    drafts.save_draft(db(), actor, key, files)
    db().commit()
    flash(f"«\u00a0{upload.filename}\u00a0» importé dans le brouillon.", "success")
    problems = drafts.check_draft(draft)
    return render_template("studio/check.html", key=key, draft=draft, problems=problems)


@bp.get("/<key>/migration")
@allowed(access.may_open_studio)
def migration_page(key: str) -> str:
    drafts.versions_of(db(), key)
    return render_template(
        "studio/migration.html",
        key=key,
        candidates=migration.candidates(db(), key),
        moves=migration.recent_migrations(db(), key),
    )


@bp.post("/<key>/migration")
@allowed(access.may_open_studio)
def migration_action(key: str) -> Response:
    """Move one dossier (`dossier`), all movable ones (`tous`), or revert one (`annuler`)."""
    drafts.versions_of(db(), key)
    actor = current_actor()
    action = request.form.get("action", "")
    target = as_id(request.form.get("dossier"))
    if action == "tous":
        moved = 0
        for candidate in migration.candidates(db(), key):
            if candidate.movable:
                migration.migrate(db(), actor, candidate.instance_id)
                moved += 1
        db().commit()
        flash(f"{moved} dossier(s) passé(s) à la dernière version.", "success")
    elif target is not None and action in ("migrer", "annuler"):
        try:
            if action == "migrer":
                migration.migrate(db(), actor, target)
                message = "Dossier passé à la dernière version."
            else:
                migration.revert(db(), actor, target)
                message = "Changement de version annulé."
            db().commit()
            flash(message, "success")
        except (Conflict, NotFound) as error:
            db().rollback()
            flash(error.user_message, "error")
    else:
        flash("Action inconnue.", "error")
    return redirect(url_for("studio.migration_page", key=key))
