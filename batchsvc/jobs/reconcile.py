"""The reconciler: every accepted job reaches a finished state with no operator action.

A queued or running job that has made no progress for BATCHSVC_STALL_AFTER_S gets the message it lacks
sent again: its plan (queued, or running but never dispatched), the chunks that are neither in the ledger
nor held by a live worker, or its finalize (every chunk done). Each re-send is an event on the job, and
counts as progress, so a job is re-sent at most once per stall period. Every step is idempotent, so a
re-send racing a late original costs a duplicate at most.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from batchsvc.errors import JobNotFound
from batchsvc.status import JobStatus
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
RECONCILE_BATCH = 1000
ACTIVE_STATES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True)
class Senders:
    """How to send each kind of task (the worker passes its actors' send methods)."""
    plan: Callable[[str], object]
    chunk: Callable[[str, int], object]
    finalize: Callable[[str], object]


def reconcile(svc: Services, send: Senders, stall_after_s: float, now_s: float | None = None) -> int:
    """Re-send what stalled jobs lack; returns how many jobs got a re-send."""
    now_s = time.time() if now_s is None else now_s
    live = set(svc.workers.live())
    resent = 0
    for status in (JobStatus.QUEUED, JobStatus.RUNNING):
        waiting = svc.store.ids_with_status(status, RECONCILE_BATCH)
        for job_id in svc.store.stalled(waiting, now_s - stall_after_s):  # a backlog costs one round trip
            resent += _reconcile_job(svc, job_id, send, now_s - stall_after_s, live)
    return resent


def _reconcile_job(svc: Services, job_id: str, send: Senders, stalled_before_s: float, live: set[str]) -> bool:
    try:
        job = svc.store.get(job_id)
    except JobNotFound:  # deleted meanwhile
        return False
    if job.get("touched_at", 0) > stalled_before_s or job["status"] not in ACTIVE_STATES:
        return False
    what = _resend(svc, job, send, live)
    if what:
        svc.store.update(job_id, touched_at=int(time.time()))
        svc.store.add_event(job_id, "resent", what=what, reason="no progress for BATCHSVC_STALL_AFTER_S")
        log.warning("job %s made no progress: re-sent %s", job_id, what)
    return bool(what)


def _resend(svc: Services, job: dict, send: Senders, live: set[str]) -> str | None:
    """Send what the job lacks; a description of it, or None when a live worker holds all that is missing."""
    job_id, chunks = job["id"], job.get("chunks")
    if job["status"] == JobStatus.QUEUED.value or chunks is None or not job.get("dispatched"):
        send.plan(job_id)
        return "plan"
    done = svc.ledger.entries(job_id)
    if len(done) >= len(chunks):
        send.finalize(job_id)
        return "finalize"
    holders = svc.ledger.holders(job_id)
    lost = [c["index"] for c in chunks if c["index"] not in done and holders.get(c["index"]) not in live]
    for index in lost:
        send.chunk(job_id, index)
    return f"chunks {', '.join(map(str, lost))}" if lost else None
