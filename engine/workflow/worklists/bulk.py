"""Bulk actions on a selection of dossiers: each dossier in its own transaction.

An action (`BulkAction`) checks its form once (`prepare`: FormInvalid, nothing done), then acts
on each dossier (`act`) in a transaction of its own: the dossier's change and its audit trail
are committed together, or it is refused (rolled back) with the reason, and the next dossier is
tried. A dossier that changed since the list was shown (its `lock_version` moved) is refused
before anything is done to it: the person chose it as it was.

The actions offered are those of `ACTIONS` (engine/workflow/worklists/bulk_actions.py): adding
one is writing its `prepare` and `act` and listing it there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.core.actor import Actor
from engine.core.errors import InventaireError
from engine.core.models import Instance
from engine.core.pieces import DocumentStore
from engine.workflow.access import may_see_dossier

MAX_SELECTION = 500
MOVED = (
    "Le dossier a changé depuis l'affichage de la liste (une autre action a eu lieu "
    "entre-temps)\u00a0: rouvrez-le pour vérifier son état avant d'agir."
)


@dataclass(frozen=True)
class Picked:
    """A dossier chosen in a list, with the version the person saw (None: not known)."""

    instance_id: int
    version: int | None

    @property
    def token(self) -> str:
        return f"{self.instance_id}:{self.version}" if self.version else str(self.instance_id)


def parse_selection(values: Sequence[str]) -> list[Picked]:
    """The checkboxes' values (`id:version`), without repeats, at most MAX_SELECTION."""
    found: dict[int, Picked] = {}
    for value in values:
        head, _sep, tail = value.partition(":")
        if not head.isdigit() or len(head) > 18:
            continue
        version = int(tail) if tail.isdigit() and len(tail) < 10 else None
        found.setdefault(int(head), Picked(int(head), version))
    return list(found.values())[:MAX_SELECTION]


@dataclass(frozen=True)
class BulkContext:
    session: Session
    actor: Actor
    store: DocumentStore | None


@dataclass(frozen=True)
class BulkAction:
    """One action of the bulk menu. `prepare` reads its form (the fields of the template
    `instruction/lot/<name>.html`) and returns what `act` needs, or raises FormInvalid; `act`
    does it to one dossier and says what was done (French), or raises an InventaireError
    whose message says why not."""

    name: str
    label: str
    may_use: Callable[[Actor], bool]
    prepare: Callable[[BulkContext, Mapping[str, str]], Any]
    act: Callable[[BulkContext, Instance, Any], str]
    # What the form offers (choices of people, of séances…), given to its template.
    options: Callable[[BulkContext], Mapping[str, Any]] = field(default=lambda _context: {})
    # An export produces a file rather than changes: not run dossier by dossier.
    per_dossier: bool = True


@dataclass(frozen=True)
class Outcome:
    instance_id: int
    reference: str
    done: bool
    message: str


def run(
    context: BulkContext, action: BulkAction, picked: Sequence[Picked], prepared: Any
) -> list[Outcome]:
    """The action on each dossier, one transaction each (committed or rolled back here)."""
    session = context.session
    outcomes: list[Outcome] = []
    for choice in picked:
        instance = session.get(Instance, choice.instance_id, populate_existing=True)
        if instance is None or not may_see_dossier(context.actor, instance):
            session.rollback()
            outcomes.append(Outcome(choice.instance_id, f"n° {choice.instance_id}", False,
                                    "Dossier introuvable."))  # fmt: skip
            continue
        reference = instance.reference or f"Brouillon n° {instance.id}"
        if choice.version is not None and instance.lock_version != choice.version:
            session.rollback()
            outcomes.append(Outcome(instance.id, reference, False, MOVED))
            continue
        try:
            message = action.act(context, instance, prepared)
            session.commit()
        except InventaireError as error:
            session.rollback()
            outcomes.append(Outcome(choice.instance_id, reference, False, error.user_message))
            continue
        except StaleDataError:  # another request changed it between our read and our write
            session.rollback()
            outcomes.append(Outcome(choice.instance_id, reference, False, MOVED))
            continue
        outcomes.append(Outcome(choice.instance_id, reference, True, message))
    return outcomes
