"""A séance's ordre du jour and procès-verbal as PDF (engine/pdf's WeasyPrint, the same layout
as the letters): produced when asked for, their SHA-256 recorded in the history with the
séance's id, in the caller's transaction."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.actor import Actor
from engine.core.clock import PARIS, utcnow
from engine.core.models import Seance
from engine.core.settings import settings_of
from engine.core.typography import long_date
from engine.pdf import rendering
from engine.pdf.templates import render_layout
from engine.workflow.seances.common import commission_services, seance_name
from engine.workflow.seances.pages import agenda, counts

KINDS = {
    "ordre-du-jour": ("_seance_ordre_du_jour.html", "Ordre du jour"),
    "proces-verbal": ("_seance_proces_verbal.html", "Procès-verbal"),
}


def seance_pdf(session: Session, actor: Actor, seance: Seance, kind: str) -> tuple[str, bytes]:
    """The file name and PDF of the séance's ordre du jour or procès-verbal."""
    template, label = KINDS[kind]
    settings = settings_of(session)
    service = commission_services(session).get(seance.commission)
    rows = agenda(session, seance)
    context = {
        "seance_nom": seance_name(seance),
        "commission": f"Commission {service.de_autorite}" if service else seance.commission,
        "service_nom": service.contact.nom if service else "",
        "lieu": seance.lieu,
        "lien_visio": seance.lien_visio,
        "statut": seance.statut_label,
        "lignes": [asdict(row) for row in rows],
        "deliberes": counts(rows)["deliberes"],
        "aujourdhui": long_date(utcnow().astimezone(PARIS).date()),
        "officiel": settings.official,
    }
    content = rendering.pdf_from_html(render_layout(template, context), settings)
    day = seance.debut.astimezone(PARIS).date().isoformat()
    filename = f"{kind}-seance-{day}.pdf"
    sha256 = hashlib.sha256(content).hexdigest()
    audit.record(
        session,
        None,
        actor,
        "document_seance",
        f"{label} de la {seance_name(seance)} produit\u00a0: {filename} (empreinte SHA-256 "
        f"{sha256}).",
        details={"seance_id": seance.id, "document": kind, "sha256": sha256},
    )
    return filename, content
