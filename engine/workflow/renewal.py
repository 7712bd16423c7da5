"""What a renewal request tells the people who read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.core.clock import PARIS, add_months_to_date, utcnow
from engine.definitions.rules import ProcessRules


def renewal_warning(
    data: dict[str, Any], now: datetime | None = None, rules: ProcessRules | None = None
) -> str | None:
    """The warning of a renewal filed later than the process's threshold
    (`seuil_renouvellement_mois` months before the end of the entry), or after its end."""
    end_text = data.get("fin_validite_precedente")
    if not data.get("renouvellement_de") or not isinstance(end_text, str):
        return None
    try:
        end = datetime.fromisoformat(end_text).date()
    except ValueError:
        return None
    months = (rules or ProcessRules()).seuil_renouvellement_mois
    today = (now or utcnow()).astimezone(PARIS).date()
    if today < add_months_to_date(end, -months):
        return None
    when = end.strftime("%d/%m/%Y")
    if end < today:
        return (
            f"La validité de la certification {data['renouvellement_de']} a pris fin le "
            f"{when}\u00a0: "
            "cette demande sera examinée comme une nouvelle demande."
        )
    return (
        f"Vous déposez ce renouvellement moins de {months} mois avant la fin de validité de "
        f"{data['renouvellement_de']} ({when})\u202f; France compétences recommande de déposer au "
        f"moins {months} mois avant\u00a0: la décision pourrait intervenir après cette date, et la "
        "certification ne figurerait plus au registre dans l'intervalle."
    )
