"""The whole register as files: /registre/export.xml (France compétences' format) and
/registre/export.csv. The exporters (engine/opendata/export.py) write to a file object."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from flask import Response

from engine.core.clock import PARIS, utcnow
from engine.register.opendata.export import export_csv as write_csv
from engine.register.opendata.export import export_xml as write_xml
from web.database import db
from web.http_cache import public_register
from web.registre import bp

CHUNK = 64 * 1024
# The export is written to memory, then to a temporary file past this size: the response is
# sent in chunks either way, and the database session is done before the first byte leaves.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
# An hour in shared caches; revalidating costs one read, and the file is named after the day.
EXPORT_MAX_AGE = 3600


@bp.get("/export.xml")
@public_register(EXPORT_MAX_AGE, stale=EXPORT_MAX_AGE, daily=True)
def export_xml() -> Response:
    return _download(lambda out: write_xml(db(), out), "application/xml; charset=utf-8", "xml")


@bp.get("/export.csv")
@public_register(EXPORT_MAX_AGE, stale=EXPORT_MAX_AGE, daily=True)
def export_csv() -> Response:
    def write_text(out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        write_csv(db(), text)
        text.flush()
        text.detach()  # leave `out` open for the response

    return _download(write_text, "text/csv; charset=utf-8", "csv")


def _download(write: Callable[[IO[bytes]], Any], content_type: str, suffix: str) -> Response:
    # Closed with the response (call_on_close), whether it was read to the end or not.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")  # noqa: SIM115
    try:
        write(spool)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    # The day in the name is the one the pages show: Paris time.
    filename = f"registre-inventaire-{utcnow().astimezone(PARIS):%Y-%m-%d}.{suffix}"
    response = Response(
        _chunks(spool),
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
        },
    )
    response.call_on_close(spool.close)
    return response


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    while chunk := spool.read(CHUNK):
        yield chunk
