"""Resend jobs that were stored but whose message never left (the API died between the two writes).

A submission marks the job `enqueued_at` once its message is sent; a queued job older than
BATCHSVC_SWEEP_AFTER_S without that mark was never sent. The scheduler leader sweeps, so one process
does it. plan_job is idempotent, so a resend racing a late original costs nothing but a duplicate plan.
"""

import logging
import time
from typing import Callable

from .clock import iso
from .services import Services
from .status import JobStatus

log = logging.getLogger(__name__)
SWEEP_BATCH = 500


def resend_unsent(svc: Services, enqueue: Callable[[str], None], older_than_s: float) -> list[str]:
    """Send plan_job again for old queued jobs that were never enqueued; returns their ids."""
    cutoff_us = (time.time() - older_than_s) * 1_000_000
    queued = svc.redis.zrangebyscore(svc.keys.jobs_by_status(JobStatus.QUEUED.value), "-inf", cutoff_us,
                                     start=0, num=SWEEP_BATCH)
    resent = []
    for job_id in queued:
        if svc.redis.hget(svc.keys.job(job_id), "enqueued_at"):
            continue
        enqueue(job_id)
        mark_enqueued(svc, job_id)
        svc.store.add_event(job_id, "resent", reason="its message was never sent")
        log.warning("job %s was stored but never enqueued: sent it now", job_id)
        resent.append(job_id)
    return resent


def mark_enqueued(svc: Services, job_id: str) -> None:
    svc.store.update(job_id, enqueued_at=iso())
