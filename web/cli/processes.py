"""`inventaire processes check|deploy` and `inventaire scenarios run`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from engine.core.errors import ProcessModelError
from engine.definitions.checking import check_paths
from engine.definitions.definition import read_folder
from engine.definitions.deployment import deploy
from engine.studio.replay import replay
from engine.studio.scenario import ScenarioResult, load_scenarios
from web.cli.context import begin_writing, open_session, opened_app, upgraded
from web.cli.locking import while_locked

if TYPE_CHECKING:
    from engine.core.models import ProcessVersion


@click.group("processes")
def processes_group() -> None:
    """Modèles de processus."""


@processes_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def processes_check(files: tuple[str, ...]) -> None:
    """Valider des fichiers BPMN/DMN comme le ferait un déploiement."""
    problems = check_paths([Path(name) for name in files])
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("Déployable.")


@processes_group.command("deploy")
@click.argument("folder", type=click.Path(file_okay=False))
def processes_deploy(folder: str) -> None:
    """Déployer un dossier de processus comme nouvelle version."""
    with opened_app(writing=True) as app:
        try:
            files = read_folder(Path(folder))
            upgraded(app)
            version, created = while_locked(lambda: _deploy(app, files))
        except ProcessModelError as error:
            for problem in error.problems:
                click.echo(problem, err=True)
            sys.exit(1)
    if created:
        click.echo(f"«\u00a0{version.key}\u00a0» déployé en version {version.version}.")
    else:
        click.echo(
            f"«\u00a0{version.key}\u00a0» version {version.version}\u00a0: contenu identique, "
            "rien à faire."
        )


def _deploy(app: Flask, files: dict[str, str]) -> tuple[ProcessVersion, bool]:
    with open_session(app) as session:
        begin_writing(session)
        version, created = deploy(session, files)
        session.commit()
    return version, created


@click.group("scenarios")
def scenarios_group() -> None:
    """Scénarios des modèles de processus."""


@scenarios_group.command("run")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def scenarios_run(folder: str | None) -> None:
    """Rejouer les scénarios (dans une base jetable) et rendre compte."""
    from web.config import default_processes_dir

    if folder:
        folders = [Path(folder)]
    else:
        folders = [
            path
            for path in sorted(default_processes_dir().iterdir())
            if (path / "process.json").is_file()
        ]
    failures = 0
    total = 0
    for process_folder in folders:
        results = replay_folder(process_folder)
        for result in results:
            total += 1
            mark = "OK    " if result.passed else "ÉCHEC "
            failures += 0 if result.passed else 1
            name = f"{process_folder.name}/{result.scenario.name}"
            click.echo(f"{mark}{name}\u00a0: {result.scenario.title} — {result.message}")
    click.echo(f"{total - failures} passed, {failures} failed")
    if failures or not total:
        sys.exit(1)


def replay_folder(folder: Path) -> list[ScenarioResult]:
    """Replay a folder's scenarios in a throwaway SQLite database, one transaction each."""
    try:
        return replay(read_folder(folder), load_scenarios(folder))
    except ProcessModelError as error:
        click.echo("\n".join(error.problems), err=True)
        sys.exit(1)
