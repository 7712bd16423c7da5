"""Work that must happen later or outside the database: the job queue and the worker.

The package knows no domain: the handlers of each kind of job are given to the worker by
`engine.wiring`. The queue's API is re-exported here (`from engine import jobs`).
"""

from engine.jobs.queue import (
    JOB_KIND_LABELS,
    JobKind,
    NewJob,
    cancel,
    enqueue,
    jobs_of,
    pending_for,
)

__all__ = [
    "JOB_KIND_LABELS",
    "JobKind",
    "NewJob",
    "cancel",
    "enqueue",
    "jobs_of",
    "pending_for",
]
