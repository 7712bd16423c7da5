"""What a renewal request tells the people who read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.core.clock import utcnow

RENEWAL_WARNING_DAYS = 91  # "less than 3 months before the end date"


def renewal_warning(data: dict[str, Any], now: datetime | None = None) -> str | None:
    """The warning of a renewal filed less than 3 months before the end of the entry."""
    end_text = data.get("fin_validite_precedente")
    if not data.get("renouvellement_de") or not isinstance(end_text, str):
        return None
    try:
        end = datetime.fromisoformat(end_text).date()
    except ValueError:
        return None
    today = (now or utcnow()).date()
    if (end - today).days >= RENEWAL_WARNING_DAYS:
        return None
    when = end.strftime("%d/%m/%Y")
    if end < today:
        return (
            f"La certification {data['renouvellement_de']} est échue depuis le {when} : "
            "cette demande sera examinée comme une nouvelle demande."
        )
    return (
        f"Vous déposez ce renouvellement moins de 3 mois avant la fin de validité de "
        f"{data['renouvellement_de']} ({when}) : la décision pourrait intervenir après cette "
        "date, et la certification ne figurerait plus à l'Inventaire dans l'intervalle."
    )
