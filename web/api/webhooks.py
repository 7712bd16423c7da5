"""Webhook subscriptions through the API, for administrators (scope «\u00a0admin\u00a0»): list,
create (the secret returned once), read, change, pause, resume, delete, the delivery log and
*Renvoyer*, each through engine.webhooks as the /admin/webhooks pages do.

An organisation's service account may not subscribe, even to its own dossiers' events: the
subscriptions are the administrators' (docs/webhooks.md says why)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from spectree import Response as Responses

from engine.core.errors import FormInvalid, NotFound
from engine.core.models import (
    DELIVERY_STATUS_LABELS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from engine.webhooks import delivery, log, subscriptions
from engine.workflow import access
from web.api.access import caller, require
from web.api.base import bp, spec
from web.api.idempotency import Outcome, once
from web.api.models import ProblemOut
from web.api.more_models import (
    DeliveriesQuery,
    DeliveryList,
    DeliveryOut,
    NewSubscription,
    SubscriptionChange,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionOut,
)
from web.api.paging import following, page_of
from web.api.problems import Problem
from web.database import db

TAG = "Webhooks"
# The engine's field names, as the API's bodies call them.
FIELDS = {"url": "url", "events": "evenements", "description": "description"}


def _json(model: Any, status: int = 200) -> Response:
    return current_app.response_class(
        model.model_dump_json(by_alias=True), status=status, mimetype="application/json"
    )


def _out(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "evenements": list(subscription.events),
        "description": subscription.description,
        "actif": subscription.active,
        "cree_le": subscription.created_at,
        "modifie_le": subscription.updated_at,
    }


def _refused(error: FormInvalid) -> Problem:
    errors = {FIELDS.get(name, name): message for name, message in error.errors.items()}
    return Problem(422, error.user_message, erreurs=errors)


def _delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        livraison=row.delivery_id,
        evenement=row.event,
        dossier=row.instance_id,
        statut=row.status,
        statut_libelle=DELIVERY_STATUS_LABELS.get(DeliveryStatus(row.status), row.status),
        tentatives=row.attempts,
        code_reponse=row.response_code,
        derniere_erreur=row.last_error,
        cree_le=row.created_at,
        derniere_tentative_le=row.last_attempt_at,
        prochaine_tentative_le=row.next_attempt_at,
    )


@bp.get("/webhooks")
@spec.validate(resp=Responses(HTTP_200=SubscriptionList, HTTP_403=ProblemOut), tags=[TAG])
@require("admin", access.may_administer)
def subscription_list() -> Response:
    """Les abonnements webhook, du plus récent au plus ancien (sans leur secret)."""
    rows = subscriptions.subscriptions(db())
    return _json(SubscriptionList(elements=[SubscriptionOut(**_out(row)) for row in rows]))


@bp.post("/webhooks")
@spec.validate(
    json=NewSubscription,
    resp=Responses(HTTP_201=SubscriptionCreated, HTTP_403=ProblemOut, HTTP_422=ProblemOut),
    tags=[TAG],
)
@require("admin", access.may_administer)
def subscribe() -> Response:
    """Abonner une adresse à des événements\u00a0; le secret de signature n'est rendu que dans
    cette réponse (accepte «\u00a0Idempotency-Key\u00a0»)."""
    body = NewSubscription.model_validate(request.get_json(silent=True) or {})
    actor = caller()

    def run() -> Outcome:
        try:
            made = subscriptions.subscribe(
                db(), actor, url=body.url, events=body.evenements, description=body.description
            )
        except FormInvalid as error:
            db().rollback()
            raise _refused(error) from error
        created = SubscriptionCreated(**_out(made.subscription), secret=made.secret)
        where = url_for("api.subscription", subscription_id=made.subscription.id)
        return 201, created.model_dump(mode="json"), where

    return once(run, kept=_without_secret, restored=_with_secret)


def _without_secret(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "secret"}


def _with_secret(body: dict[str, Any]) -> dict[str, Any]:
    """A replayed creation: the secret derived again (it is never stored with the key)."""
    try:
        made = subscriptions.get(db(), body.get("id"))
    except NotFound as error:
        raise Problem(
            409, "L'abonnement créé avec cette clé d'idempotence a été supprimé depuis."
        ) from error
    return body | {"secret": subscriptions.secret_of(db(), made)}


@bp.get("/webhooks/<int:subscription_id>")
@spec.validate(resp=Responses(HTTP_200=SubscriptionOut, HTTP_404=ProblemOut), tags=[TAG])
@require("admin", access.may_administer)
def subscription(subscription_id: int) -> Response:
    """Un abonnement."""
    return _json(SubscriptionOut(**_out(subscriptions.get(db(), subscription_id))))


@bp.patch("/webhooks/<int:subscription_id>")
@spec.validate(
    json=SubscriptionChange,
    resp=Responses(HTTP_200=SubscriptionOut, HTTP_404=ProblemOut, HTTP_422=ProblemOut),
    tags=[TAG],
)
@require("admin", access.may_administer)
def change(subscription_id: int) -> Response:
    """Changer l'adresse, les événements ou la description d'un abonnement (son secret
    reste le même)."""
    body = SubscriptionChange.model_validate(request.get_json(silent=True) or {})
    current = subscriptions.get(db(), subscription_id)
    try:
        changed = subscriptions.update(
            db(),
            caller(),
            current.id,
            url=current.url if body.url is None else body.url,
            events=list(current.events) if body.evenements is None else body.evenements,
            description=current.description if body.description is None else body.description,
        )
    except FormInvalid as error:
        db().rollback()
        raise _refused(error) from error
    out = SubscriptionOut(**_out(changed))
    db().commit()
    return _json(out)


def _set_active(subscription_id: int, active: bool) -> Response:
    changed = subscriptions.set_active(db(), caller(), subscription_id, active)
    out = SubscriptionOut(**_out(changed))
    db().commit()
    return _json(out)


@bp.post("/webhooks/<int:subscription_id>/suspendre")
@spec.validate(resp=Responses(HTTP_200=SubscriptionOut, HTTP_404=ProblemOut), tags=[TAG])
@require("admin", access.may_administer)
def pause(subscription_id: int) -> Response:
    """Suspendre un abonnement\u00a0: plus rien ne lui est envoyé jusqu'à sa reprise."""
    return _set_active(subscription_id, False)


@bp.post("/webhooks/<int:subscription_id>/reprendre")
@spec.validate(resp=Responses(HTTP_200=SubscriptionOut, HTTP_404=ProblemOut), tags=[TAG])
@require("admin", access.may_administer)
def resume(subscription_id: int) -> Response:
    """Reprendre un abonnement suspendu."""
    return _set_active(subscription_id, True)


@bp.delete("/webhooks/<int:subscription_id>")
@spec.validate(resp=Responses(HTTP_204=None, HTTP_404=ProblemOut), tags=[TAG])
@require("admin", access.may_administer)
def remove(subscription_id: int) -> Response:
    """Supprimer un abonnement et le journal de ses livraisons."""
    subscriptions.delete(db(), caller(), subscription_id)
    db().commit()
    return current_app.response_class(status=204)


@bp.get("/webhooks/<int:subscription_id>/livraisons")
@spec.validate(
    query=DeliveriesQuery,
    resp=Responses(HTTP_200=DeliveryList, HTTP_404=ProblemOut),
    tags=[TAG],
)
@require("admin", access.may_administer)
def deliveries(subscription_id: int) -> Response:
    """Le journal des livraisons d'un abonnement, de la plus récente à la plus ancienne."""
    query = DeliveriesQuery.model_validate(request.args.to_dict())
    found_subscription = subscriptions.get(db(), subscription_id)
    found = log.deliveries(db(), found_subscription.id, page_of(query.curseur))
    return _json(
        DeliveryList(
            elements=[_delivery_out(row) for row in found.rows],
            suivant=following(found.page, found.pages),
        )
    )


@bp.post("/webhooks/livraisons/<int:delivery_id>/renvoyer")
@spec.validate(
    resp=Responses(HTTP_202=DeliveryOut, HTTP_404=ProblemOut, HTTP_409=ProblemOut), tags=[TAG]
)
@require("admin", access.may_administer)
def resend(delivery_id: int) -> Response:
    """*Renvoyer*\u00a0: la même livraison (même identifiant, même corps) repart."""
    row = delivery.resend(db(), caller(), delivery_id)
    out = _delivery_out(row)
    db().commit()
    return _json(out, 202)
