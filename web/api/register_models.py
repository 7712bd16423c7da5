"""The register's models of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterQuery(Query):
    q: str = Field("", max_length=300, description="Mots cherchés (numéro, intitulé…)")
    categorie: str = Field("", max_length=1, description="A, B ou C (Inventaire)")
    statut: str = Field("", max_length=16, description="active, echue ou retiree")
    autorite: str = Field("", max_length=300, description="Autorité légitime")
    registre: str = Field("", max_length=16, description="inventaire ou rs")
    tri: Literal["", "pertinence", "date"] = ""
    curseur: str = Field("", max_length=200, description="Le curseur «\u00a0suivant\u00a0» reçu")
    limite: int = Field(20, ge=1, le=100)


class ChangesQuery(Query):
    depuis: str = Field(
        "", max_length=200, description="Le curseur «\u00a0curseur\u00a0» d'une réponse précédente"
    )
    limite: int = Field(100, ge=1, le=500)


class Certificateur(BaseModel):
    nom: str
    siret: str | None = None


class RegisterHitOut(BaseModel):
    numero: str
    intitule: str
    registre: str
    categorie: str
    statut: str
    statut_libelle: str
    certificateurs: list[str]
    autorite_legitime: str | None
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None


class RegisterPage(BaseModel):
    total: int
    elements: list[RegisterHitOut]
    suivant: str | None = Field(None, description="Curseur de la page suivante, s'il y en a une")


class RegisterEntryOut(BaseModel):
    numero: str
    intitule: str
    registre: str
    categorie: str
    statut: str
    statut_libelle: str
    certificateurs: list[Certificateur]
    autorite_legitime: str | None
    date_decision: datetime | None
    debut_validite: datetime | None
    fin_validite: datetime | None
    statut_change_le: datetime | None
    motif_retrait: str | None
    numero_precedent: str | None
    contenu: dict[str, Any] = Field(description="Les champs publics de la fiche")
    modifie_le: datetime


class ChangesPage(BaseModel):
    elements: list[RegisterEntryOut]
    curseur: str = Field(
        description="À repasser dans «\u00a0depuis\u00a0» pour les changements suivants"
    )
    encore: bool = Field(description="D'autres changements attendent déjà")
