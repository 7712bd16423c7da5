"""Routes of the public register: /registre (search), /registre/<numero> (fiche)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.models import REGISTER_STATUS_LABELS, REGISTRE_LABELS
from engine.register.fiche_page import NUMERO, find_fiche
from engine.register.life import entry_actions
from engine.register.publication import CATEGORY_LABELS
from engine.register.search import MAX_QUERY_CHARS, authorities, search
from web.database import db
from web.errors import error_page
from web.http_cache import public_register
from web.registre import bp

SORT_LABELS = {"pertinence": "Pertinence", "date": "Date de décision (plus récente d'abord)"}
# The statuts' values before migration 0008, still in bookmarked or shared addresses.
FORMER_STATUTS = {"expired": "echue", "withdrawn": "retiree"}
# How long shared caches may keep a page for anonymous visitors, then serve it while they
# revalidate it (web/http_cache.py): a search a minute, a fiche five.
SEARCH_MAX_AGE, FICHE_MAX_AGE = 60, 300


@bp.get("", strict_slashes=False)
@public_register(SEARCH_MAX_AGE, stale=SEARCH_MAX_AGE)
def index() -> str:
    args = request.args
    form = {
        "q": args.get("q", "")[:MAX_QUERY_CHARS],
        "registre": _one_of(args.get("registre"), REGISTRE_LABELS),
        "categorie": _one_of(args.get("categorie"), CATEGORY_LABELS),
        "statut": _one_of(_current_statut(args.get("statut")), REGISTER_STATUS_LABELS),
        "autorite": args.get("autorite", "")[:300],
        "tri": _one_of(args.get("tri"), SORT_LABELS) or "pertinence",
    }
    result = search(
        db(),
        form["q"],
        categorie=form["categorie"] or None,
        statut=form["statut"] or None,
        autorite=form["autorite"] or None,
        registre=form["registre"] or None,
        sort=form["tri"],
        page=args.get("page", 1, type=int) or 1,
        state=g.get("register_state"),
    )
    # What the pagination links carry: the search as submitted, without empty values.
    params = {key: value for key, value in form.items() if value}
    return render_template(
        "registre/index.html",
        form=form,
        result=result,
        params=params,
        registres=[(str(registre), label) for registre, label in REGISTRE_LABELS.items()],
        categories=list(CATEGORY_LABELS.items()),
        statuses=[(str(status), label) for status, label in REGISTER_STATUS_LABELS.items()],
        authorities=[(value, value) for value in authorities(db(), g.get("register_state"))],
        sorts=list(SORT_LABELS.items()),
    )


@bp.get("/<numero>")
@public_register(FICHE_MAX_AGE, stale=FICHE_MAX_AGE)
def fiche(numero: str) -> Response | str | tuple[str, int]:
    found = find_fiche(db(), numero)
    if found is None:
        shown = f" «\u00a0{numero}\u00a0»" if NUMERO.fullmatch(numero) else ""
        return error_page(404, f"Aucune certification ne porte le numéro{shown} dans le registre.")
    if found.numero != numero:  # inv00042 → INV00042: one address per certification
        return redirect(url_for("registre.fiche", numero=found.numero), 301)
    actions = entry_actions(db(), g.get("actor"), found.numero)
    return render_template("registre/fiche.html", fiche=found, actions=actions)


def _current_statut(value: str | None) -> str | None:
    return FORMER_STATUTS.get(value, value) if value is not None else None


def _one_of(value: str | None, allowed: Iterable[str]) -> str:
    return value if value is not None and value in set(allowed) else ""
