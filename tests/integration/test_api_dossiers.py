"""A submitter's system files a request through the API (draft, pieces, filing, each as the
pages would), idempotent creation and filing, French per-field errors; a reviewer completes
the next task through the API; what each must not see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import Instance
from tests.api import call, token_for
from tests.dossiers import data_of
from tests.support import SAMPLE_PDF
from tests.walk import form_of

FILING = "saisir_demande"


def _upload(client: FlaskClient, token: str, dossier: int, field: str) -> str:
    import io

    sent = call(
        client,
        "POST",
        f"/api/v1/dossiers/{dossier}/pieces",
        token,
        data={"champ": field, "fichier": (io.BytesIO(SAMPLE_PDF), f"{field}.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.json
    return str(sent.json["id"])


def _filing_data(client: FlaskClient, token: str, dossier: int) -> dict[str, Any]:
    """The favorable scenario's filing values, its files uploaded first (their ids given)."""
    form = form_of(FILING)
    data = data_of("favorable", FILING)
    for name, value in list(data.items()):
        field = form.get_field(name)
        if field.widget == "file":
            data[name] = _upload(client, token, dossier, name)
        elif field.widget == "files":
            data[name] = [_upload(client, token, dossier, name) for _ in value]
    return data


def test_a_submitter_files_a_request_and_a_reviewer_completes_the_next_task(
    client: FlaskClient, session: Session
) -> None:
    token = token_for(session, "demandeur@example.org")
    processes = call(client, "GET", "/api/v1/processus", token).json["elements"]
    assert "recensement" in {item["cle"] for item in processes}
    form = call(client, "GET", "/api/v1/processus/recensement/formulaire", token)
    assert form.status_code == 200
    assert "intitule" in form.json["schema"]["properties"]

    key = {"Idempotency-Key": "creation-1"}
    created = call(
        client, "POST", "/api/v1/dossiers", token, json={"processus": "recensement"}, headers=key
    )
    assert created.status_code == 201, created.json
    dossier = created.json["id"]
    assert created.headers["Location"].endswith(f"/api/v1/dossiers/{dossier}")
    again = call(
        client, "POST", "/api/v1/dossiers", token, json={"processus": "recensement"}, headers=key
    )
    assert again.status_code == 201 and again.json == created.json
    assert again.headers["Idempotent-Replayed"] == "true"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Instance)) == 1
    other_body = call(
        client,
        "POST",
        "/api/v1/dossiers",
        token,
        json={"processus": "enregistrement-rs"},
        headers=key,
    )
    assert other_body.status_code == 422

    # A draft filled in part; a wrong type and an unknown field refused per field, in French.
    saved = call(
        client,
        "PATCH",
        f"/api/v1/dossiers/{dossier}/brouillon",
        token,
        json={"donnees": {"intitule": "Habilitation électrique"}},
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["valeurs"]["intitule"] == "Habilitation électrique"
    wrong = call(
        client,
        "PATCH",
        f"/api/v1/dossiers/{dossier}/brouillon",
        token,
        json={"donnees": {"inconnu": 1}},
    )
    assert wrong.status_code == 422
    assert wrong.json["erreurs"] == {"inconnu": "Ce champ n'existe pas dans le formulaire."}
    incomplete = call(client, "POST", f"/api/v1/dossiers/{dossier}/depot", token, json={})
    assert incomplete.status_code == 422
    assert incomplete.mimetype == "application/problem+json"
    assert incomplete.json["erreurs"]  # the required fields, each with its French message
    assert all(isinstance(message, str) for message in incomplete.json["erreurs"].values())

    data = _filing_data(client, token, dossier)
    filing_key = {"Idempotency-Key": "depot-1"}
    filed = call(
        client,
        "POST",
        f"/api/v1/dossiers/{dossier}/depot",
        token,
        json={"donnees": data},
        headers=filing_key,
    )
    assert filed.status_code == 201, filed.json
    reference = filed.json["reference"]
    assert reference and reference in filed.json["message"]
    replayed = call(
        client,
        "POST",
        f"/api/v1/dossiers/{dossier}/depot",
        token,
        json={"donnees": data},
        headers=filing_key,
    )
    assert replayed.status_code == 201 and replayed.json == filed.json
    twice = call(client, "POST", f"/api/v1/dossiers/{dossier}/depot", token, json={"donnees": data})
    assert twice.status_code == 409
    read = call(client, "GET", f"/api/v1/dossiers/{dossier}", token)
    assert read.json["reference"] == reference
    assert len(read.json["pieces"]) >= 1
    listed = call(client, "GET", "/api/v1/dossiers", token)
    assert [row["id"] for row in listed.json["elements"]] == [dossier]

    # Another organisation's submitter does not see it, nor may a reviewer act as a submitter.
    other = token_for(session, "demandeur2@example.org")
    assert call(client, "GET", f"/api/v1/dossiers/{dossier}", other).status_code == 404
    assert call(client, "GET", "/api/v1/dossiers", other).json["elements"] == []
    assert (
        call(client, "POST", f"/api/v1/dossiers/{dossier}/depot", other, json={}).status_code == 404
    )

    # The reviewer finds the task in their tasks and completes it through the same validation.
    reviewer = token_for(session, "recevabilite@example.org")
    tasks = call(client, "GET", "/api/v1/taches", reviewer).json["elements"]
    task = next(item for item in tasks if item["dossier"] == dossier)
    shown = call(client, "GET", f"/api/v1/taches/{task['id']}", reviewer)
    assert shown.json["peut_agir"] is True
    assert "decision" in shown.json["formulaire"]["schema"]["properties"]
    assert call(client, "GET", f"/api/v1/taches/{task['id']}", other).status_code == 404
    assert (
        call(
            client, "POST", f"/api/v1/taches/{task['id']}", token, json={"donnees": {}}
        ).status_code
        == 404
    )
    refused = call(
        client,
        "POST",
        f"/api/v1/taches/{task['id']}",
        reviewer,
        json={"donnees": {"decision": "peut-etre"}},
    )
    assert refused.status_code == 422
    assert "decision" in refused.json["erreurs"]
    done = call(
        client,
        "POST",
        f"/api/v1/taches/{task['id']}",
        reviewer,
        json={"donnees": data_of("favorable", "examiner_recevabilite")},
    )
    assert done.status_code == 200, done.json
    assert done.json["statut"] != read.json["statut"]
    after = call(client, "GET", f"/api/v1/dossiers/{dossier}", token)
    assert after.json["statut"] == done.json["statut"]


def test_bad_bodies_get_problems_never_500(client: FlaskClient, session: Session) -> None:
    token = token_for(session, "demandeur@example.org")
    not_json = call(
        client, "POST", "/api/v1/dossiers", token, data="{", content_type="application/json"
    )
    assert not_json.status_code == 400
    assert not_json.json["detail"] == "Le corps de la requête n'est pas du JSON valide."
    as_form = call(client, "POST", "/api/v1/dossiers", token, data={"processus": "x"})
    assert as_form.status_code == 415
    wrong_type = call(client, "POST", "/api/v1/dossiers", token, json={"processus": 3})
    assert wrong_type.status_code == 422
    assert wrong_type.json["erreurs"] == {"processus": "Saisissez un texte."}
    huge = call(client, "POST", "/api/v1/dossiers", token, json={"processus": "x" * 10_000_000})
    assert huge.status_code in (413, 422)
    assert huge.mimetype == "application/problem+json"
    unknown = call(client, "POST", "/api/v1/dossiers", token, json={"processus": "retrait"})
    assert unknown.status_code == 404
    assert call(client, "GET", "/api/v1/dossiers/999999999", token).status_code == 404
    assert call(client, "DELETE", "/api/v1/dossiers", token).status_code == 405


def test_a_reviewer_claims_and_releases_a_task_as_with_the_buttons(
    client: FlaskClient, session: Session, upload_dir: Path
) -> None:
    from engine.core.models import WorkItem
    from tests.integration.test_webhooks import deposer

    dossier = deposer(session, upload_dir)
    reviewer = token_for(session, "recevabilite@example.org")
    task = next(
        item
        for item in call(client, "GET", "/api/v1/taches", reviewer).json["elements"]
        if item["dossier"] == dossier
    )
    url = f"/api/v1/taches/{task['id']}"

    # Who may not: a submitter (no *Bannette*), a read-only token, a reviewer of another role.
    submitter = token_for(session, "demandeur@example.org")
    assert call(client, "POST", f"{url}/prendre", submitter).status_code == 403
    reader = token_for(session, "recevabilite@example.org", ("lecture",))
    assert call(client, "POST", f"{url}/prendre", reader).status_code == 403
    rapporteur = token_for(session, "rapporteur@example.org")
    assert call(client, "POST", f"{url}/prendre", rapporteur).status_code in (403, 404)
    assert call(client, "POST", "/api/v1/taches/999999999/prendre", reviewer).status_code == 404
    session.rollback()
    stored = session.get(WorkItem, task["id"])
    assert stored is not None and stored.claimed_by_id is None

    taken = call(client, "POST", f"{url}/prendre", reviewer)
    assert taken.status_code == 200, taken.json
    assert taken.json["prise_en_charge_par"] and "prise en charge" in taken.json["message"]
    shown = call(client, "GET", "/api/v1/dossiers/" + str(dossier), reviewer).json
    assert shown["taches_ouvertes"][0]["prise_en_charge_par"] == taken.json["prise_en_charge_par"]
    released = call(client, "POST", f"{url}/liberer", reviewer)
    assert released.status_code == 200, released.json
    assert released.json["prise_en_charge_par"] is None
    again = call(client, "POST", f"{url}/liberer", reviewer)
    assert again.status_code in (403, 409)
    assert again.mimetype == "application/problem+json"
    session.rollback()
    stored = session.get(WorkItem, task["id"])
    assert stored is not None and stored.claimed_by_id is None
