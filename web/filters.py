"""Template filters and globals: French dates, sizes, filed answers, the access rules of the
menus."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from markupsafe import Markup

from engine.core.clock import PARIS, as_utc, french_date
from engine.core.listing import Page, page_links
from engine.core.typography import MONTHS, date_filter, number
from engine.workflow import access
from engine.workflow.documents import ALLOWED
from engine.workflow.dossier_page import DossierView, FiledForm
from web.formrender import build_answers_view

TYPE_LABELS = {content_type: suffix[1:].upper() for suffix, content_type in ALLOWED.items()}


def date_fr(value: datetime | date | None) -> str:
    """« 27/11/2026 »: a moment's day in Paris, or a day as it is (an expert's deadline)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    return french_date(value)


def datetime_fr(value: datetime | None) -> str:
    """« 27/11/2026 à 14:05 » (the pages' compact form; emails write « 14 h 05 »)."""
    return f"{french_date(value)} à {value.astimezone(PARIS):%H:%M}" if value else ""


def datetime_attr(value: datetime) -> str:
    """A `<time datetime>` for a moment: Paris time, like the text it marks."""
    return as_utc(value).astimezone(PARIS).isoformat(timespec="seconds")


def date_attr(value: datetime) -> str:
    """A `<time datetime>` for a day: the Paris day the text shows."""
    return as_utc(value).astimezone(PARIS).date().isoformat()


def nombre(value: Any) -> str:
    """A count as French writes it: `35 500` (narrow no-break space), `2026`."""
    return number(value) if isinstance(value, int) else str(value)


def total_fr(count: int, capped: bool = False) -> str:
    """How many rows a list holds, or past what it stopped counting: `plus de 10 000`."""
    return f"plus de {number(count)}" if capped else number(count)


def compte(page: Page[Any]) -> str:
    """A list's total as its caption shows it (engine.core.listing.Page, maybe capped)."""
    return total_fr(page.total, page.capped)


def jours(value: float) -> str:
    """A duration in days as French writes it: `12,5\u00a0jours`, `1\u00a0jour`, `0,5\u00a0jour`."""
    whole = float(value).is_integer()
    shown = number(int(value)) if whole else f"{float(value):.1f}".replace(".", ",")
    return f"{shown}\u00a0{'jours' if abs(float(value)) >= 2 else 'jour'}"


def mois_fr(value: str) -> str:
    """`2026-12` → `décembre 2026`; anything else as it is."""
    year, _, month = str(value).partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return str(value)
    return f"{MONTHS[int(month) - 1]} {year}"


def element_message(text: str | None) -> Markup:
    """A diagram's message naming its element first (`calcul: erreur dans « Calculer » …`):
    the element as code, then the French sentence after a no-break space and its colon."""
    element, separator, rest = (text or "").partition(": ")
    if separator and element and not any(character.isspace() for character in element):
        return Markup("<code>{}</code>\u00a0: {}").format(element, rest)
    return Markup.escape(text or "")


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def filetype(content_type: str) -> str:
    return TYPE_LABELS.get(content_type, content_type)


def answers_of(item: FiledForm, dossier: DossierView) -> list[tuple[str, Any]]:
    if item.form is None:
        return []
    documents = {str(piece.id): piece.name for piece in dossier.pieces}
    return build_answers_view(item.form, item.data, documents)


def init_app(app: Flask) -> None:
    app.add_template_filter(date_fr)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(datetime_attr)
    app.add_template_filter(date_attr)
    app.add_template_filter(nombre)
    app.add_template_filter(compte)
    app.add_template_filter(jours)
    app.add_template_filter(mois_fr)
    app.add_template_filter(date_filter, name="jour_fr")
    app.add_template_filter(element_message)
    app.add_template_filter(filesize)
    app.add_template_filter(filetype)
    app.add_template_global(answers_of)
    app.add_template_global(page_links)
    # The menus and buttons ask the rules the routes and actions enforce.
    for rule in (
        access.may_use_submitter_space,
        access.may_use_inbox,
        access.may_read_all_dossiers,
        access.may_open_studio,
        access.may_open_administration,
        access.may_administer,
        access.may_declare_absence,
        access.may_read_staff_statistics,
        access.may_see_seances,
        access.may_manage_seances,
    ):
        app.add_template_global(rule)
