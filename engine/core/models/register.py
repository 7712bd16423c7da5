"""The public register: one entry per certification (domain names: docs/glossary.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class RegisterStatus(StrEnum):
    """A certification's statut in the register (domain words: docs/glossary.md)."""

    ACTIVE = "active"
    ECHUE = "echue"
    RETIREE = "retiree"


REGISTER_STATUS_LABELS = {
    RegisterStatus.ACTIVE: "Active",
    RegisterStatus.ECHUE: "Échue",
    RegisterStatus.RETIREE: "Retirée",
}


class Registre(StrEnum):
    """Which register an entry belongs to (docs/glossary.md)."""

    # The CNCP's former Inventaire (former article L. 335-6 code de l'éducation): INV numbers,
    # categories A/B/C.
    INVENTAIRE = "inventaire"
    # France compétences' Répertoire spécifique (L. 6113-6 code du travail): RS numbers, no
    # category.
    RS = "rs"


REGISTRE_LABELS = {
    Registre.INVENTAIRE: "Inventaire",
    Registre.RS: "Répertoire spécifique",
}
# The register after « de » and « à », as a sentence names it: « retirée de l'Inventaire »,
# « publiée au Répertoire spécifique ».
REGISTRE_DE = {Registre.INVENTAIRE: "de l'Inventaire", Registre.RS: "du Répertoire spécifique"}
REGISTRE_A = {Registre.INVENTAIRE: "à l'Inventaire", Registre.RS: "au Répertoire spécifique"}


def registre_of(value: object) -> Registre:
    """An entry's register; a value we do not know (written by hand) reads as the Inventaire."""
    return Registre.RS if value == Registre.RS else Registre.INVENTAIRE


class RegisterEntry(Base):
    """One certification of the public register (France compétences' fiche, our fields)."""

    __tablename__ = "register_entry"
    __table_args__ = (
        Index("ix_register_entry_statut", "statut", "date_decision"),
        Index("ix_register_entry_numero_precedent", "numero_precedent"),
        Index("ix_register_entry_precedente_id", "precedente_id"),
        # The JSON API's changes since a cursor read the register in this order (0022).
        Index("ix_register_entry_updated_at", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    numero: Mapped[str] = mapped_column(String(20), unique=True)
    intitule: Mapped[str] = mapped_column(String(500))
    # A, B or C for an Inventaire entry; "" for a Répertoire spécifique entry (it has none).
    categorie: Mapped[str] = mapped_column(String(1))
    # {"certificateurs": [{"nom", "siret", "etat"}…]}
    certificateurs: Mapped[dict[str, Any]] = mapped_column(JSON)
    autorite_legitime: Mapped[str | None] = mapped_column(String(300))
    # The public fields of the fiche (objectives, competences, codes…): register/publication.py.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_decision: Mapped[datetime | None] = mapped_column()
    debut_validite: Mapped[datetime | None] = mapped_column()
    fin_validite: Mapped[datetime | None] = mapped_column()
    statut: Mapped[str] = mapped_column(String(16), default=RegisterStatus.ACTIVE)
    statut_change_le: Mapped[datetime | None] = mapped_column()
    motif_retrait: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), unique=True)
    # The entry this one renews (its fiche précédente), when it is in this register.
    precedente_id: Mapped[int | None] = mapped_column(ForeignKey("register_entry.id"))
    # The renewal chain by number: kept even when the previous fiche is not in this register.
    numero_precedent: Mapped[str | None] = mapped_column(String(20))
    # "inventaire" (published by the procedure) or "import" (France compétences' export).
    source: Mapped[str] = mapped_column(String(16), default="inventaire")
    # The register the entry belongs to (Registre): an import brings RS fiches.
    registre: Mapped[str] = mapped_column(
        String(16), default=Registre.INVENTAIRE, server_default=Registre.INVENTAIRE.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisterVersion(Base):
    """The register's change counter: one row, moved forward by the database's own triggers
    (migration 0027) in the transaction of every change of `register_entry`, whoever writes it.
    The public pages' validators and the search's cache are keyed by it."""

    __tablename__ = "register_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    # When it last moved (its first value: when the table was made, unique to each database).
    changed_at: Mapped[datetime] = mapped_column()
