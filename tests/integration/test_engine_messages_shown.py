"""The engine's refusals reach the process owner in French where they check a model: the
studio's *Valider* and `inventaire processes check`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.integration.test_studio import api_put, owner  # noqa: F401  (the fixture)
from tests.support import Browser, text_of
from tests.unit.test_engine_messages import around, model

DATA_STORE = '<bpmn:dataStore id="registre_paie" name="Registre de paie" />\n  '


def test_the_studio_names_the_data_store_the_engine_cannot_use(owner: Browser) -> None:  # noqa: F811
    draft = owner.get("/studio/api/recensement/brouillon").get_json()
    files = dict(draft["files"])
    files["recensement.bpmn"] = files["recensement.bpmn"].replace(
        "<bpmn:process ", DATA_STORE + "<bpmn:process ", 1
    )
    saved = api_put(owner, files, draft["lock_version"])
    assert saved.status_code == 200  # type: ignore[attr-defined]

    checked = text_of(
        owner.post("/studio/recensement/verification", from_page="/studio/recensement/")
    )

    assert "n'est pas déployable" in checked
    assert "registre_paie" in checked
    assert "magasin de données « Registre de paie » : le moteur ne lit ni n'écrit" in checked
    assert "retirez-le du diagramme avec ses associations" in checked
    assert "diagramme refusé par le moteur" not in checked
    assert "has no implementation" not in checked


def test_processes_check_names_the_service_task_and_what_to_do(tmp_path: Path) -> None:
    from web.cli import main

    diagram = tmp_path / "paiement.bpmn"
    diagram.write_text(
        model(around('<bpmn:serviceTask id="payer" name="Payer les frais" />', "payer")),
        encoding="utf-8",
    )

    result = CliRunner().invoke(main, ["processes", "check", str(diagram)])

    assert result.exit_code == 1
    assert (
        "payer: tâche de service «\u00a0Payer les frais\u00a0»\u00a0: elle ne dit pas quel "
        "service appeler" in result.output
    )
    assert "faites-en une tâche de script" in result.output
    assert "A Service Task must have an operator" not in result.output
