"""Import of France compétences' open-data export (`<FICHES><FICHE>…`) into the register.

Here the import loop and what it writes to the register; the file's checks are in
import_file.py, the report in import_report.py (its names are importable from here too).

The file is untrusted: refused before it is read when it is larger than `max_bytes`, refused
when its prolog declares a DTD, before lxml reads it (engine/core/xml_safety.py: no entities,
hence no external entity and no entity-expansion bomb), parsed by lxml without network, DTD
loading, entity resolution nor huge-tree mode, one fiche at a time so memory stays flat. A file
that is not well-formed XML is refused whole.

Each fiche is validated (NUMERO_FICHE and INTITULE present, dates that exist, Oui/Non, counts,
no element twice); an invalid fiche is skipped and reported with its NUMERO_FICHE and the
element at fault, the others are imported. Elements the register does not model are kept as
they came (written back by the export) and counted in the report, never an error.

Idempotent: entries are matched by number (`numero`); an entry whose values are those of the
fiche is left untouched, so importing the same file twice changes nothing. Imported entries have
`source = "import"`; a number that belongs to an entry published by our procedure is skipped.

What the fiche does not say:
- statut: *Retirée* when ETAT_FICHE says the fiche was withdrawn or unpublished, whatever its
  dates, or when ACTIF is « Non » before DATE_FIN_ENREGISTREMENT; *Échue* when that date has
  come; *Active* otherwise. An entry already *Retirée* stays so, with its motive
  (`life.kept_withdrawn`): a withdrawal is a decision no later export undoes;
- register and category: the export's fiches are Répertoire spécifique fiches (`registre =
  "rs"`), which have no category: `categorie` stays empty (the categories A/B/C belong to the
  former Inventaire), TYPE_ENREGISTREMENT is kept and shown as given;
- renewal chains: ANCIENNES_CERTIFICATIONS gives `numero_precedent` (its first number); a fiche
  listed in another's NOUVELLES_CERTIFICATIONS gets that one as `numero_precedent` when its own
  fiche names none; `precedente_id` is resolved at the end, whatever the order of the fiches,
  and later when the previous fiche arrives in another import. An import never clears a link.

Transaction: the whole import runs in one SAVEPOINT of the caller's session; a refused file
(or any failure) rolls it back, so nothing is half-imported. The caller commits.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from lxml import etree
from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from engine.core.clock import utcnow
from engine.core.models import REGISTRE_DE, RegisterEntry, RegisterStatus, Registre, registre_of
from engine.register.life import is_past_end, kept_withdrawn, schedule_fin_validite
from engine.register.opendata.entry import SOURCE_IMPORT
from engine.register.opendata.fiche import OWN_ID_FICHE_BASE, etat_says_withdrawn
from engine.register.opendata.import_file import (
    ImportRefused,
    check_root,
    check_size,
    syntax_message,
    valid_fiches,
)
from engine.register.opendata.import_report import ImportReport, SkippedFiche, summary
from engine.register.opendata.reading import Fiche

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ImportRefused",
    "ImportReport",
    "SkippedFiche",
    "entry_values",
    "import_fiches",
    "statut_of",
    "summary",
]

# A bound on one import's cost (here a 68 MB file takes 4.5 s and 120 MB of memory); the
# issue's 200 MB file is refused; the CLI's --max-size changes it.
DEFAULT_MAX_BYTES = 150 * 1024 * 1024
BATCH = 500
# A Répertoire spécifique fiche has no category.
NO_CATEGORY = ""


def import_fiches(
    session: Session,
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
) -> ImportReport:
    """Import the fiches of an open-data XML file; raises ImportRefused for a refused file."""
    source = Path(path)
    check_size(source, max_bytes)
    report = ImportReport(file=source.name)
    moment = now or utcnow()
    renewals: list[tuple[str, str]] = []
    savepoint = session.begin_nested()
    try:
        with source.open("rb") as stream:
            check_root(stream, source.name)
            stream.seek(0)
            batch: list[tuple[int, Fiche]] = []
            for position, fiche in valid_fiches(stream, report):
                renewals.extend((fiche.numero, nouvelle) for nouvelle in fiche.nouvelles)
                batch.append((position, fiche))
                if len(batch) >= BATCH:
                    _write(session, batch, report, moment)
                    batch = []
            _write(session, batch, report, moment)
        report.links = _link_chains(session, renewals)
    except etree.XMLSyntaxError as error:
        savepoint.rollback()
        raise ImportRefused(
            f"Le fichier «\u00a0{source.name}\u00a0» n'est pas un XML bien formé (ligne "
            f"{error.lineno})\u00a0: "
            f"{syntax_message(error)}. Aucune fiche n'a été importée."
        ) from None
    except OSError as error:
        savepoint.rollback()
        raise ImportRefused(
            f"Le fichier «\u00a0{source.name}\u00a0» ne peut pas être lu "
            f"({error.strerror or error}). "
            "Aucune fiche n'a été importée."
        ) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return report


def _write(
    session: Session, batch: list[tuple[int, Fiche]], report: ImportReport, now: datetime
) -> None:
    if not batch:
        return
    numeros = [fiche.numero for _position, fiche in batch]
    existing = {
        entry.numero: entry
        for entry in session.scalars(select(RegisterEntry).where(RegisterEntry.numero.in_(numeros)))
    }
    for position, fiche in batch:
        values = entry_values(fiche, now)
        entry = existing.get(fiche.numero)
        if entry is None and _our_id_fiche(fiche):
            report.skipped.append(
                SkippedFiche(
                    position,
                    fiche.numero,
                    "ID_FICHE",
                    "cet identifiant est dans la plage réservée aux fiches que publient les "
                    "procédures de cette plateforme (à partir de 9\u202f000\u202f000\u202f000)",
                )
            )
        elif entry is None:
            session.add(
                RegisterEntry(
                    numero=fiche.numero,
                    categorie=NO_CATEGORY,
                    registre=Registre.RS,
                    autorite_legitime=None,
                    source=SOURCE_IMPORT,
                    created_at=now,
                    updated_at=now,
                    statut_change_le=now,
                    **values,
                )
            )
            report.created += 1
        elif entry.source != SOURCE_IMPORT:
            report.skipped.append(
                SkippedFiche(
                    position,
                    fiche.numero,
                    "NUMERO_FICHE",
                    "ce numéro est celui d'une certification publiée par la procédure "
                    f"{REGISTRE_DE[registre_of(entry.registre)]} de cette plateforme, que "
                    "l'import ne remplace pas",
                )
            )
        elif _update(entry, kept_withdrawn(entry, values), now):
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    # Each active fiche becomes Échue on its end date: a job, never a scan at read time.
    for entry in session.scalars(
        select(RegisterEntry).where(
            RegisterEntry.numero.in_(numeros), RegisterEntry.source == SOURCE_IMPORT
        )
    ):
        schedule_fin_validite(session, entry)


def _our_id_fiche(fiche: Fiche) -> bool:
    """An ID_FICHE in the range of ours (writing.py): imported, it could meet one of ours."""
    own = fiche.content.get("id_fiche")
    return isinstance(own, str) and int(own) >= OWN_ID_FICHE_BASE


def entry_values(fiche: Fiche, now: datetime) -> dict[str, Any]:
    """The columns an import sets (category and autorité légitime apart: see the docstring)."""
    statut, motif = statut_of(fiche, now)
    values: dict[str, Any] = {
        "intitule": fiche.intitule,
        "certificateurs": {"certificateurs": fiche.certificateurs},
        "content": fiche.content,
        "date_decision": fiche.date_decision,
        "debut_validite": fiche.debut_validite,
        "fin_validite": fiche.fin_validite,
        "statut": statut,
        "motif_retrait": motif,
    }
    if fiche.anciennes:
        values["numero_precedent"] = fiche.anciennes[0]
    return values


def statut_of(fiche: Fiche, now: datetime) -> tuple[RegisterStatus, str | None]:
    """The statut of an imported fiche at `now`, and its motif de retrait when it is *Retirée*."""
    etat = str(fiche.content.get("etat_fiche") or "")
    said = f"ETAT_FICHE «\u00a0{etat}\u00a0»"
    # Withdrawn (our export writes « Dépubliée/Archivée » for it): whatever the dates say.
    if etat_says_withdrawn(etat):
        return RegisterStatus.RETIREE, _motif_retrait(said)
    if is_past_end(fiche.fin_validite, now):
        return RegisterStatus.ECHUE, None
    if fiche.actif is False:
        return RegisterStatus.RETIREE, _motif_retrait(
            "ACTIF «\u00a0Non\u00a0» avant la date de fin d'enregistrement"
        )
    return RegisterStatus.ACTIVE, None


def _motif_retrait(what: str) -> str:
    return f"Retirée selon l'export de France compétences ({what})."


def _update(entry: RegisterEntry, values: dict[str, Any], now: datetime) -> bool:
    """Apply the fiche's values when one differs; False when the entry already has them."""
    changed = [name for name, value in values.items() if getattr(entry, name) != value]
    if not changed:
        return False
    if "statut" in changed:
        entry.statut_change_le = now
    if "numero_precedent" in changed:
        entry.precedente_id = None  # resolved again by _link_chains
    for name in changed:
        setattr(entry, name, values[name])
    entry.updated_at = now
    return True


def _link_chains(session: Session, renewals: list[tuple[str, str]]) -> int:
    """Chains by number from NOUVELLES_CERTIFICATIONS, then every missing `precedente_id`."""
    table = cast(Table, RegisterEntry.__table__)
    if renewals:
        session.execute(
            update(table)
            .where(
                table.c.numero == bindparam("new_numero"),
                table.c.numero_precedent.is_(None),
                table.c.source == SOURCE_IMPORT,
            )
            .values(numero_precedent=bindparam("old_numero")),
            [{"old_numero": old, "new_numero": new} for old, new in renewals],
        )
    previous = table.alias("previous")
    found = (previous.c.numero == table.c.numero_precedent) & (previous.c.id != table.c.id)
    result = session.execute(
        update(table)
        .where(
            table.c.numero_precedent.is_not(None),
            table.c.precedente_id.is_(None),
            exists().where(found),
        )
        .values(precedente_id=select(previous.c.id).where(found).scalar_subquery())
    )
    # Core UPDATEs bypass the ORM: entries already loaded must read their links again.
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, RegisterEntry):
            session.expire(loaded, ["numero_precedent", "precedente_id"])
    return int(getattr(result, "rowcount", 0) or 0)
