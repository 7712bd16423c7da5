"""Composing emails: the French templates of `engine/emails/courriels/`, read and rendered.

A template (the admin pages show them) is a header (`destinataire:`, `objet:`), a `---` line,
then the body, rendered by a sandboxed Jinja environment. Files whose name starts with `_` are
partials, not templates: a body includes them (`{% include "_signature.txt" %}`), and only
them (the loader knows no other file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, FunctionLoader, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from engine.core.errors import ExecutionError
from engine.core.typography import TEXT_FILTERS, one_line
from engine.emails.recipients import RECIPIENT_LABELS

TEMPLATES_DIR = Path(__file__).parent / "courriels"
PARTIAL_PREFIX = "_"
# Where a process owner finds them in the source tree (shown on the admin pages).
TEMPLATES_FOLDER = (
    TEMPLATES_DIR.resolve().relative_to(Path(__file__).resolve().parents[2]).as_posix()
)


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    # Who receives it: a key of RECIPIENT_LABELS.
    recipient: str
    subject: str
    body: str
    source: str


@cache
def templates() -> dict[str, EmailTemplate]:
    return {
        path.stem: _parse_template(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES_DIR.glob("*.txt"))
        if not path.name.startswith(PARTIAL_PREFIX)
    }


def template(name: str) -> EmailTemplate:
    found = templates().get(name)
    if found is None:
        raise ExecutionError(f"Modèle de courriel inconnu\u00a0: «\u00a0{name}\u00a0».")
    return found


def _parse_template(name: str, text: str) -> EmailTemplate:
    header, _, body = text.partition("\n---\n")
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in header.splitlines())
    )
    recipient = fields.get("destinataire", "")
    if recipient not in RECIPIENT_LABELS or not fields.get("objet") or not body:
        raise ValueError(
            f"Modèle de courriel {name}\u00a0: en-tête destinataire/objet ou corps absent."
        )
    return EmailTemplate(name, recipient, fields["objet"], body, text)


@cache
def _partial(name: str) -> str | None:
    """The text of a partial (`_signature.txt`); None for any other name."""
    if not name.startswith(PARTIAL_PREFIX) or "/" in name or "\\" in name:
        return None
    path = TEMPLATES_DIR / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


# A variable this dossier lacks (a field left empty, a timer not set) reads as empty.
_environment = SandboxedEnvironment(
    undefined=ChainableUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    loader=FunctionLoader(_partial),
)


# The filters of the task instructions too: `date_fr` (4 décembre 2026), `date_heure_fr`, `nombre`.
_environment.filters.update(TEXT_FILTERS)


@cache
def _compiled(source: str) -> Template:
    return _environment.from_string(source)


def render(template: EmailTemplate, context: dict[str, Any]) -> tuple[str, str]:
    """The subject (one line, 300 characters at most) and the body."""
    try:
        subject = _compiled(template.subject).render(context)
        body = _compiled(template.body).render(context)
    except TemplateError as error:
        raise ExecutionError(
            f"Le modèle de courriel «\u00a0{template.name}\u00a0» ne peut pas être rendu\u00a0: "
            f"{error}."
        ) from error
    return one_line(subject)[:300], body


def render_partial(name: str, context: dict[str, Any]) -> str:
    """A partial (`_voies_recours.txt`) rendered alone, as the emails that include it read: the
    one source of a wording that letters in other forms (engine/pdf) repeat."""
    if _partial(name) is None:
        raise ExecutionError(f"Texte commun inconnu\u00a0: «\u00a0{name}\u00a0».")
    try:
        return _environment.get_template(name).render(context)
    except TemplateError as error:
        raise ExecutionError(
            f"Le texte commun «\u00a0{name}\u00a0» ne peut pas être rendu\u00a0: {error}."
        ) from error
