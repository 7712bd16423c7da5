"""A person downloads what we hold about them from *Mon compte*; an administrator deletes an
account, kept under a pseudonym (its trail and its acts on dossiers whole)."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.audit_chain import link_pending
from engine.core.audit_verify import verify
from engine.core.models import AuditEvent, User, WorkItem
from tests.dossiers import open_item, walk_until
from tests.support import Browser, location_id, text_of

PASSWORD = "un-mot-de-passe-assez-long"


def test_a_user_downloads_what_we_hold_about_them(app: Flask) -> None:
    submitter = Browser(app.test_client())
    submitter.login("demandeur@example.org")
    created = submitter.post("/demandes/nouvelle", from_page="/demandes/")
    draft = location_id(created, r"/demandes/(\d+)/saisie")

    page = submitter.get("/compte/")
    assert page.status_code == 200
    assert "Télécharger mes données (JSON)" in text_of(page)
    download = submitter.get("/compte/mes-donnees.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    held = json.loads(download.get_data(as_text=True))
    assert held["compte"]["courriel"] == "demandeur@example.org"
    assert held["compte"]["nom"] == "Claire Demandeur"
    assert draft in [dossier["id"] for dossier in held["dossiers_crees"]]
    assert any(act["dossier"] == draft for act in held["actes_journalises"])

    anonymous = Browser(app.test_client()).get("/compte/mes-donnees.json")
    assert anonymous.status_code in (302, 401)
    assert "courriel" not in anonymous.get_data(as_text=True)


def test_an_admin_deletes_an_account_kept_under_a_pseudonym(
    app: Flask, session: Session, browser_factory
) -> None:  # type: ignore[no-untyped-def]
    admin = Browser(app.test_client())
    admin.login("admin@example.org")
    created = admin.post(
        "/admin/comptes/nouveau",
        {
            "email": "agent.temporaire@example.org",
            "name": "Agathe Temporaire",
            "password": PASSWORD,
            "roles": ["recevabilite"],
        },
    )
    assert created.status_code == 302, text_of(created)
    agent_id = session.scalar(select(User.id).where(User.email == "agent.temporaire@example.org"))
    assert agent_id is not None

    walker = walk_until(browser_factory, "examiner_recevabilite")
    item = open_item(session, walker.dossier_id, "examiner_recevabilite")
    agent = Browser(app.test_client())
    agent.login("agent.temporaire@example.org", PASSWORD)
    taken = agent.post(
        f"/instruction/taches/{item}/prendre", from_page=f"/instruction/taches/{item}"
    )
    assert taken.status_code == 302

    confirm = admin.get(f"/admin/comptes/{agent_id}/supprimer")
    assert "Compte supprimé n°" in text_of(confirm)
    # Without the account's address typed: refused, nothing done, what was typed kept.
    unconfirmed = admin.post(f"/admin/comptes/{agent_id}/supprimer", {"confirmation": "oui"})
    assert unconfirmed.status_code == 422
    assert "Saisissez l'adresse électronique du compte" in text_of(unconfirmed)
    assert 'value="oui"' in unconfirmed.get_data(as_text=True)
    session.rollback()
    assert session.get(User, agent_id).deleted_at is None  # type: ignore[union-attr]
    deleted = admin.post(
        f"/admin/comptes/{agent_id}/supprimer", {"confirmation": "Agent.Temporaire@example.org"}
    )
    assert deleted.status_code == 302, text_of(deleted)

    session.rollback()
    user = session.get(User, agent_id)
    assert user is not None and user.deleted_at is not None
    assert user.name == f"Compte supprimé n° {agent_id}"
    assert "temporaire" not in user.email and not user.active and not user.role_names
    # Its task went back to the team; its acts stay, under the pseudonym.
    task = session.get(WorkItem, item)
    assert task is not None and task.claimed_by_id is None
    acts = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == agent_id)).all()
    assert acts
    staff = Browser(app.test_client())
    staff.login("recevabilite@example.org")
    page = text_of(staff.get(f"/instruction/dossiers/{walker.dossier_id}"))
    assert f"Compte supprimé n° {agent_id}" in page
    assert "Agathe Temporaire" not in page

    # Signed out, and no way back in.
    assert agent.get("/instruction/").status_code == 302
    refused = agent.client.post(
        "/connexion",
        data={
            "email": "agent.temporaire@example.org",
            "password": PASSWORD,
            "csrf_token": agent.csrf("/connexion"),
        },
    )
    assert refused.status_code != 302

    # An administrator cannot delete their own account; the chains stay whole.
    admin_id = session.scalar(select(User.id).where(User.email == "admin@example.org"))
    own = admin.post(f"/admin/comptes/{admin_id}/supprimer", {"confirmation": "admin@example.org"})
    assert own.status_code == 409
    assert "votre propre compte" in text_of(own)
    session.rollback()
    link_pending(session)
    session.commit()
    assert verify(session, "").ok
