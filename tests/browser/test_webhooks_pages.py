"""The webhook pages in Chromium over the live server: an administrator makes a
subscription (a refused address first, answered in French with what was typed kept), reads
its secret once, sees the delivery log with *Renvoyer* and uses it; axe-core finds no
serious or critical violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.core.actor import SYSTEM
from engine.core.db import make_session_factory
from engine.core.models import DeliveryStatus, WebhookDelivery
from engine.webhooks import subscriptions
from engine.webhooks.events import EventType
from engine.wiring import make_worker
from tests.browser.conftest import login
from tests.browser.test_accessibility import violations
from tests.integration.test_webhooks import deposer, settings
from tests.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as server:
        yield server


@pytest.fixture
def hook_sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine, settings())


def test_an_administrator_subscribes_in_the_browser(page: Page, live_server: str) -> None:
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server}/admin/webhooks")
    assert violations(page) == []
    page.click("text=Nouvel abonnement")
    page.fill("#champ-url", "http://10.0.0.7/recepteur")
    page.click("label[for='evenement-1']")  # DSFR: the label is what a user clicks
    page.fill("#champ-description", "Système du certificateur")
    page.click('button:has-text("Créer l\'abonnement")')
    main = page.inner_text("main")
    assert "adresse privée, locale ou réservée" in main
    assert page.input_value("#champ-url") == "http://10.0.0.7/recepteur"
    assert page.is_checked("input[value='dossier.statut_modifie']")
    assert page.input_value("#champ-description") == "Système du certificateur"
    assert violations(page) == [], "form with errors"

    page.fill("#champ-url", "https://recepteur.invalid/inventaire")
    page.click('button:has-text("Créer l\'abonnement")')
    assert "Copiez le secret maintenant" in page.inner_text("main")
    assert re.fullmatch(r"whsec_[0-9a-f]{64}", page.inner_text("#secret"))
    assert violations(page) == [], "secret shown"
    page.click("text=Voir l'abonnement")
    assert "Aucune livraison pour l'instant." in page.inner_text("main")
    page.click("button:has-text('Suspendre')")
    assert "Abonnement suspendu." in page.inner_text("main")


def test_the_delivery_log_and_renvoyer_in_the_browser(
    page: Page,
    live_server: str,
    hook_sessions: sessionmaker[Session],
    receiver: Receiver,
    upload_dir: Path,
) -> None:
    with hook_sessions() as db:
        made = subscriptions.subscribe(
            db, SYSTEM, url=receiver.url, events=[str(EventType.DOSSIER_STATUT)]
        )
        db.commit()
        key = made.subscription.id
        deposer(db, upload_dir)
    make_worker(hook_sessions).run_until_idle()
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server}/admin/webhooks/{key}")
    main = page.inner_text("main")
    assert "Livrée" in main and "200" in main
    assert violations(page) == []
    page.click("button:has-text('Renvoyer')")
    assert "Livraison renvoyée" in page.inner_text("main")
    with hook_sessions() as db:
        row = db.scalar(select(WebhookDelivery))
        assert row is not None and row.status == DeliveryStatus.PENDING
    make_worker(hook_sessions).run_until_idle()
    ids = {item.headers["Inventaire-Delivery"] for item in receiver.received}
    assert len(receiver.received) == 2 and len(ids) == 1
