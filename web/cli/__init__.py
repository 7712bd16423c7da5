"""The `inventaire` command line (DESIGN §9: these names are a contract): the group, and one
module per group of commands, each parsing its options, calling the engine and saying in
French what was done."""

from __future__ import annotations

import click

from web import logs
from web.cli.audit import audit_group
from web.cli.database import db_group, demo_command
from web.cli.processes import processes_group, scenarios_group
from web.cli.register import register_group
from web.cli.serve import run_command
from web.cli.serving import serve_command
from web.cli.worker import worker_command


@click.group()
def main() -> None:
    """Inventaire : recensement des certifications à l'Inventaire."""
    # Before anything logs (the worker's lines, the requests'): INVENTAIRE_LOG_LEVEL/_FORMAT.
    logs.configure()


for _command in (
    run_command,
    serve_command,
    worker_command,
    db_group,
    demo_command,
    processes_group,
    scenarios_group,
    register_group,
    audit_group,
):
    main.add_command(_command)
