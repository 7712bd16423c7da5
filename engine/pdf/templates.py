"""The documents' templates (engine/pdf/modeles/): read, and rendered to HTML.

A template is a header (`libelle:` what the document is, as the pieces list labels it;
`fichier:` its file name, a template too; `exige: inscription` when it needs the dossier's
register entry), a `---` line, then HTML rendered by a sandboxed Jinja environment with
autoescape. Files whose name starts with `_` are the layouts they extend (`_lettre.html`).
They reach the emails' wordings through `texte("_voies_recours.txt")` (the one source of a
text both say) and may refuse a dossier they do not fit: `erreur("…")`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

from jinja2 import ChainableUndefined, FunctionLoader, Template, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine.core.document_models import MODELES_DIR, PARTIAL_PREFIX, SUFFIX
from engine.core.errors import InventaireError, PermanentFailure
from engine.core.typography import TEXT_FILTERS
from engine.emails.templates import render_partial
from engine.pdf import texts

TEMPLATES_DIR = MODELES_DIR
# What a template may ask for beyond the values of its cause (header `exige:`).
NEEDS = frozenset({"inscription"})


class NotApplicable(Exception):
    """A template refusing a dossier it does not fit (`erreur("…")`), in French."""


@dataclass(frozen=True)
class DocumentTemplate:
    name: str
    # What it is, as the pieces list labels it: « Lettre de décision ».
    libelle: str
    # Its file name (without `.pdf`), a template over the same values: `decision-{{ reference }}`.
    fichier: str
    body: str
    needs: frozenset[str] = frozenset()


@cache
def templates() -> dict[str, DocumentTemplate]:
    return {
        path.stem: _parse(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES_DIR.glob(f"*{SUFFIX}"))
        if not path.name.startswith(PARTIAL_PREFIX)
    }


def template(name: str) -> DocumentTemplate:
    found = templates().get(name)
    if found is None:
        known = ", ".join(sorted(templates()))
        raise PermanentFailure(
            f"Modèle de document inconnu\u00a0: «\u00a0{name}\u00a0» (propriété "
            f"«\u00a0document\u00a0» du diagramme)\u202f; modèles connus\u00a0: {known}."
        )
    return found


def _parse(name: str, text: str) -> DocumentTemplate:
    header, _, body = text.partition("\n---\n")
    fields = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in header.splitlines())
    }
    needs = frozenset(value.strip() for value in fields.get("exige", "").split(",") if value)
    if not fields.get("libelle") or not fields.get("fichier") or not body or needs - NEEDS:
        raise ValueError(
            f"Modèle de document {name}\u00a0: en-tête libelle/fichier/exige ou corps."
        )
    return DocumentTemplate(name, fields["libelle"], fields["fichier"], body, needs)


@cache
def _layout(name: str) -> str | None:
    """The text of a layout (`_lettre.html`); None for any other name."""
    if not name.startswith(PARTIAL_PREFIX) or "/" in name or "\\" in name:
        return None
    path = TEMPLATES_DIR / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _refuse(message: object) -> NoReturn:
    raise NotApplicable(str(message))


@pass_context
def _wording(context: Context, name: str, titre: bool = False) -> Markup:
    """An emails' partial (`_voies_recours.txt`) over this document's values, as HTML."""
    return texts.wording(render_partial(str(name), dict(context.get_all())), title=titre)


# A value this dossier lacks reads as empty; a document that cannot do without one says so
# (`erreur`).
_environment = SandboxedEnvironment(
    undefined=ChainableUndefined,
    autoescape=True,
    loader=FunctionLoader(_layout),
)
_environment.globals.update(erreur=_refuse, texte=_wording)
# The emails' filters (`date_fr`: 4 décembre 2026, `date_heure_fr`, `nombre`), and ours.
_environment.filters.update(TEXT_FILTERS)
_environment.filters.update(paragraphes=texts.typed)


@cache
def _compiled(source: str) -> Template:
    return _environment.from_string(source)


# A file name keeps letters, digits, dots, hyphens and underscores.
_UNSAFE = re.compile(r"[^\w.-]+", re.ASCII)


def render(found: DocumentTemplate, context: dict[str, Any]) -> tuple[str, str]:
    """The document's file name (`decision-INV-2026-00042.pdf`) and its HTML; PermanentFailure
    (French) when the template does not fit the dossier or cannot be rendered."""
    try:
        stem = _compiled(found.fichier).render(context)
        html = _compiled(found.body).render(context)
    except NotApplicable as refusal:
        raise PermanentFailure(
            f"Le modèle de document «\u00a0{found.name}\u00a0» ne s'applique pas à ce "
            f"dossier\u00a0: {refusal}."
        ) from None
    except InventaireError as error:
        raise PermanentFailure(
            f"Le modèle de document «\u00a0{found.name}\u00a0» ne peut pas être rendu\u00a0: "
            f"{error.user_message.rstrip('.')}."
        ) from None
    except Exception as error:  # a template is code: whatever it raises is reported in French
        raise PermanentFailure(
            f"Le modèle de document «\u00a0{found.name}\u00a0» ne peut pas être rendu\u00a0: "
            f"{type(error).__name__}\u00a0: {error}."
        ) from None
    name = _UNSAFE.sub("-", stem).strip(".-")[:150] or found.name
    return f"{name}.pdf", html


def render_layout(name: str, context: dict[str, Any]) -> str:
    """The HTML of a document that is not a dossier's (a séance's ordre du jour or
    procès-verbal): a `_` template of the same folder, rendered by the same sandbox."""
    if _layout(name) is None:
        raise PermanentFailure(f"Modèle de document inconnu\u00a0: «\u00a0{name}\u00a0».")
    return _environment.get_template(name).render(context)
