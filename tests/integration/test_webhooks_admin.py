"""The administration's webhook pages through HTTP: subscriptions listed, made (the secret
shown once, bad input answered in French with what was typed kept), paused, resumed,
deleted, each change in the audit trail; the delivery log with *Renvoyer*; refused to
everyone but administrators."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.actor import SYSTEM
from engine.core.db import make_session_factory
from engine.core.models import AuditEvent, DeliveryStatus, WebhookDelivery, WebhookSubscription
from engine.webhooks import signing, subscriptions
from engine.webhooks.events import EventType
from engine.wiring import make_worker
from tests.integration.test_webhooks import deposer, settings
from tests.support import Browser, text_of
from tests.webhook_receiver import Receiver, webhook_receiver

NewBrowser = Callable[[], Browser]
ADMIN = "admin@example.org"
OTHERS = ("demandeur@example.org", "recevabilite@example.org", "proprietaire@example.org")
PUBLIC_URL = "https://recepteur.invalid/inventaire"


@pytest.fixture
def admin(browser_factory: NewBrowser) -> Browser:
    browser = browser_factory()
    browser.login(ADMIN)
    return browser


@pytest.fixture
def hook_sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine, settings())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as server:
        yield server


def audit_lines(session: Session) -> list[str]:
    session.rollback()
    return [
        event.summary
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "webhook").order_by(AuditEvent.id)
        )
    ]


def test_an_administrator_makes_pauses_resumes_and_deletes_a_subscription(
    admin: Browser, session: Session
) -> None:
    listing = admin.get("/admin/webhooks")
    assert listing.status_code == 200 and "Aucun abonnement." in text_of(listing)
    assert 'href="/admin/webhooks"' in admin.get("/admin/").get_data(as_text=True)

    made = admin.post(
        "/admin/webhooks/nouveau",
        {
            "url": PUBLIC_URL,
            "events": [str(EventType.DOSSIER_STATUT), str(EventType.FICHE_PUBLIEE)],
            "description": "Système d'information du certificateur",
        },
    )
    assert made.status_code == 200, text_of(made)
    shown = text_of(made)
    assert "Abonnement créé" in shown and "Copiez le secret maintenant" in shown
    secret = re.search(r"whsec_[0-9a-f]{64}", made.get_data(as_text=True))
    assert secret is not None
    subscription = session.scalar(select(WebhookSubscription))
    assert subscription is not None and subscription.url == PUBLIC_URL
    assert subscription.events == [str(EventType.DOSSIER_STATUT), str(EventType.FICHE_PUBLIEE)]
    key = subscription.id
    # The secret the worker signs with (derived from the app's secret key, "test").
    assert secret.group(0) == signing.subscription_secret("test", subscription.secret_nonce)
    # The secret is never shown again.
    page = admin.get(f"/admin/webhooks/{key}")
    assert secret.group(0) not in page.get_data(as_text=True)
    assert "Aucune livraison pour l'instant." in text_of(page)
    listed = text_of(admin.get("/admin/webhooks"))
    assert PUBLIC_URL in listed and "Le statut d'un dossier a changé" in listed

    paused = admin.post(
        f"/admin/webhooks/{key}/suspendre",
        from_page=f"/admin/webhooks/{key}",
        follow_redirects=True,
    )
    assert "Abonnement suspendu." in text_of(paused) and "Reprendre" in text_of(paused)
    resumed = admin.post(
        f"/admin/webhooks/{key}/reprendre",
        from_page=f"/admin/webhooks/{key}",
        follow_redirects=True,
    )
    assert "Abonnement repris." in text_of(resumed) and "Suspendre" in text_of(resumed)
    deleted = admin.post(
        f"/admin/webhooks/{key}/supprimer",
        from_page=f"/admin/webhooks/{key}",
        follow_redirects=True,
    )
    assert f"Abonnement supprimé : {PUBLIC_URL}." in text_of(deleted)
    session.rollback()
    assert session.scalar(select(WebhookSubscription)) is None
    assert admin.get(f"/admin/webhooks/{key}").status_code == 404
    lines = audit_lines(session)
    assert lines == [
        f"Webhook créé vers {PUBLIC_URL}.",
        f"Webhook {key} suspendu.",
        f"Webhook {key} repris.",
        f"Webhook {key} supprimé ({PUBLIC_URL}).",
    ]


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("http://127.0.0.1:8080/x", ["dossier.statut_modifie"], "adresse privée"),
        ("ftp://exemple.fr/x", ["dossier.statut_modifie"], "Seules les adresses http://"),
        ("", ["dossier.statut_modifie"], "Indiquez l'adresse (URL) du récepteur."),
        (PUBLIC_URL, [], "Choisissez au moins un événement."),
        (PUBLIC_URL, ["dossier.inconnu"], "Choisissez les événements dans la liste."),
    ],
)
def test_bad_input_is_answered_in_french_with_what_was_typed(
    admin: Browser, session: Session, url: str, events: list[str], message: str
) -> None:
    typed = {"url": url, "events": events, "description": "Décrit <b>ainsi</b>"}
    response = admin.post("/admin/webhooks/nouveau", typed)
    assert response.status_code == 422
    shown = text_of(response)
    assert message in shown and "Le formulaire contient 1 erreur" in shown
    body = response.get_data(as_text=True)
    assert f'value="{url}"' in body
    assert "Décrit &lt;b&gt;ainsi&lt;/b&gt;</textarea>" in body
    for kind in events:
        if kind == "dossier.statut_modifie":
            assert re.search(r'value="dossier\.statut_modifie" checked', body)
    session.rollback()
    assert session.scalar(select(WebhookSubscription)) is None
    assert audit_lines(session) == []


def test_the_delivery_log_shows_each_delivery_and_resends_it_with_the_same_id(
    admin: Browser,
    session: Session,
    hook_sessions: sessionmaker[Session],
    receiver: Receiver,
    upload_dir: Path,
) -> None:
    with hook_sessions() as db:
        made = subscriptions.subscribe(
            db, SYSTEM, url=receiver.url, events=[str(EventType.DOSSIER_STATUT)]
        )
        db.commit()
        subscription_id = made.subscription.id
        receiver.answers = [500] * 4
        deposer(db, upload_dir)
    worker = make_worker(hook_sessions)
    worker.run_until_idle()
    page = admin.get(f"/admin/webhooks/{subscription_id}")
    shown = text_of(page)
    assert "En attente" in shown and "Le récepteur a répondu HTTP 500." in shown
    assert "prochaine tentative le" in shown and "500" in shown
    row = session.scalar(select(WebhookDelivery))
    assert row is not None
    assert row.delivery_id in shown
    # Waiting for its next attempt: no *Renvoyer* yet.
    assert f"/admin/webhooks/livraisons/{row.id}/renvoyer" not in page.get_data(as_text=True)

    receiver.answers = []
    with hook_sessions() as db:
        stored = db.get(WebhookDelivery, row.id)
        assert stored is not None
        stored.status = DeliveryStatus.FAILED  # as after its last attempt
        db.commit()
    page = admin.get(f"/admin/webhooks/{subscription_id}")
    assert "En échec" in text_of(page)
    resent = admin.post(
        f"/admin/webhooks/livraisons/{row.id}/renvoyer",
        from_page=f"/admin/webhooks/{subscription_id}",
        follow_redirects=True,
    )
    assert "Livraison renvoyée" in text_of(resent)
    # A second click (an old page, a double submission): refused in French, nothing doubled.
    again = admin.post(
        f"/admin/webhooks/livraisons/{row.id}/renvoyer",
        from_page=f"/admin/webhooks/{subscription_id}",
        follow_redirects=True,
    )
    assert "Cette livraison attend déjà sa prochaine tentative." in text_of(again)
    worker.run_until_idle()
    page = admin.get(f"/admin/webhooks/{subscription_id}")
    assert "Livrée" in text_of(page)
    ids = [item.headers["Inventaire-Delivery"] for item in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1] == row.delivery_id
    assert json.loads(receiver.received[1].body)["id"] == row.delivery_id
    assert any("renvoyée" in line for line in audit_lines(session))


def test_the_pages_are_refused_to_everyone_but_administrators(
    browser_factory: NewBrowser, session: Session, hook_sessions: sessionmaker[Session]
) -> None:
    with hook_sessions() as db:
        made = subscriptions.subscribe(
            db, SYSTEM, url=PUBLIC_URL, events=[str(EventType.FICHE_ECHUE)]
        )
        db.commit()
    key = made.subscription.id
    pages = ("/admin/webhooks", "/admin/webhooks/nouveau", f"/admin/webhooks/{key}")
    actions = (
        f"/admin/webhooks/{key}/suspendre",
        f"/admin/webhooks/{key}/supprimer",
        "/admin/webhooks/livraisons/1/renvoyer",
    )
    anonymous = browser_factory()
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    for email in OTHERS:
        browser = browser_factory()
        browser.login(email)
        for url in pages:
            assert browser.get(url).status_code == 403, (email, url)
        for url in actions:
            token = browser.csrf("/compte/")
            response = browser.client.post(url, data={"csrf_token": token})
            assert response.status_code == 403, (email, url)
        assert 'href="/admin/webhooks"' not in browser.get("/registre").get_data(as_text=True)
    session.rollback()
    stored = session.get(WebhookSubscription, key)
    assert stored is not None and stored.active
