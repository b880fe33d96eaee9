"""Firing a schedule: submit its job for a fire time exactly once, and record what happened on the schedule.

Exactly once rests on a claim key per (schedule, fire time), SET NX before anything is submitted: the
leader lease makes two schedulers firing at once rare, the claim makes it harmless. The price is that a
scheduler killed between the claim and the job record (a few milliseconds) loses that one fire; we
prefer that to a double. Missed fire times are claimed the same way, so their event is written once.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError
from batchsvc.jobs.accept import submit_job
from batchsvc.scheduling import templates as job_templates
from batchsvc.scheduling.fire_times import Due
from batchsvc.schemas import problems
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
CLAIM_MARGIN_S = 3600  # a claim outlives the grace period by this much; no one retries a fire time after grace


def claim_ttl_s(svc: Services) -> int:
    return svc.settings.schedule_grace_s + CLAIM_MARGIN_S


def fire(svc: Services, record: dict, due: Due, enqueue: Callable[[str], None], holder: str) -> dict | None:
    """Record missed times, then submit due.fire if nobody has; returns the job, or None."""
    if due.missed_count:
        record_missed(svc, record["id"], due, holder)
    if due.fire is None:
        return None
    at = iso(due.fire)
    if not svc.schedules.claim(record["id"], at, holder, claim_ttl_s(svc)):
        log.info("schedule %s: fire time %s was already handled", record["id"], at)
        return None
    extra: dict[str, Any] = ({"coalesced": len(due.coalesced), "coalesced_from": iso(due.coalesced[0])}
                             if due.coalesced else {})
    try:
        job = submit(svc, record, due.fire, enqueue, **extra)
    except Exception:  # Redis or the broker failed: free the fire time so a retry fires it (never twice: its key)
        svc.schedules.release(record["id"], at, holder)
        raise
    svc.schedules.note_claim(record["id"], at, job["id"] if job else "failed")
    return job


def submit(svc: Services, record: dict, fire_time: datetime, enqueue: Callable[[str], None], *,
           raise_errors: bool = False, **event) -> dict | None:
    """Submit the job of one fire; a template or model that no longer works is recorded, not raised."""
    schedule_id, at = record["id"], iso(fire_time)
    definition = record["definition"]
    try:
        request = job_templates.fill(definition["job"], definition["name"], fire_time, definition["timezone"])
        if not event.get("manual"):  # one job per fire time, however often this fire is retried
            request = request.model_copy(update={"idempotency_key": f"schedule:{schedule_id}:{at}"})
        job, _ = submit_job(svc, request, enqueue, schedule_id=schedule_id, created_by=f"schedule:{schedule_id}")
    except (BatchsvcError, ValidationError) as exc:
        error = _error(exc)
        log.warning("schedule %s: the fire at %s could not submit: %s", schedule_id, at, error["message"])
        svc.schedules.update(schedule_id, last_error={**error, "at": iso(), "fire_time": at})
        svc.schedules.add_event(schedule_id, "fire_failed", fire_time=at, error=error, **event)
        if raise_errors:
            raise
        return None
    svc.schedules.update(schedule_id, last_run_at=at, last_job_id=job["id"], last_error=None)
    svc.schedules.add_event(schedule_id, "fired", fire_time=at, job_id=job["id"], **event)
    log.info("schedule %s: fired %s -> job %s", schedule_id, at, job["id"])
    return job


def _error(exc: BatchsvcError | ValidationError) -> dict:
    if isinstance(exc, BatchsvcError):
        return {"type": exc.type, "message": exc.message}
    problem = problems(exc)[0]
    return {"type": "InvalidTemplate", "message": f"job.{problem['field']}: {problem['message']}"}


def record_missed(svc: Services, schedule_id: str, due: Due, holder: str) -> None:
    """One event for a run of missed fire times, written by whoever claims the first of them."""
    first = iso(due.missed_first)
    if not svc.schedules.claim(schedule_id, f"missed:{first}", holder, claim_ttl_s(svc)):
        return
    count = f"at least {due.missed_count}" if due.missed_more else due.missed_count
    svc.schedules.add_event(schedule_id, "missed", first=first, last=iso(due.missed_last), count=count,
                            reason=f"more than {svc.settings.schedule_grace_s} s late "
                                   "(BATCHSVC_SCHEDULE_GRACE_S); the scheduler was down or busy")
    log.warning("schedule %s: missed %s fire time(s) from %s", schedule_id, count, first)
