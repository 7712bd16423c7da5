"""Who may do what: every access rule, written once.

A rule is a function of the actor and the object. The page calls it to show a menu entry, a
link or a button; the action calls the same function to perform the request or refuse it, so
what is shown and what is allowed cannot drift apart. A rule that refuses an action says why
with a `Refusal`: the error the action raises (404 when the object stays hidden from this
actor, 403 when it is someone else's, 409 when its state moved on) and its French message.

The rules are grouped by what they are about (`spaces`, `dossiers`, `messagerie`, `experts`,
`work_items`, `register`), one module each; callers import them from this package.
"""

from __future__ import annotations

from engine.workflow.access.dossiers import (
    may_read_staff_side,
    may_see_dossier,
    may_see_piece,
    refusal_to_start,
    visible_dossiers,
)
from engine.workflow.access.experts import (
    expert_may_read_piece,
    may_invite,
    may_read_expert_opinions,
    may_revoke,
    refusal_to_invite,
    refusal_to_revoke,
)
from engine.workflow.access.messagerie import (
    may_read_annotations,
    may_read_messages,
    may_write_annotation,
    may_write_message,
    may_write_messages,
    refusal_to_write_annotation,
    refusal_to_write_message,
)
from engine.workflow.access.refusals import (
    Refusal,
    enforce,
)
from engine.workflow.access.register import (
    refusal_to_renew,
    refusal_to_start_retrait,
)
from engine.workflow.access.spaces import (
    may_administer,
    may_manage_seances,
    may_open_administration,
    may_open_studio,
    may_open_task_pages,
    may_read_all_dossiers,
    may_read_staff_statistics,
    may_reassign_tasks,
    may_see_seances,
    may_use_inbox,
    may_use_submitter_space,
)
from engine.workflow.access.substitution import (
    acts_for,
    may_declare_absence,
    refusal_to_manage_absence,
)
from engine.workflow.access.work_items import (
    inbox_filter,
    may_act,
    may_be_designated,
    may_claim,
    may_hold,
    may_read_task,
    may_reassign,
    may_release,
    may_work_on,
    reassignable_to,
    refusal_to_act,
    refusal_to_claim,
    refusal_to_reassign,
    refusal_to_release,
)

__all__ = [
    "Refusal",
    "acts_for",
    "enforce",
    "expert_may_read_piece",
    "inbox_filter",
    "may_act",
    "may_administer",
    "may_be_designated",
    "may_claim",
    "may_declare_absence",
    "may_hold",
    "may_invite",
    "may_manage_seances",
    "may_open_administration",
    "may_open_studio",
    "may_open_task_pages",
    "may_read_all_dossiers",
    "may_read_annotations",
    "may_read_expert_opinions",
    "may_read_messages",
    "may_read_staff_side",
    "may_read_staff_statistics",
    "may_read_task",
    "may_reassign",
    "may_reassign_tasks",
    "may_release",
    "may_revoke",
    "may_see_dossier",
    "may_see_piece",
    "may_see_seances",
    "may_use_inbox",
    "may_use_submitter_space",
    "may_work_on",
    "may_write_annotation",
    "may_write_message",
    "may_write_messages",
    "reassignable_to",
    "refusal_to_act",
    "refusal_to_claim",
    "refusal_to_invite",
    "refusal_to_manage_absence",
    "refusal_to_reassign",
    "refusal_to_release",
    "refusal_to_renew",
    "refusal_to_revoke",
    "refusal_to_start",
    "refusal_to_start_retrait",
    "refusal_to_write_annotation",
    "refusal_to_write_message",
    "visible_dossiers",
]
