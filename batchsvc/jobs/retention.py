"""Retention: finished jobs and unused uploads expire, so that Redis and the data dir stay flat under load.

A finished job (its record, events, ledger, every index entry, results/<id>/) goes BATCHSVC_JOB_TTL_S after
it finished: the transition that finishes a job also puts it on a finished index scored by that time, and
the collector deletes through the job store, which knows every index from the record (a Redis EXPIRE on
the record would leave index entries and counts behind). An upload goes BATCHSVC_UPLOAD_TTL_S after it was
made unless a queued or running job or a schedule's job template reads it; one found in use is looked at
again a TTL later. Capture files (storage/captures.py) go BATCHSVC_CAPTURE_RETENTION_S after their last
request. 0 keeps any of them forever. Each call does a bounded batch: `batchsvc gc` repeats it until
nothing expired is left; the scheduler leader runs a Collector every BATCHSVC_GC_EVERY_S.
"""

import logging
import time

from batchsvc.storage.capture_files import expire
from batchsvc.storage.files import locate
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
GC_BATCH = 500  # jobs, and uploads, looked at per call: bounds one call's Redis and disk work
TICK_BUDGET_S = 0.5  # a Collector tick calls collect() again while batches come back full, this long at most


def collect(svc: Services, now: float | None = None, batch: int = GC_BATCH) -> dict:
    """Remove up to `batch` expired jobs and `batch` expired uploads as of `now` (Unix seconds); counts."""
    now_s = time.time() if now is None else now
    counts = {"jobs": len(collect_jobs(svc, now_s, batch)), "uploads": len(collect_uploads(svc, now_s, batch)),
              "captures": collect_captures(svc, now_s, batch)}
    if any(counts.values()):
        log.info("retention removed %(jobs)s finished jobs, %(uploads)s uploads and %(captures)s capture files",
                 counts)
    return counts


def collect_all(svc: Services, now: float | None = None, batch: int = GC_BATCH) -> dict:
    """Collect batch after batch until a batch comes back short: everything expired, now."""
    return _drain(svc, now, batch)[0]


def _drain(svc: Services, now: float | None, batch: int, deadline: float | None = None) -> tuple[dict, bool]:
    """collect() until a batch comes back short (True) or the monotonic deadline passes (False); the totals."""
    total = {"jobs": 0, "uploads": 0, "captures": 0}
    while deadline is None or time.monotonic() < deadline:
        counts = collect(svc, now, batch)
        total = {kind: total[kind] + counts[kind] for kind in total}
        if max(counts.values()) < batch:
            return total, True
    return total, False


def collect_jobs(svc: Services, now_s: float, batch: int) -> list[str]:
    """Delete jobs finished over BATCHSVC_JOB_TTL_S before now_s, their Redis keys and their files."""
    ttl_s = svc.settings.job_ttl_s
    if not ttl_s:
        return []
    gone = svc.store.delete_finished_before((now_s - ttl_s) * 1_000_000, batch)
    for job_id in gone:
        svc.data.job_dir(job_id).remove_tree()
    return gone


def collect_uploads(svc: Services, now_s: float, batch: int) -> list[str]:
    """Delete uploads made over BATCHSVC_UPLOAD_TTL_S before now_s that nothing active reads."""
    ttl_s = svc.settings.upload_ttl_s
    old = svc.uploads.created_before(now_s - ttl_s, batch) if ttl_s else []
    if not old:
        return []
    in_use = uploads_in_use(svc)
    svc.uploads.touch([u for u in old if u in in_use], now_s)
    gone = [u for u in old if u not in in_use]
    for upload_id in gone:
        record = svc.uploads.delete(upload_id)
        if record and record.get("path"):
            locate(record["path"]).unlink()
    return gone


def collect_captures(svc: Services, now_s: float, batch: int) -> int:
    """Delete capture files whose last request is over BATCHSVC_CAPTURE_RETENTION_S before now_s (about
    `batch` at most); the files deleted."""
    ttl_s = svc.settings.capture_retention_s
    if not ttl_s:
        return 0
    return expire(svc.data.captures_root(), int((now_s - ttl_s) * 1000), batch)


def uploads_in_use(svc: Services) -> set[str]:
    """Uploads that a queued or running job or a schedule's job template reads."""
    templates = (s["definition"].get("job", {}).get("input", {}) for s in svc.schedules.all())
    return svc.store.uploads_of_active_jobs() | {i["upload"] for i in templates if i.get("upload")}


class Collector:
    """Runs collect() from a loop that ticks often (the scheduler leader's, every lease/3): every gc_every_s,
    batch after batch for at most TICK_BUDGET_S, and at the next tick again while a backlog remains."""

    def __init__(self, svc: Services):
        self.svc, self.due_at = svc, 0.0

    def tick(self) -> dict | None:
        """Collect if due (monotonic clock); the counts, or None when it was not due."""
        if time.monotonic() < self.due_at:
            return None
        started = time.monotonic()
        self.due_at = started + self.svc.settings.gc_every_s  # a failing call waits its turn too
        total, drained = _drain(self.svc, None, GC_BATCH, started + TICK_BUDGET_S)
        if not drained:
            self.due_at = 0.0  # a backlog: go on at the next tick
        return total
