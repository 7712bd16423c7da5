"""`inventaire register export|import`: the register in France compétences' open-data format."""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from web.cli.context import begin_writing, open_session, opened_app, upgraded
from web.cli.locking import is_locked, while_locked

if TYPE_CHECKING:
    from engine.register.opendata.importer import ImportReport


@click.group("register")
def register_group() -> None:
    """Registre : export et import open data (format de France compétences)."""


@register_group.command("export")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["xml", "csv"]),
    default="xml",
    show_default=True,
    help="xml\u00a0: les fiches au format de France compétences\u202f; csv\u00a0: une ligne par "
    "entrée.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    help="Fichier à écrire (par défaut\u00a0: la sortie standard).",
)
def register_export(file_format: str, output: str | None) -> None:
    """Exporter le registre publié (« --output - » : la sortie standard)."""
    with opened_app() as app:
        try:
            upgraded(app)
            with open_session(app) as session:
                if output is None or output == "-":
                    count = _write_export(session, file_format, sys.stdout.buffer)
                else:
                    count = _export_to_file(session, file_format, Path(output))
        except BrokenPipeError:  # `inventaire register export | head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:
            click.echo(
                f"Impossible d'écrire «\u00a0{output}\u00a0»\u00a0: {error.strerror or error}.",
                err=True,
            )
            sys.exit(1)
    what = "fiche exportée" if count < 2 else "fiches exportées"
    click.echo(f"{count} {what} ({file_format.upper()}).", err=True)


def _export_to_file(session: Session, file_format: str, target: Path) -> int:
    """A regular file is written beside the target then renamed over it (never a half-written
    file); anything else (a device, a pipe) is written to as it is."""
    if target.exists() and not target.is_file():
        with target.open("wb") as stream:
            return _write_export(session, file_format, stream)
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(prefix=".export-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            count = _write_export(session, file_format, stream)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _write_export(session: Session, file_format: str, stream: BinaryIO) -> int:
    from engine.register.opendata.export import export_csv, export_xml

    if file_format == "xml":
        return export_xml(session, stream)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        return export_csv(session, text)
    finally:
        text.flush()
        text.detach()  # the caller's stream stays open


@register_group.command("import")
@click.argument("file", type=click.Path())
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=None,
    help="Taille maximale du fichier, en Mo (par défaut\u00a0: 150).",
)
def register_import(file: str, max_size: int | None) -> None:
    """Importer les fiches de l'export XML open data de France compétences."""
    from engine.register.opendata.importer import DEFAULT_MAX_BYTES, summary

    max_bytes = max_size * 1024 * 1024 if max_size else DEFAULT_MAX_BYTES
    with opened_app(writing=True) as app:
        upgraded(app)
        report = while_locked(lambda: _import_register(app, Path(file), max_bytes))
    for line in summary(report):
        click.echo(line)


def _import_register(app: Flask, path: Path, max_bytes: int) -> ImportReport:
    from engine.register.opendata.importer import ImportRefused, import_fiches

    with open_session(app) as session:
        begin_writing(session)
        try:
            report = import_fiches(session, path, max_bytes=max_bytes)
            session.commit()
        except ImportRefused as error:
            session.rollback()
            click.echo(error.user_message, err=True)
            sys.exit(2)
        except SQLAlchemyError as error:  # e.g. another import committed the same number
            session.rollback()
            if isinstance(error, OperationalError) and is_locked(error):
                raise
            click.echo(
                f"La base de données a refusé l'import ({type(error).__name__})\u00a0: "
                "aucune fiche n'a été importée. Relancez l'import.",
                err=True,
            )
            sys.exit(1)
    return report
