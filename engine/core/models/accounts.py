"""Organisations, roles and the people who sign in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.clock import utcnow
from engine.core.models.base import Base, Id


class OrganisationKind(StrEnum):
    MINISTERE = "ministere"
    CPNE = "cpne"
    ORGANISATION_CNCP = "organisation_cncp"
    CERTIFICATEUR = "certificateur"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.MINISTERE: "Département ministériel",
    OrganisationKind.CPNE: "CPNE d'une branche professionnelle",
    OrganisationKind.ORGANISATION_CNCP: "Organisation à voix délibérative à la CNCP",
    OrganisationKind.CERTIFICATEUR: "Organisme certificateur (mandaté)",
}


class RoleName(StrEnum):
    DEMANDEUR = "demandeur"
    RECEVABILITE = "recevabilite"
    RAPPORTEUR = "rapporteur"
    COMMISSION = "commission"
    PROPRIETAIRE = "proprietaire"
    # France compétences' director general decides on the Répertoire spécifique.
    DIRECTEUR_GENERAL = "directeur_general"
    ADMIN = "admin"


ROLE_LABELS = {
    RoleName.DEMANDEUR: "Demandeur",
    RoleName.RECEVABILITE: "Secrétariat / recevabilité",
    RoleName.RAPPORTEUR: "Rapporteur",
    RoleName.COMMISSION: "Formation restreinte / commission",
    RoleName.PROPRIETAIRE: "Propriétaire du processus",
    RoleName.DIRECTEUR_GENERAL: "Directeur général de France compétences",
    RoleName.ADMIN: "Administrateur",
}


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str | None] = mapped_column(String(14))
    # A certifier files on behalf of an autorité légitime: the mandating organisation.
    mandant_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mandant: Mapped[Organisation | None] = relationship(remote_side=[id])


class Role(Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An account deleted by an administrator: kept under a pseudonym (its trail, its dossiers).
    deleted_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation | None] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary="user_role", lazy="selectin")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.name for role in self.roles)
