"""Resend jobs that were stored but whose message never left (the API died between the two writes).

Most jobs are stored with their message in one transaction and never need this. A job stored apart from its
message (one with an idempotency key: its key is claimed in between) sits on an "unsent" list until its
submission marks it sent; a job still on it after
BATCHSVC_SWEEP_AFTER_S was never sent (or its marking failed). The worker that holds the maintenance lease
sweeps (jobs/maintenance.py). plan_job is idempotent, so a resend racing a late original costs nothing but
a duplicate plan.
"""

import logging
import time
from collections.abc import Callable

from batchsvc.status import JobStatus
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
SWEEP_BATCH = 500


def resend_unsent(svc: Services, enqueue: Callable[[str], object], older_than_s: float) -> list[str]:
    """Send plan_job again for jobs stored over older_than_s ago whose message was never marked sent."""
    cutoff_us = (time.time() - older_than_s) * 1_000_000
    resent = []
    for job_id in svc.store.unsent_before(cutoff_us, SWEEP_BATCH):
        if svc.store.status(job_id) == JobStatus.QUEUED:
            enqueue(job_id)
            svc.store.add_event(job_id, "resent", reason="its message was never sent")
            log.warning("job %s was stored but never enqueued: sent it now", job_id)
            resent.append(job_id)
        svc.store.mark_sent(job_id)  # sent now, or no longer queued (or gone): either way done with it
    return resent
