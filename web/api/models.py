"""The JSON API's models of processes, dossiers and tasks (the register's: register_models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_KEY = 200


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(BaseModel):
    """An error (RFC 9457)."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    erreurs: dict[str, str] | None = Field(None, description="Par champ, le message en français")


class FormOut(BaseModel):
    titre: str
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema (2020-12)")
    ui: dict[str, Any] = Field(description="Le schéma d'interface\u00a0: pages, widgets, aides")
    valeurs: dict[str, Any] = Field(default_factory=dict, description="Les valeurs déjà saisies")

    model_config = ConfigDict(populate_by_name=True)


class ProcessOut(BaseModel):
    cle: str
    titre: str
    version: int


class ProcessList(BaseModel):
    elements: list[ProcessOut]


class VersionOut(BaseModel):
    cle: str
    version: int
    titre: str
    statut: str
    deploye_le: datetime
    fichiers: list[str]


class VersionList(BaseModel):
    elements: list[VersionOut]


class DossiersQuery(Body):
    q: str = Field("", max_length=200)
    statut: str = Field("", max_length=200)
    etape: str = Field("", max_length=200)
    categorie: str = Field("", max_length=1)
    rapporteur: str = Field("", max_length=20)
    organisation: str = Field("", max_length=20)
    depot_du: str = Field("", max_length=20, description="AAAA-MM-JJ")
    depot_au: str = Field("", max_length=20, description="AAAA-MM-JJ")
    en_retard: str = Field("", max_length=1)
    tri: str = Field("", max_length=20, description="echeance, ancien ou recent")
    curseur: str = Field("", max_length=200)


class DossierRowOut(BaseModel):
    id: int
    reference: str | None
    titre: str
    organisation: str | None
    statut: str
    modifie_le: datetime
    echeance: datetime | None


class DossierList(BaseModel):
    elements: list[DossierRowOut]
    suivant: str | None


class PieceOut(BaseModel):
    id: int
    nom: str
    taille: int
    type: str
    champ: str | None
    deposee_le: datetime


class TaskRowOut(BaseModel):
    id: int
    dossier: int
    etape: str | None = None
    titre: str
    role: str | None = None
    creee_le: datetime
    prise_en_charge_par: str | None = None
    reference: str | None = None


class DossierOut(BaseModel):
    id: int
    reference: str | None
    titre: str
    statut: str
    organisation: str
    cree_le: datetime
    depose_le: datetime | None
    modifie_le: datetime
    numero_registre: str | None
    pieces: list[PieceOut]
    taches_ouvertes: list[TaskRowOut]


class NewDossier(Body):
    processus: str = Field("recensement", max_length=100)


class Created(BaseModel):
    id: int
    reference: str | None = None
    statut: str


class FormData(Body):
    donnees: dict[str, Any] = Field(
        default_factory=dict, description="Les valeurs du formulaire, par nom de champ"
    )


class Completed(BaseModel):
    dossier: int
    reference: str | None
    statut: str
    message: str


class TaskList(BaseModel):
    elements: list[TaskRowOut]
    suivant: str | None


class TasksQuery(Body):
    etape: str = Field("", max_length=200)
    q: str = Field("", max_length=200)
    curseur: str = Field("", max_length=200)


class TaskOut(BaseModel):
    id: int
    dossier: int
    etape: str
    titre: str
    role: str
    statut: str
    peut_agir: bool
    refus: str | None
    formulaire: FormOut


class Claimed(BaseModel):
    id: int
    dossier: int
    prise_en_charge_par: str | None
    message: str
