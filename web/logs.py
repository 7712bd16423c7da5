"""Logging of the processes we start (`inventaire run`, `inventaire worker`, `create_app`).

Our loggers are all named `inventaire.…` (`inventaire.web.request`, `inventaire.worker`…) and
write English lines to standard error: text by default, or one JSON object per line with
`INVENTAIRE_LOG_FORMAT=json` (time, level, logger, message and the record's own fields).
`INVENTAIRE_LOG_LEVEL` (default INFO) is the level of the `inventaire` loggers; other libraries
speak from WARNING on.

A process whose logging is already set up (a root handler exists: pytest's capture, a gunicorn
`--log-config`, an application embedding ours) keeps its handlers: we only set our level.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

ROOT_LOGGER = "inventaire"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord has: the rest of a record's attributes are the fields given in `extra`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)

log = logging.getLogger("inventaire.logs")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, process id, then
    the fields the call gave in `extra` (a request's status, a job's id…) and the exception if
    any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # Several processes write to one stream (`inventaire serve`): whose line it is.
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


class _StandardError(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (a test's capture replaces it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str | None = None, log_format: str | None = None) -> None:
    """Set our loggers up once per process; later calls change nothing."""
    root = logging.getLogger()
    if any(isinstance(handler, _StandardError) for handler in root.handlers):
        return
    level_name = (level or os.environ.get("INVENTAIRE_LOG_LEVEL") or "INFO").strip().upper()
    format_name = (log_format or os.environ.get("INVENTAIRE_LOG_FORMAT") or "text").strip()
    format_name = format_name.lower()
    ours = logging.getLogger(ROOT_LOGGER)
    if ours.level == logging.NOTSET:  # a level set by whoever configured logging stays
        ours.setLevel(level_name if level_name in LEVELS else logging.INFO)
    if not root.handlers:
        handler = _StandardError()
        handler.setFormatter(formatter(format_name if format_name in FORMATS else "text"))
        root.addHandler(handler)
    if level_name not in LEVELS:
        log.warning("Unknown INVENTAIRE_LOG_LEVEL %r: INFO is used", level_name)
    if format_name not in FORMATS:
        log.warning("Unknown INVENTAIRE_LOG_FORMAT %r: text is used", format_name)
