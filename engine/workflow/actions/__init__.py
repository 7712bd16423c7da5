"""User actions on dossiers, each within the caller's transaction (DESIGN §4).

Load the instance → check the actor (engine.workflow.access) → validate the form → restore the
workflow → complete the task → run the engine → store the new state under the optimistic lock
→ project work items and the status → audit. The caller commits; on any exception it rolls
back, so nothing is half-written.

starting.py (a new dossier), drafts.py (partial input), completing.py (a task done),
claims.py (take, give back, hand over), timers.py (a timer's job), failures.py (after a
rollback), form_checks.py (what a form may name).
"""
