"""Loading what an action or a page is about: a dossier, a work item, a task's form; each
through its access rule (engine.workflow.access)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, joinedload

from engine.core.actor import Actor
from engine.core.errors import NotFound
from engine.core.models import Instance, WorkItem
from engine.definitions.definition import ProcessDefinition
from engine.definitions.forms import FormDefinition
from engine.workflow.access import Refusal, enforce, may_see_dossier, refusal_to_act

ItemRule = Callable[[Actor, WorkItem, Instance], Refusal | None]


def get_instance(session: Session, actor: Actor, instance_id: int) -> Instance:
    """The dossier, if the actor may see it (NotFound otherwise: it stays hidden)."""
    instance = session.get(Instance, instance_id)
    if instance is None or not may_see_dossier(actor, instance):
        raise NotFound("Dossier introuvable.")
    return instance


# A dossier's open work items, loaded with it for the projection that follows an action.
with_open_items = joinedload(Instance.open_items)
# Built once: a loader option costs more to build than the identity map's answer it leads to.
_WITH_DOSSIER = [joinedload(WorkItem.instance).options(with_open_items)]


def get_work_item(session: Session, work_item_id: int) -> WorkItem:
    # Its instance comes in the same query: every caller reads it next; and the dossier's open
    # items, which an action's projection reads (a task page's too).
    item = session.get(WorkItem, work_item_id, options=_WITH_DOSSIER)
    if item is None:
        raise NotFound("Tâche introuvable.")
    return item


def item_with_instance(session: Session, work_item_id: int) -> tuple[WorkItem, Instance]:
    item = get_work_item(session, work_item_id)
    instance = session.get(Instance, item.instance_id)
    if instance is None:
        raise NotFound("Dossier introuvable.")
    return item, instance


def open_item_for(
    session: Session, actor: Actor, work_item_id: int, rule: ItemRule = refusal_to_act
) -> tuple[WorkItem, Instance]:
    """The work item and its dossier, once `rule` allows the actor (its refusal raised)."""
    item, instance = item_with_instance(session, work_item_id)
    enforce(session, rule(actor, item, instance))
    return item, instance


def form_of(definition: ProcessDefinition, item: WorkItem) -> FormDefinition:
    if not item.form or item.form not in definition.forms:
        raise NotFound("Formulaire introuvable pour cette tâche.")
    return definition.forms[item.form]
