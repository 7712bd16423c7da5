"""Dossiers through the API: list (the worklists' filters), read, create a draft, fill it,
upload pieces, file it. Each operation is the engine call of the submitters' pages."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from spectree import Response as Responses

from engine.core import audit
from engine.core.errors import DocumentRefused, FormInvalid
from engine.workflow import access, documents
from engine.workflow.actions import drafts, starting
from engine.workflow.dossier_page import dossier_view
from engine.workflow.dossiers_list import all_dossiers
from engine.workflow.lookup import get_instance
from engine.workflow.task_page import task_context
from engine.workflow.worklists.filters import Criteria
from web.api import tasks
from web.api.access import caller, require
from web.api.base import bp, spec
from web.api.idempotency import Outcome, once
from web.api.models import (
    Completed,
    Created,
    DossierList,
    DossierOut,
    DossierRowOut,
    DossiersQuery,
    FormData,
    FormOut,
    NewDossier,
    PieceOut,
    ProblemOut,
    TaskRowOut,
)
from web.api.paging import following, page_of
from web.api.problems import Problem
from web.api.processes import form_out, startable
from web.database import db
from web.demandes.views import Filed, _draft_item
from web.formdata import document_store

TAG = "Dossiers"
NOT_A_DRAFT = "Cette demande a été déposée\u00a0: son brouillon n'existe plus."


def _json(model: Any, status: int = 200) -> Response:
    return current_app.response_class(
        model.model_dump_json(by_alias=True), status=status, mimetype="application/json"
    )


@bp.get("/dossiers")
@spec.validate(query=DossiersQuery, resp=Responses(HTTP_200=DossierList), tags=[TAG])
@require("lecture")
def dossier_list() -> Response:
    """Les dossiers que l'appelant voit, avec les filtres des listes de travail."""
    query = DossiersQuery.model_validate(request.args.to_dict())
    args = query.model_dump(exclude={"curseur"})
    criteria = Criteria.from_args({k: v for k, v in args.items() if v}, default_sort="recent")
    if criteria.errors:
        raise Problem(422, "Le filtre contient une date invalide.", erreurs=criteria.errors)
    found = all_dossiers(db(), caller(), criteria, page=page_of(query.curseur))
    rows = [
        DossierRowOut(
            id=row.id,
            reference=row.reference,
            titre=row.title,
            organisation=row.organisation,
            statut=row.status_label,
            modifie_le=row.updated_at,
            echeance=row.echeance,
        )
        for row in found.page.rows
    ]
    return _json(DossierList(elements=rows, suivant=following(found.page.page, found.page.pages)))


@bp.get("/dossiers/<int:dossier_id>")
@spec.validate(resp=Responses(HTTP_200=DossierOut, HTTP_404=ProblemOut), tags=[TAG])
@require("lecture")
def dossier(dossier_id: int) -> Response:
    """Un dossier\u00a0: son état, ses pièces, ses tâches ouvertes."""
    view = dossier_view(db(), caller(), dossier_id)
    return _json(
        DossierOut(
            id=view.id,
            reference=view.reference,
            titre=view.title,
            statut=view.status_label,
            organisation=view.organisation,
            cree_le=view.created_at,
            depose_le=view.date_depot,
            modifie_le=view.updated_at,
            numero_registre=view.register_numero,
            pieces=[
                PieceOut(
                    id=piece.id,
                    nom=piece.name,
                    taille=piece.size,
                    type=piece.content_type,
                    champ=piece.field,
                    deposee_le=piece.uploaded_at,
                )
                for piece in view.pieces
            ],
            taches_ouvertes=[
                TaskRowOut(
                    id=item.id,
                    dossier=item.instance_id,
                    etape=item.task_spec,
                    titre=item.title,
                    role=item.role,
                    creee_le=item.created_at,
                    prise_en_charge_par=item.claimed_by,
                )
                for item in view.open_items
            ],
        )
    )


@bp.post("/dossiers")
@spec.validate(json=NewDossier, resp=Responses(HTTP_201=Created, HTTP_403=ProblemOut), tags=[TAG])
@require("ecriture", access.may_use_submitter_space)
def create() -> Response:
    """Créer une demande à l'état de brouillon (accepte «\u00a0Idempotency-Key\u00a0»)."""
    body = NewDossier.model_validate(request.get_json(silent=True) or {})
    actor = caller()

    def run() -> Outcome:
        if body.processus not in {key for key, _definition, _n in startable(actor)}:
            raise Problem(404, "Aucune démarche de ce nom ne vous est ouverte.")
        instance = starting.start_instance(db(), actor, body.processus)
        created = Created(id=instance.id, reference=None, statut=instance.status_label)
        return 201, created.model_dump(mode="json"), url_for("api.dossier", dossier_id=instance.id)

    return once(run)


def _draft(dossier_id: int) -> Any:
    try:
        item = _draft_item(dossier_id)
    except Filed as error:
        raise Problem(409, NOT_A_DRAFT) from error
    context = task_context(db(), caller(), item.id)
    access.enforce(db(), context.refusal)
    return context


@bp.get("/dossiers/<int:dossier_id>/brouillon")
@spec.validate(resp=Responses(HTTP_200=FormOut, HTTP_409=ProblemOut), tags=[TAG])
@require("lecture", access.may_use_submitter_space)
def draft(dossier_id: int) -> Response:
    """Le formulaire de dépôt du dossier et ce qui y est déjà saisi."""
    context = _draft(dossier_id)
    return _json(form_out(context.form, dict(context.values)))


@bp.patch("/dossiers/<int:dossier_id>/brouillon")
@spec.validate(json=FormData, resp=Responses(HTTP_200=FormOut, HTTP_422=ProblemOut), tags=[TAG])
@require("ecriture", access.may_use_submitter_space)
def fill(dossier_id: int) -> Response:
    """Enregistrer des champs du brouillon (types et tailles vérifiés, pas les obligatoires)."""
    body = FormData.model_validate(request.get_json(silent=True) or {})
    context = _draft(dossier_id)
    tasks.check_names(context.form, body.donnees)
    try:
        drafts.save_draft(db(), caller(), context.item_id, body.donnees, fields=list(body.donnees))
    except FormInvalid as error:
        db().rollback()
        raise tasks.invalid(error) from error
    db().commit()
    return draft(dossier_id)


@bp.post("/dossiers/<int:dossier_id>/pieces")
@spec.validate(resp=Responses(HTTP_201=PieceOut, HTTP_422=ProblemOut), tags=[TAG])
@require("ecriture")
def upload(dossier_id: int) -> Response:
    """Déposer une pièce (multipart\u00a0: «\u00a0champ\u00a0», le nom du champ fichier
    d'une tâche que vous pouvez remplir, et «\u00a0fichier\u00a0»)\u202f; son identifiant se
    met ensuite dans ce champ."""
    actor = caller()
    instance = get_instance(db(), actor, dossier_id)
    # Who may fill none of its tasks is refused before the body is read, as its pages refuse
    # them (a reviewer may see a draft, not fill it).
    fillable = [context for context in tasks.open_contexts(dossier_id) if context.refusal is None]
    if not fillable:
        db().rollback()
        raise Problem(403, "Aucune tâche de ce dossier n'est à remplir par vous.")
    field = request.form.get("champ", "")[:200]
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        raise Problem(
            422,
            "Joignez un fichier (partie «\u00a0fichier\u00a0»).",
            erreurs={"fichier": "Joignez un fichier."},
        )
    if not any(field in context.form.file_fields() for context in fillable):
        raise Problem(
            422,
            "Aucune tâche que vous pouvez remplir n'a ce champ fichier.",
            erreurs={"champ": "Ce champ fichier n'est pas à remplir par vous."},
        )
    try:
        document = documents.store(
            db(), document_store(), actor, instance, field, upload.filename, upload.stream
        )
    except DocumentRefused as error:
        db().rollback()
        raise Problem(422, error.user_message, erreurs={"fichier": error.user_message}) from error
    audit.record(db(), instance.id, actor, "piece", f"Pièce ajoutée\u00a0: {document.name}.")
    db().commit()
    piece = PieceOut(
        id=document.id,
        nom=document.name,
        taille=document.size,
        type=document.content_type,
        champ=field,
        deposee_le=document.uploaded_at,
    )
    return _json(piece, 201)


@bp.post("/dossiers/<int:dossier_id>/depot")
@spec.validate(
    json=FormData,
    resp=Responses(HTTP_201=Completed, HTTP_409=ProblemOut, HTTP_422=ProblemOut),
    tags=[TAG],
)
@require("ecriture", access.may_use_submitter_space)
def file(dossier_id: int) -> Response:
    """Déposer la demande\u00a0: le brouillon complété de «\u00a0donnees\u00a0», validé
    comme sur la page (accepte «\u00a0Idempotency-Key\u00a0»)."""
    body = FormData.model_validate(request.get_json(silent=True) or {})
    actor = caller()

    def run() -> Outcome:
        context = _draft(dossier_id)
        tasks.check_names(context.form, body.donnees)
        data = dict(context.values) | body.donnees
        result = tasks.complete(actor, context.item_id, context.instance_id, data)
        return 201, result.model_dump(mode="json"), url_for("api.dossier", dossier_id=dossier_id)

    return once(run)
