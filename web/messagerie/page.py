"""The messagerie's part of a dossier page (both spaces): what the reader sees, what they typed
in a form that was refused, and their read mark, set once the page shows the messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError

from engine.core import dialect
from engine.workflow.messagerie import read_marks, reading
from web.auth import current_actor
from web.database import db, sessions

log = logging.getLogger("inventaire.web.messagerie")


@dataclass(frozen=True)
class Draft:
    """A form of the page that was refused: which (`message` or `annotation`), the text typed
    (given back in its field) and the errors by field."""

    kind: str
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def messagerie_of(instance_id: int, *, mark: bool = True) -> reading.Messagerie:
    """The dossier's messagerie as the signed-in user reads it; opening it marks its messages
    read (`mark`), in a transaction of its own: the page is served even if that fails."""
    actor = current_actor()
    view = reading.messagerie_view(db(), actor, instance_id)
    if mark and view.unread and view.last_id is not None:
        try:
            with sessions()() as writer:
                dialect.begin_writing(writer)
                read_marks.mark_read(writer, actor, instance_id, view.last_id)
                writer.commit()
        except OperationalError:
            # Only the mark is lost (the database is busy): the messages stay counted unread.
            log.warning("Read mark not recorded", exc_info=True)
    return view
