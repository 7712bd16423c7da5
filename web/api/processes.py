"""Processes through the API: those the caller may start and their filing form; the versions
and their BPMN for process owners (scope "admin" and the studio's rule)."""

from __future__ import annotations

from flask import Response, current_app
from spectree import Response as Responses
from sqlalchemy import select

from engine.core.actor import Actor
from engine.core.models import ProcessVersion, RoleName
from engine.definitions.definition import ProcessDefinition, definition_for, get_latest_version
from engine.definitions.forms import FormDefinition
from engine.workflow import access
from web.api.access import caller, require
from web.api.base import bp, spec
from web.api.models import FormOut, ProblemOut, ProcessList, ProcessOut, VersionList, VersionOut
from web.api.problems import Problem
from web.database import db

TAG = "Processus"


def startable(actor: Actor) -> list[tuple[str, ProcessDefinition, int]]:
    """The processes whose requests the actor may file, as the submitters' space offers them
    (a process started by staff, the retrait, starts from the register's page only)."""
    found = []
    for key in db().scalars(select(ProcessVersion.key).distinct().order_by(ProcessVersion.key)):
        version = get_latest_version(db(), key)
        definition = definition_for(db(), version.id)
        if definition.start_role != RoleName.DEMANDEUR:
            continue
        if access.refusal_to_start(actor, definition) is None:
            found.append((key, definition, version.version))
    return found


def filing_form(definition: ProcessDefinition) -> FormDefinition:
    for spec_id in sorted(definition.depot_tasks()):
        form = definition.form_for(definition.task_spec(spec_id))
        if form is not None:
            return form
    raise Problem(404, "Ce processus n'a pas de formulaire de dépôt.")


def form_out(form: FormDefinition, values: dict[str, object] | None = None) -> FormOut:
    return FormOut.model_validate(
        {"titre": form.title, "schema": form.schema, "ui": form.ui, "valeurs": values or {}}
    )


def _json(text: str) -> Response:
    return current_app.response_class(text, mimetype="application/json")


@bp.get("/processus")
@spec.validate(resp=Responses(HTTP_200=ProcessList, HTTP_401=ProblemOut), tags=[TAG])
@require("lecture")
def processes() -> Response:
    """Les démarches que l'appelant peut engager (déposer une demande)."""
    items = [
        ProcessOut(cle=key, titre=definition.title, version=number)
        for key, definition, number in startable(caller())
    ]
    return _json(ProcessList(elements=items).model_dump_json())


@bp.get("/processus/<cle>/formulaire")
@spec.validate(resp=Responses(HTTP_200=FormOut, HTTP_404=ProblemOut), tags=[TAG])
@require("lecture")
def process_form(cle: str) -> Response:
    """Le formulaire de dépôt d'une démarche\u00a0: le même JSON Schema que les pages."""
    for key, definition, _number in startable(caller()):
        if key == cle:
            return _json(form_out(filing_form(definition)).model_dump_json(by_alias=True))
    raise Problem(404, "Aucune démarche de ce nom ne vous est ouverte.")


def _owner(actor: Actor) -> bool:
    return access.may_open_studio(actor)


@bp.get("/processus/<cle>/versions")
@spec.validate(resp=Responses(HTTP_200=VersionList, HTTP_403=ProblemOut), tags=[TAG])
@require("admin", _owner)
def versions(cle: str) -> Response:
    """Les versions déployées d'un processus (propriétaires de processus)."""
    rows = (
        db()
        .scalars(
            select(ProcessVersion).where(ProcessVersion.key == cle).order_by(ProcessVersion.version)
        )
        .all()
    )
    if not rows:
        raise Problem(404, "Aucun processus de ce nom.")
    items = [
        VersionOut(
            cle=row.key,
            version=row.version,
            titre=row.title,
            statut=row.status,
            deploye_le=row.deployed_at,
            fichiers=sorted(row.files),
        )
        for row in rows
    ]
    return _json(VersionList(elements=items).model_dump_json())


# A version number is an INTEGER column: a larger one would overflow PostgreSQL's.
@bp.get("/processus/<cle>/versions/<int(max=2147483647):numero>/bpmn")
@spec.validate(resp=Responses("HTTP_200", HTTP_403=ProblemOut, HTTP_404=ProblemOut), tags=[TAG])
@require("admin", _owner)
def version_bpmn(cle: str, numero: int) -> Response:
    """Le diagramme BPMN (XML) d'une version."""
    row = db().scalar(
        select(ProcessVersion).where(ProcessVersion.key == cle, ProcessVersion.version == numero)
    )
    if row is None:
        raise Problem(404, "Aucune version de ce numéro.")
    names = sorted(name for name in row.files if name.endswith(".bpmn"))
    if not names:
        raise Problem(404, "Cette version n'a pas de diagramme BPMN.")
    return current_app.response_class(str(row.files[names[0]]), mimetype="application/xml")
