"""Each register speaks for its own authority (issue 11): an RS dossier's pages name France
compétences and the Répertoire spécifique, never the CNCP nor the Inventaire, to its certifier
and to France compétences' people; an Inventaire dossier still names the CNCP. Which authority
and service a process belongs to is its process.json's `"service"` block."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from engine.core.errors import ProcessModelError
from engine.definitions.checking import check_files
from engine.definitions.definition import build_definition, read_folder
from engine.studio.scenario import load_scenarios
from tests.dossiers import walk_until
from tests.messagerie import write
from tests.support import Browser, main_text
from tests.walk import PROCESSES, RS, Walker

NewBrowser = Callable[[], Browser]
ENREGISTREMENT = {s.name: s for s in load_scenarios(PROCESSES / "enregistrement-rs")}
# What an RS page never says: the Inventaire's authority, its staff or its register.
INVENTAIRE_WORDS = ("CNCP", "Commission nationale", "Inventaire", "secrétariat")
MESSAGE = "Bonjour, merci de préciser le nombre de sessions d'évaluation organisées en 2025."


def assert_rs_words(text: str, where: str) -> None:
    for word in INVENTAIRE_WORDS:
        assert word not in text, f"« {word} » on {where}: {text[:3000]}"


def staff_task_page(walker: Walker, task: str) -> str:
    """The task's page as its reviewer opens it from the bannette."""
    browser = walker.as_user(walker.reviewer_for(task))
    inbox = browser.get(f"/instruction/?etape={task}").get_data(as_text=True)
    match = re.search(r'href="(/instruction/taches/\d+)"', inbox)
    assert match, f"{task} not in the bannette"
    return main_text(browser.get(match.group(1)))


def test_an_rs_dossier_names_france_competences_to_the_certifier_and_the_staff(
    browser_factory: NewBrowser,
) -> None:
    scenario = ENREGISTREMENT["favorable"]
    walker = Walker(browser_factory, scenario.organisation, RS)
    certifier = walker.demandeur
    # The filing form is France compétences' request, not the Inventaire's.
    created = certifier.post(
        "/demandes/nouvelle", {"processus": "enregistrement-rs"}, from_page="/demandes/"
    )
    first_page = certifier.get(created.headers["Location"]).headers["Location"]
    filing = main_text(certifier.get(first_page))
    assert "Enregistrement au Répertoire spécifique" in filing
    assert_rs_words(filing, "the filing form")
    walker.deposer_brouillon(
        int(first_page.split("/")[2]), scenario.steps[0].data, "deposer_demande"
    )
    waiting = main_text(certifier.get(f"/demandes/{walker.dossier_id}"))
    assert (
        "Rien pour le moment : votre demande est entre les mains de France compétences "
        "(Déposée)." in waiting
    )
    # The services write to the certifier: it reads the message from France compétences.
    services = walker.as_user("rapporteur@example.org")
    sent = write(services, f"/instruction/dossiers/{walker.dossier_id}/messages", MESSAGE)
    assert sent.status_code == 302
    messagerie = main_text(certifier.get(f"/demandes/{walker.dossier_id}"))
    assert "France compétences – " in messagerie and MESSAGE in messagerie

    # Every reviewer's task page, on the way.
    for step in scenario.steps[1:]:
        assert step.task is not None
        assert_rs_words(staff_task_page(walker, step.task), step.task)
        walker.step(step.task, step.data, step.timer)
    walker.run_jobs()

    page = main_text(certifier.get(f"/demandes/{walker.dossier_id}"))
    assert_rs_words(page, "the certifier's dossier page")
    # The staff's steps are France compétences'; their agents' names stay internal.
    assert "Examiner la recevabilité – France compétences, le" in page
    assert "Décider de l'enregistrement – France compétences, le" in page
    assert "Numéro au Répertoire spécifique RS" in page

    staff = main_text(
        walker.as_user("rapporteur@example.org").get(f"/instruction/dossiers/{walker.dossier_id}")
    )
    assert_rs_words(staff, "the staff's dossier page")
    assert "Numéro au Répertoire spécifique RS" in staff
    assert MESSAGE in staff and "(France compétences)" in staff
    # The staff read their own people's names and answers.
    assert "Déclarer recevable" in staff


def test_an_inventaire_dossier_still_names_the_cncp(browser_factory: NewBrowser) -> None:
    walker = walk_until(browser_factory, "designer_rapporteur")
    page = main_text(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert "Examiner la recevabilité – CNCP, le" in page
    assert (
        "Rien pour le moment : votre demande est entre les mains de la CNCP (En instruction)."
        in page
    )
    assert "France compétences" not in page
    created = walker.demandeur.post("/demandes/nouvelle", from_page="/demandes/")
    first_page = walker.demandeur.get(created.headers["Location"]).headers["Location"]
    assert "Recensement à l'Inventaire" in main_text(walker.demandeur.get(first_page))


@pytest.mark.parametrize("service_id", ["", "France Compétences", "FC", "-fc", "fc-", 7])
def test_a_wrong_service_id_is_refused_at_deployment(service_id: object) -> None:
    files = read_folder(PROCESSES / "enregistrement-rs")
    config = json.loads(files["process.json"])
    config["service"] = config["service"] | {"id": service_id}
    files = {**files, "process.json": json.dumps(config)}
    with pytest.raises(ProcessModelError) as refused:
        build_definition(files)
    message = refused.value.user_message
    assert message.startswith("process.json\u00a0: «\u00a0service")
    assert any(message in problem for problem in check_files(files))


def test_the_services_of_the_shipped_processes() -> None:
    services = {
        key: build_definition(read_folder(PROCESSES / key)).service
        for key in ("recensement", "retrait", "enregistrement-rs", "retrait-rs")
    }
    assert {key: (s.id, s.autorite, s.de_autorite) for key, s in services.items()} == {
        "recensement": ("cncp", "CNCP", "de la CNCP"),
        "retrait": ("cncp", "CNCP", "de la CNCP"),
        "enregistrement-rs": ("france-competences", "France compétences", "de France compétences"),
        "retrait-rs": ("france-competences", "France compétences", "de France compétences"),
    }
    # A process that names no service is the Inventaire's, as every process was before.
    files = read_folder(PROCESSES / "recensement")
    config = json.loads(files["process.json"])
    del config["service"]
    service = build_definition({**files, "process.json": json.dumps(config)}).service
    assert (service.id, service.autorite, service.de_autorite) == ("cncp", "CNCP", "de la CNCP")
