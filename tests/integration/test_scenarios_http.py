"""Every scenario of the recensement, walked through HTTP by its users."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.studio.scenario import load_scenarios
from tests.support import Browser, text_of
from tests.walk import PROCESS, PROCESSES, Walker

SCENARIOS = {scenario.name: scenario for scenario in load_scenarios(PROCESS)}
REQUIRED = {
    "classee_sans_suite",
    "rappel_instruction",
    "favorable",
    "irrecevable",
    "complements_recevabilite_puis_instruction",
    "refus",
    "ajournement",
    "mandataire",
}


def test_the_required_scenarios_exist() -> None:
    assert set(SCENARIOS) >= REQUIRED


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_through_http(name: str, browser_factory: Callable[[], Browser]) -> None:
    scenario = SCENARIOS[name]
    walker = Walker(browser_factory, scenario.organisation)
    walker.play(scenario)
    expected = scenario.expect["statut"]
    assert walker.status_seen_by_demandeur() == expected
    page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
    assert f"Le dossier est clos : {expected}." in page
    if expected == "Recensée":
        # The publication is a job: it is there once the worker has run.
        assert "Numéro à l'Inventaire" not in page
        walker.run_jobs()
        page = text_of(walker.demandeur.get(f"/demandes/{walker.dossier_id}"))
        assert "Numéro à l'Inventaire INV" in page


def test_scenarios_run_command_passes_every_scenario() -> None:
    from web.cli import main

    result = CliRunner().invoke(main, ["scenarios", "run", str(PROCESS)])
    assert result.exit_code == 0, result.output
    assert f"{len(SCENARIOS)} passed, 0 failed" in result.output


def test_scenarios_run_reports_a_failing_scenario(tmp_path: Path) -> None:
    from web.cli import main

    folder = tmp_path / "recensement"
    folder.mkdir()
    for path in PROCESS.rglob("*"):
        target = folder / path.relative_to(PROCESS)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.parent.name != "scenarios" or path.name == "refus.json":
            target.write_bytes(path.read_bytes())
    broken = (folder / "scenarios" / "refus.json").read_text().replace('"Refusée"', '"Recensée"')
    (folder / "scenarios" / "refus.json").write_text(broken)
    result = CliRunner().invoke(main, ["scenarios", "run", str(folder)])
    assert result.exit_code == 1
    assert (
        "ÉCHEC" in result.output
        and "statut attendu «\u00a0Recensée\u00a0», obtenu «\u00a0Refusée\u00a0»" in result.output
    )


@pytest.mark.parametrize(
    ("folder", "numbers"), [("retrait", r"INV\d{5}"), ("retrait-rs", r"RS\d+")]
)
def test_a_retrait_scenario_withdraws_an_entry_of_its_own_register(
    folder: str, numbers: str
) -> None:
    """The CNCP withdraws Inventaire entries, France compétences RS ones: each scenario's
    entry is of its process's register, a certifier without an account included."""
    scenarios = load_scenarios(PROCESSES / folder)
    entries = {scenario.name: scenario.start_data["numero_inventaire"] for scenario in scenarios}
    assert all(re.fullmatch(numbers, str(numero)) for numero in entries.values()), entries
    postal = [s.name for s in scenarios if s.start_data.get("certificateur_connu") is False]
    assert "retrait_certificateur_sans_compte" in postal


def test_scenarios_run_command_passes_the_retrait_scenarios() -> None:
    from web.cli import main

    count = len(load_scenarios(PROCESSES / "retrait"))
    result = CliRunner().invoke(main, ["scenarios", "run", str(PROCESSES / "retrait")])
    assert result.exit_code == 0, result.output
    assert f"{count} passed, 0 failed" in result.output
