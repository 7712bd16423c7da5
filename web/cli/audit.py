"""`inventaire audit verify|seal|export`: the audit trail's chains checked, sealed, exported."""

from __future__ import annotations

import sys

import click
from flask import Flask

from engine.core.settings import EngineSettings
from web.cli.context import begin_writing, open_session, opened_app, upgraded
from web.cli.locking import while_locked

# verify's exit codes: 0 whole, 1 a break found, 2 nothing could be checked (no key, etc.).
EXIT_ALTERED = 1


@click.group("audit")
def audit_group() -> None:
    """Journal d'audit : vérifier les chaînes, sceller, exporter le journal d'un dossier."""


def _key(app: Flask) -> str:
    settings: EngineSettings = app.extensions["engine_settings"]
    return settings.audit_seal_key


@audit_group.command("verify")
def audit_verify() -> None:
    """Recalculer les chaînes et les sceaux\u00a0; nommer le premier événement altéré."""
    from engine.core.audit_verify import verify

    with opened_app() as app:
        upgraded(app)
        with open_session(app) as session:
            report = verify(session, _key(app))
    if not report.ok:
        click.echo(f"Journal d'audit altéré\u00a0: {report.breaks[0].sentence()}.", err=True)
        sys.exit(EXIT_ALTERED)
    click.echo(
        f"Journal d'audit intact\u00a0: {report.linked} événement(s) chaîné(s), "
        f"{report.seals} sceau(x) vérifié(s)."
    )
    if report.pending:
        click.echo(
            f"{report.pending} événement(s) récent(s) pas encore chaîné(s) "
            "(le prochain travail de chaînage ou « inventaire audit seal » les chaînera)."
        )
    if report.seals_unchecked:
        click.echo(
            "Signatures des sceaux non vérifiées\u00a0: INVENTAIRE_AUDIT_SEAL_KEY n'est pas "
            "définie."
        )


@audit_group.command("seal")
def audit_seal_command() -> None:
    """Chaîner les événements récents et sceller la tête de la chaîne (clé de l'opérateur)."""
    with opened_app(writing=True) as app:
        key = _key(app)
        if not key:
            click.echo(
                "INVENTAIRE_AUDIT_SEAL_KEY n'est pas définie\u00a0: aucun sceau n'est écrit.",
                err=True,
            )
            sys.exit(2)
        upgraded(app)
        seq, seal_id = while_locked(lambda: _seal(app, key))
    click.echo(f"Sceau n° {seal_id} écrit\u00a0: tête de la chaîne à la position {seq}.")


def _seal(app: Flask, key: str) -> tuple[int, int]:
    from engine.core.audit_seal import seal
    from engine.jobs.audit_job import schedule

    with open_session(app) as session:
        begin_writing(session)
        row = seal(session, key)
        schedule(session, after=row.at)
        session.commit()
        return row.chain_seq, row.id


@audit_group.command("export")
@click.argument("dossier", type=click.IntRange(min=1))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json ou csv.",
)
def audit_export_command(dossier: int, file_format: str) -> None:
    """Écrire le journal d'audit d'un dossier sur la sortie standard."""
    from engine.core import audit_export
    from engine.core.models import Instance

    with opened_app() as app:
        upgraded(app)
        with open_session(app) as session:
            if session.get(Instance, dossier) is None:
                click.echo(f"Aucun dossier n° {dossier}.", err=True)
                sys.exit(2)
            found = audit_export.rows(session, dossier)
    if file_format == "json":
        click.echo(audit_export.as_json(dossier, found))
    else:
        click.echo(audit_export.as_csv(found), nl=False)
