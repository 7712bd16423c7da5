"""The studio without JavaScript: drafts through the editor's API, validation, scenarios,
deployment of a new version while running dossiers stay on theirs, import from other tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import Instance, ProcessVersion, User
from engine.workflow.actions import starting
from tests.models_fixtures import automatic_loop
from tests.support import Browser, text_of

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "recensement"
NEW_FIELD = "numero_fiche_rncp"


@pytest.fixture
def owner(browser: Browser, restore: None) -> Browser:
    """The process owner's browser; the recensement is put back as it was afterwards."""
    browser.login("proprietaire@example.org")
    return browser


def api_put(browser: Browser, files: dict[str, str], lock_version: int) -> object:
    token = browser.csrf("/studio/recensement/")
    return browser.client.put(
        "/studio/api/recensement/brouillon",
        json={"files": files, "lock_version": lock_version},
        headers={"X-CSRFToken": token},
    )


def changed_files(files: dict[str, str]) -> dict[str, str]:
    """Rename the recevabilité task and add a field to the submitter's form."""
    result = dict(files)
    result["recensement.bpmn"] = files["recensement.bpmn"].replace(
        'name="Examiner la recevabilité"', 'name="Examiner la recevabilité de la demande"'
    )
    schema = json.loads(files["forms/saisir_demande.schema.json"])
    schema["properties"][NEW_FIELD] = {
        "type": "string",
        "title": "Numéro de fiche RNCP ou RS existante",
        "maxLength": 20,
    }
    result["forms/saisir_demande.schema.json"] = json.dumps(schema, ensure_ascii=False)
    ui = json.loads(files["forms/saisir_demande.ui.json"])
    ui["ui:pages"][0]["fields"].append(NEW_FIELD)
    result["forms/saisir_demande.ui.json"] = json.dumps(ui, ensure_ascii=False)
    return result


def latest(session: Session) -> ProcessVersion:
    session.rollback()
    row = session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == "recensement")
        .order_by(ProcessVersion.version.desc())
    )
    assert row is not None
    return row


def demandeur(session: Session) -> Actor:
    user = session.scalar(select(User).where(User.email == "demandeur@example.org"))
    assert user is not None
    return Actor.from_user(user)


def test_only_process_owners_enter_the_studio(browser_factory: object) -> None:
    for email in ("demandeur@example.org", "recevabilite@example.org", "admin@example.org"):
        browser = browser_factory()  # type: ignore[operator]
        browser.login(email)
        assert browser.get("/studio/").status_code == 403
        assert browser.get("/studio/api/recensement/brouillon").status_code == 403


def test_edit_validate_try_and_deploy_a_new_version(
    owner: Browser, session: Session, browser_factory: object
) -> None:
    before = latest(session)
    old_dossier = starting.start_instance(session, demandeur(session))
    session.commit()

    listing = text_of(owner.get("/studio/"))
    assert "Recensement à l'Inventaire" in listing

    draft = owner.get("/studio/api/recensement/brouillon").get_json()
    assert draft["main_bpmn"] == "recensement.bpmn"
    saved = api_put(owner, changed_files(draft["files"]), draft["lock_version"])
    assert saved.status_code == 200, saved.get_json()  # type: ignore[attr-defined]

    stale = api_put(owner, draft["files"], draft["lock_version"])
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert "enregistré entre-temps" in stale.get_json()["message"]  # type: ignore[attr-defined]

    verdict = owner.client.post(
        "/studio/api/recensement/brouillon/verification",
        headers={"X-CSRFToken": owner.csrf("/studio/recensement/")},
    ).get_json()
    assert verdict == {"deployable": True, "problems": []}

    page = text_of(owner.get("/studio/recensement/"))
    assert "Déployer" not in page.replace("Le déploiement est proposé", "")
    refused = owner.post("/studio/recensement/deploiement", from_page="/studio/recensement/")
    assert refused.status_code == 302
    assert latest(session).version == before.version

    tried = owner.post("/studio/recensement/scenarios", from_page="/studio/recensement/")
    assert tried.status_code == 200
    assert "Tous les scénarios passent" in text_of(tried)
    deployed = owner.post("/studio/recensement/deploiement", from_page="/studio/recensement/")
    assert deployed.status_code == 302
    new = latest(session)
    assert new.version == before.version + 1
    assert f"Version {new.version} déployée" in text_of(owner.get("/studio/recensement/"))

    submitter = browser_factory()  # type: ignore[operator]
    submitter.login("demandeur@example.org")
    created = submitter.post("/demandes/nouvelle", from_page="/demandes/")
    form = text_of(submitter.get(created.headers["Location"], follow_redirects=True))
    assert "Numéro de fiche RNCP ou RS existante" in form

    session.rollback()
    stored = session.get(Instance, old_dossier.id)
    assert stored is not None and stored.process_version_id == before.id
    old_form = text_of(submitter.get(f"/demandes/{old_dossier.id}/saisie/identification"))
    assert "Numéro de fiche RNCP" not in old_form


def test_bad_drafts_are_refused_and_problems_named(owner: Browser) -> None:
    draft = owner.get("/studio/api/recensement/brouillon").get_json()
    files = dict(draft["files"])
    bad = api_put(
        owner, {**files, "../../etc/passwd": "x", "forms/x.json": "{"}, draft["lock_version"]
    )
    assert bad.status_code == 422  # type: ignore[attr-defined]
    errors = bad.get_json()["errors"]  # type: ignore[attr-defined]
    assert "Nom de fichier refusé" in errors["../../etc/passwd"]
    assert errors["forms/x.json"].startswith("JSON invalide")

    broken = files["recensement.bpmn"].replace(' default="', ' data-default="', 1)
    saved = api_put(owner, {**files, "recensement.bpmn": broken}, draft["lock_version"])
    assert saved.status_code in (200, 422)  # type: ignore[attr-defined]
    checked = owner.post("/studio/recensement/verification", from_page="/studio/recensement/")
    assert "n'est pas déployable" in text_of(checked)


def test_form_preview_uses_the_server_renderer(owner: Browser) -> None:
    schema = {
        "type": "object",
        "properties": {"motif": {"type": "string", "title": "Motif du refus", "maxLength": 100}},
        "required": ["motif"],
    }
    answer = owner.client.post(
        "/studio/api/formulaire/apercu",
        json={"schema": json.dumps(schema), "ui": "{}"},
        headers={"X-CSRFToken": owner.csrf("/studio/recensement/")},
    ).get_json()
    assert answer["errors"] == []
    assert 'for="champ-motif"' in answer["html"] and "Motif du refus" in answer["html"]
    wrong = owner.client.post(
        "/studio/api/formulaire/apercu",
        json={"schema": "{", "ui": "{}"},
        headers={"X-CSRFToken": owner.csrf("/studio/recensement/")},
    ).get_json()
    assert wrong["html"] == "" and wrong["errors"][0].startswith("JSON invalide")


def test_import_from_another_modeler_lists_what_blocks_it(owner: Browser) -> None:
    foreign = automatic_loop("recensement")["recensement.bpmn"]
    response = owner.post(
        "/studio/recensement/import",
        {"fichier": (__import__("io").BytesIO(foreign.encode()), "export-camunda.bpmn")},
        from_page="/studio/recensement/",
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "importé dans le brouillon" in page
    assert "boucle sans tâche humaine ni minuterie" in page
    assert "saisie : Le fichier de formulaire « tour.schema.json » est introuvable." in page

    hostile = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>'
    )
    response = owner.post(
        "/studio/recensement/import",
        {"fichier": (__import__("io").BytesIO(hostile.encode()), "piege.bpmn")},
        from_page="/studio/recensement/",
        content_type="multipart/form-data",
    )
    page = text_of(response)
    assert "les DTD et entités XML sont refusées" in page
    assert "root:" not in page


GARBAGE = ["", "null", "[]", '{"files": 3, "lock_version": "x"}', "\x00" * 10, "{" * 5000]


def test_garbage_never_breaks_the_studio(owner: Browser) -> None:
    token = owner.csrf("/studio/recensement/")
    for key in ("inconnu", "..", "%00", "x" * 500):
        for url in (f"/studio/{key}/", f"/studio/api/{key}/brouillon", f"/studio/{key}/editeur"):
            assert owner.get(url).status_code == 404, url
    for body in GARBAGE:
        headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
        put = owner.client.put("/studio/api/recensement/brouillon", data=body, headers=headers)
        assert put.status_code == 422, body[:20]
        preview = owner.client.post("/studio/api/formulaire/apercu", data=body, headers=headers)
        assert preview.status_code == 200 and "Traceback" not in preview.get_data(as_text=True)
    no_file = owner.post("/studio/recensement/import", {}, from_page="/studio/recensement/")
    assert no_file.status_code == 302


def test_the_studio_and_the_command_give_the_same_verdict(owner: Browser, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from web.cli import main

    draft = owner.get("/studio/api/recensement/brouillon").get_json()
    files = dict(draft["files"])
    files["recensement.bpmn"] = files["recensement.bpmn"].replace(
        '<bpmn:exclusiveGateway id="gw_recevabilite"', '<bpmn:complexGateway id="gw_recevabilite"'
    )
    saved = api_put(owner, files, draft["lock_version"])
    assert saved.status_code == 200  # type: ignore[attr-defined]
    verdict = owner.client.post(
        "/studio/api/recensement/brouillon/verification",
        headers={"X-CSRFToken": owner.csrf("/studio/recensement/")},
    ).get_json()
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = CliRunner().invoke(main, ["processes", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert verdict["deployable"] is False
    assert [
        problem["message"] for problem in verdict["problems"]
    ] == result.output.strip().splitlines()


def test_decision_table_page_only_for_a_dmn_file_of_the_draft(owner: Browser) -> None:
    model = owner.get("/studio/recensement/")
    assert "Modifier la table de décision prequalification.dmn" in text_of(model)
    assert "/studio/recensement/decisions/prequalification.dmn" in model.get_data(as_text=True)

    page = owner.get("/studio/recensement/decisions/prequalification.dmn")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-file="prequalification.dmn"' in html
    assert "build/decisions.js" in html and "build/decisions.css" in html
    assert "Tables de décision" in text_of(page)

    assert owner.get("/studio/recensement/decisions/recensement.bpmn").status_code == 404
    assert owner.get("/studio/recensement/decisions/process.json").status_code == 404
    assert owner.get("/studio/recensement/decisions/inconnue.dmn").status_code == 404
    assert owner.get("/studio/recensement/decisions/../prequalification.dmn").status_code == 404
    assert owner.get("/studio/inconnu/decisions/prequalification.dmn").status_code == 404


def test_the_retrait_process_is_edited_in_the_studio_like_the_recensement(
    owner: Browser,
) -> None:
    listing = text_of(owner.get("/studio/"))
    assert "Retrait d'une certification de l'Inventaire" in listing
    assert "Retrait d'une certification de l'Inventaire" in text_of(owner.get("/studio/retrait/"))

    draft = owner.get("/studio/api/retrait/brouillon").get_json()
    assert draft["main_bpmn"] == "retrait.bpmn"
    files = dict(draft["files"])
    files["retrait.bpmn"] = files["retrait.bpmn"].replace(
        'name="Statuer sur le retrait"', 'name="Statuer sur le retrait envisagé"'
    )
    token = owner.csrf("/studio/retrait/")
    saved = owner.client.put(
        "/studio/api/retrait/brouillon",
        json={"files": files, "lock_version": draft["lock_version"]},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 200, saved.get_json()
    verdict = owner.client.post(
        "/studio/api/retrait/brouillon/verification", headers={"X-CSRFToken": token}
    ).get_json()
    assert verdict == {"deployable": True, "problems": []}
    tried = owner.post("/studio/retrait/scenarios", from_page="/studio/retrait/")
    assert "Tous les scénarios passent" in text_of(tried)
    assert "retrait_apres_observations" in text_of(
        tried
    ) or "Retrait après les observations" in text_of(tried)
