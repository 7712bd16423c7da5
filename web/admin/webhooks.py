"""Webhooks, for administrators: the subscriptions, a new one (its secret shown once), pause,
resume, delete, and each one's delivery log with *Renvoyer*. The engine does the work
(engine.webhooks); these routes read the request and render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.core.errors import FormInvalid, InventaireError, NotFound
from engine.core.models import DELIVERY_STATUS_LABELS, as_id
from engine.webhooks import delivery, log, subscriptions
from engine.webhooks.events import EVENT_LABELS
from engine.workflow import access
from web.admin import bp
from web.auth import allowed, current_actor
from web.database import db

Page = str | tuple[str, int] | Response
MAX_URL = 2000


@bp.get("/webhooks")
@allowed(access.may_administer)
def webhooks() -> str:
    return render_template(
        "admin/webhooks.html",
        subscriptions=subscriptions.subscriptions(db()),
        event_labels=EVENT_LABELS,
    )


@bp.route("/webhooks/nouveau", methods=["GET", "POST"])
@allowed(access.may_administer)
def webhook_new() -> Page:
    values: dict[str, object] = {"url": "", "events": [], "description": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "url": request.form.get("url", "")[: MAX_URL + 1],
            "events": request.form.getlist("events")[:20],
            "description": request.form.get("description", "")[:1000],
        }
        try:
            made = subscriptions.subscribe(
                db(),
                current_actor(),
                url=str(values["url"]),
                events=[str(kind) for kind in values["events"]],  # type: ignore[attr-defined]
                description=str(values["description"]),
            )
            db().commit()
        except FormInvalid as error:
            db().rollback()
            errors = error.errors
        except InventaireError as error:
            db().rollback()
            errors = {"url": error.user_message}
        else:
            return render_template(
                "admin/webhook_cree.html",
                subscription=made.subscription,
                secret=made.secret,
                event_labels=EVENT_LABELS,
            )
    return (
        render_template(
            "admin/webhook_form.html", values=values, errors=errors, event_labels=EVENT_LABELS
        ),
        422 if errors else 200,
    )


@bp.get("/webhooks/<int:subscription_id>")
@allowed(access.may_administer)
def webhook(subscription_id: int) -> str:
    try:
        subscription = subscriptions.get(db(), subscription_id)
    except NotFound:
        abort(404)
    found = log.deliveries(db(), subscription.id, as_id(request.args.get("page", "1")) or 1)
    return render_template(
        "admin/webhook.html",
        subscription=subscription,
        deliveries=found.rows,
        pagination=found,
        event_labels=EVENT_LABELS,
        status_labels=DELIVERY_STATUS_LABELS,
    )


def _change(subscription_id: int, change: str) -> Response:
    try:
        if change == "supprimer":
            url = subscriptions.delete(db(), current_actor(), subscription_id)
            message = f"Abonnement supprimé\u00a0: {url}."
        else:
            active = change == "reprendre"
            subscriptions.set_active(db(), current_actor(), subscription_id, active)
            message = "Abonnement repris." if active else "Abonnement suspendu."
        db().commit()
    except NotFound:
        db().rollback()
        abort(404)
    flash(message, "success")
    if change == "supprimer":
        return redirect(url_for("admin.webhooks"))
    return redirect(url_for("admin.webhook", subscription_id=subscription_id))


@bp.post("/webhooks/<int:subscription_id>/suspendre")
@allowed(access.may_administer)
def webhook_pause(subscription_id: int) -> Response:
    return _change(subscription_id, "suspendre")


@bp.post("/webhooks/<int:subscription_id>/reprendre")
@allowed(access.may_administer)
def webhook_resume(subscription_id: int) -> Response:
    return _change(subscription_id, "reprendre")


@bp.post("/webhooks/<int:subscription_id>/supprimer")
@allowed(access.may_administer)
def webhook_delete(subscription_id: int) -> Response:
    return _change(subscription_id, "supprimer")


@bp.post("/webhooks/livraisons/<int:delivery_id>/renvoyer")
@allowed(access.may_administer)
def webhook_resend(delivery_id: int) -> Response:
    """*Renvoyer*: the same delivery (same id, same body) goes out again."""
    try:
        found = delivery.resend(db(), current_actor(), delivery_id)
        subscription_id = found.subscription_id
        db().commit()
    except NotFound:
        db().rollback()
        abort(404)
    except InventaireError as error:
        db().rollback()
        flash(error.user_message, "error")
        back = delivery.get(db(), delivery_id).subscription_id
        return redirect(url_for("admin.webhook", subscription_id=back))
    flash("Livraison renvoyée\u00a0: elle part dès qu'un travailleur est libre.", "success")
    return redirect(url_for("admin.webhook", subscription_id=subscription_id))
