"""The public register through the API: search, one entry, and the changes since a cursor.

No token is needed (the register is public); a token's calls count against its own limit.
The search is the register page's (engine.register.search) with its filters; *changes since*
reads the entries in the order of (updated_at, id), which every change of an entry moves
forward (publication, expiry, withdrawal, import): a reuser that keeps the last cursor mirrors
the register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, request
from spectree import Response as Responses

from engine.core.clock import as_utc
from engine.core.models import RegisterEntry
from engine.register.fiche_page import NUMERO, certifiers, find_fiche, statut_label
from engine.register.search import search
from web.api.base import bp, spec
from web.api.conditional import BAD_CURSOR, decode_cursor, encode_cursor
from web.api.paging import following, page_of
from web.api.problems import Problem
from web.api.register_models import (
    ChangesPage,
    ChangesQuery,
    RegisterEntryOut,
    RegisterPage,
    RegisterQuery,
)
from web.database import db

TAG = "Registre"


def _json(model: Any, status: int = 200) -> Response:
    response = current_app.response_class(
        model.model_dump_json(), status=status, mimetype="application/json"
    )
    return response


@bp.get("/registre")
@spec.validate(query=RegisterQuery, resp=Responses(HTTP_200=RegisterPage), tags=[TAG])
def register_search() -> Response:
    """Chercher dans le registre public (mêmes filtres que la page «\u00a0Registre\u00a0»)."""
    query = RegisterQuery.model_validate(request.args.to_dict())
    page = page_of(query.curseur)
    found = search(
        db(),
        query.q,
        categorie=query.categorie or None,
        statut=query.statut or None,
        autorite=query.autorite or None,
        registre=query.registre or None,
        sort=query.tri or "pertinence",
        page=page,
        per_page=query.limite,
    )
    items = [
        {
            "numero": hit.numero,
            "intitule": hit.intitule,
            "registre": hit.registre,
            "categorie": hit.categorie,
            "statut": hit.statut,
            "statut_libelle": hit.statut_label,
            "certificateurs": list(hit.certificateurs),
            "autorite_legitime": hit.autorite_legitime,
            "date_decision": hit.date_decision,
            "debut_validite": hit.debut_validite,
            "fin_validite": hit.fin_validite,
        }
        for hit in found.items
    ]
    return _json(
        RegisterPage.model_validate(
            {"total": found.total, "elements": items, "suivant": following(found.page, found.pages)}
        )
    )


@bp.get("/registre/changements")
@spec.validate(query=ChangesQuery, resp=Responses(HTTP_200=ChangesPage), tags=[TAG])
def register_changes() -> Response:
    """Les fiches créées ou modifiées depuis un curseur, de la plus ancienne modification à la
    plus récente (sans curseur\u00a0: depuis le début)."""
    query = ChangesQuery.model_validate(request.args.to_dict())
    cursor = decode_cursor(query.depuis, "t", "i")
    statement = sa.select(RegisterEntry).order_by(RegisterEntry.updated_at, RegisterEntry.id)
    if cursor is not None:
        try:
            after = as_utc(datetime.fromisoformat(str(cursor["t"])))
            last_id = int(cursor["i"])
        except (TypeError, ValueError) as error:
            raise Problem(400, BAD_CURSOR) from error
        statement = statement.where(
            sa.or_(
                RegisterEntry.updated_at > after,
                sa.and_(RegisterEntry.updated_at == after, RegisterEntry.id > last_id),
            )
        )
    entries = list(db().scalars(statement.limit(query.limite + 1)))
    more = len(entries) > query.limite
    entries = entries[: query.limite]
    if entries:
        last = entries[-1]
        next_cursor = encode_cursor({"t": as_utc(last.updated_at).isoformat(), "i": last.id})
    else:
        next_cursor = query.depuis or encode_cursor({"t": "0001-01-01T00:00:00+00:00", "i": 0})
    return _json(
        ChangesPage(elements=[_entry(entry) for entry in entries], curseur=next_cursor, encore=more)
    )


@bp.get("/registre/<numero>")
@spec.validate(resp=Responses(HTTP_200=RegisterEntryOut, HTTP_404=None), tags=[TAG])
def register_entry(numero: str) -> Response:
    """Une fiche du registre, par son numéro."""
    fiche = find_fiche(db(), numero) if NUMERO.fullmatch(numero) else None
    if fiche is None:
        raise Problem(404, "Aucune fiche du registre ne porte ce numéro.")
    entry = db().scalar(sa.select(RegisterEntry).where(RegisterEntry.numero == fiche.numero))
    assert entry is not None
    return _json(_entry(entry))


def _entry(entry: RegisterEntry) -> RegisterEntryOut:
    return RegisterEntryOut(
        numero=entry.numero,
        intitule=entry.intitule,
        registre=entry.registre,
        categorie=entry.categorie,
        statut=entry.statut,
        statut_libelle=statut_label(entry.statut),
        certificateurs=[
            {"nom": one.nom, "siret": one.siret}  # type: ignore[misc]
            for one in certifiers(entry.certificateurs)
        ],
        autorite_legitime=entry.autorite_legitime,
        date_decision=entry.date_decision,
        debut_validite=entry.debut_validite,
        fin_validite=entry.fin_validite,
        statut_change_le=entry.statut_change_le,
        motif_retrait=entry.motif_retrait,
        numero_precedent=entry.numero_precedent,
        contenu=entry.content if isinstance(entry.content, dict) else {},
        modifie_le=entry.updated_at,
    )
