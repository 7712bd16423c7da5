"""The JSON API's models of webhook subscriptions, their deliveries and dossiers' messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from web.api.models import Body

MAX_URL = 2000
MAX_EVENTS = 20


class NewSubscription(Body):
    url: str = Field(max_length=MAX_URL, description="L'adresse HTTPS qui reçoit les événements")
    evenements: list[str] = Field(
        max_length=MAX_EVENTS, description="Les types d'événements voulus (dossier.statut…)"
    )
    description: str = Field("", max_length=1000)


class SubscriptionChange(Body):
    url: str | None = Field(None, max_length=MAX_URL)
    evenements: list[str] | None = Field(None, max_length=MAX_EVENTS)
    description: str | None = Field(None, max_length=1000)


class SubscriptionOut(BaseModel):
    id: int
    url: str
    evenements: list[str]
    description: str
    actif: bool
    cree_le: datetime
    modifie_le: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="La clé de signature, montrée cette seule fois")


class SubscriptionList(BaseModel):
    elements: list[SubscriptionOut]


class DeliveriesQuery(Body):
    curseur: str = Field("", max_length=200)


class DeliveryOut(BaseModel):
    id: int
    livraison: str = Field(
        description="L'identifiant envoyé dans «\u00a0Inventaire-Delivery\u00a0»"
    )
    evenement: str
    dossier: int | None
    statut: str
    statut_libelle: str
    tentatives: int
    code_reponse: int | None
    derniere_erreur: str | None
    cree_le: datetime
    derniere_tentative_le: datetime | None
    prochaine_tentative_le: datetime | None


class DeliveryList(BaseModel):
    elements: list[DeliveryOut]
    suivant: str | None


class NewMessage(Body):
    texte: str = Field(max_length=20_000, description="Le texte du message")


class MessagePieceOut(BaseModel):
    id: int
    nom: str
    taille: int
    type: str


class MessageOut(BaseModel):
    id: int
    envoye_le: datetime
    auteur: str
    cote: str = Field(description="demandeur ou instruction")
    cote_libelle: str
    texte: str
    pieces: list[MessagePieceOut]
    de_moi: bool
    non_lu: bool


class MessageList(BaseModel):
    elements: list[MessageOut]
    peut_ecrire: bool
    refus: str | None


class MessageSent(BaseModel):
    id: int
    envoye_le: datetime
    cote: str
    texte: str
    pieces: list[MessagePieceOut]
