"""A dossier's messagerie through the API: each side reads what its page shows (the agents'
names hidden from the submitter), writes with the pages' rule, pieces jointes checked as on the
pages; another organisation's submitter sees nothing (404), a read-only token writes nothing."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import Message
from tests.api import call, token_for
from tests.integration.test_webhooks import deposer
from tests.support import SAMPLE_PDF, pdf

SUBMITTER = "demandeur@example.org"  # the Ministère's, whose dossier deposer() files
AGENT = "recevabilite@example.org"


def messages(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Message)) or 0


def test_each_side_reads_and_writes_as_on_its_page(
    client: FlaskClient, session: Session, upload_dir: Path
) -> None:
    dossier = deposer(session, upload_dir)
    submitter = token_for(session, SUBMITTER)
    agent = token_for(session, AGENT)
    url = f"/api/v1/dossiers/{dossier}/messages"
    empty = call(client, "GET", url, submitter)
    assert empty.status_code == 200, empty.json
    assert empty.json["elements"] == [] and empty.json["peut_ecrire"] is True

    key = {"Idempotency-Key": "message-1"}
    sent = call(
        client, "POST", url, submitter, json={"texte": "Bonjour,\r\nune question."}, headers=key
    )
    assert sent.status_code == 201, sent.json
    assert sent.json["cote"] == "demandeur" and sent.json["texte"] == "Bonjour,\nune question."
    replayed = call(
        client, "POST", url, submitter, json={"texte": "Bonjour,\r\nune question."}, headers=key
    )
    assert replayed.status_code == 201 and replayed.json == sent.json
    assert messages(session) == 1

    seen = call(client, "GET", url, agent).json["elements"]
    assert [m["texte"] for m in seen] == ["Bonjour,\nune question."]
    assert seen[0]["cote"] == "demandeur" and seen[0]["non_lu"] is True
    answer = call(
        client,
        "POST",
        url,
        agent,
        data={"texte": "Voici la réponse.", "pieces": [pdf("reponse.pdf")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["cote"] == "instruction"
    assert [(p["nom"], p["taille"]) for p in answer.json["pieces"]] == [
        ("reponse.pdf", len(SAMPLE_PDF))
    ]
    read = call(client, "GET", url, submitter).json["elements"]
    assert [m["cote"] for m in read] == ["demandeur", "instruction"]
    assert read[0]["de_moi"] is True and read[1]["de_moi"] is False
    # The submitter reads the authority, never the agent's name.
    assert read[1]["auteur"] == read[1]["cote_libelle"] != ""
    assert read[1]["non_lu"] is True and read[1]["pieces"][0]["nom"] == "reponse.pdf"


def test_what_each_caller_may_not_do(
    client: FlaskClient, session: Session, upload_dir: Path
) -> None:
    dossier = deposer(session, upload_dir)
    url = f"/api/v1/dossiers/{dossier}/messages"
    submitter = token_for(session, SUBMITTER)
    empty = call(client, "POST", url, submitter, json={"texte": "  "})
    assert empty.status_code == 422
    assert empty.json["erreurs"] == {"texte": "Écrivez votre message."}
    wrong = call(client, "POST", url, submitter, json={"texte": 3, "autre": 1})
    assert wrong.status_code == 422
    assert wrong.json["erreurs"] == {
        "texte": "Saisissez un texte.",
        "autre": "Ce champ n'est pas attendu.",
    }
    bad_piece = call(
        client,
        "POST",
        url,
        submitter,
        data={"texte": "Avec pièce", "pieces": [pdf("faux.pdf", b"pas un pdf")]},
        content_type="multipart/form-data",
    )
    assert bad_piece.status_code == 422
    assert "pieces" in bad_piece.json["erreurs"]

    other = token_for(session, "demandeur2@example.org")
    assert call(client, "GET", url, other).status_code == 404
    assert call(client, "POST", url, other, json={"texte": "Intrus"}).status_code == 404
    reader = token_for(session, SUBMITTER, ("lecture",))
    refused = call(client, "POST", url, reader, json={"texte": "Lecture seule"})
    assert refused.status_code == 403
    assert "ecriture" in refused.json["detail"]
    assert call(client, "GET", url).status_code == 401
    # An administrator reads the messages but is not a side of the dossier, as on its page.
    admin = token_for(session, "admin@example.org", ("lecture", "ecriture", "admin"))
    assert call(client, "GET", url, admin).status_code == 200
    not_a_side = call(client, "POST", url, admin, json={"texte": "Bonjour"})
    assert not_a_side.status_code == 403
    assert not_a_side.json["detail"] == (
        "Seuls les agents qui instruisent les dossiers écrivent dans la messagerie."
    )
    assert call(client, "GET", "/api/v1/dossiers/999999999/messages", submitter).status_code == 404
    assert messages(session) == 0
