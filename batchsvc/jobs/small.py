"""The small-job path: a one-chunk inline job scored in memory, with no part file to write and read back.

Same states, ledger entry and result as the chunk path, in a few Redis round trips.
"""

import time

from batchsvc.clock import iso
from batchsvc.jobs.cancel import discard_if_stopped
from batchsvc.jobs.capture import capture_batch
from batchsvc.jobs.deliver import delivery, withdraw
from batchsvc.jobs.drift import profile_whole, queue_drift_hook
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.running import RUNNING, WORKER, RunningJob, note_chunk, result_record, write_bad_rows
from batchsvc.jobs.spec import FileSpec
from batchsvc.scoring import output, sources
from batchsvc.scoring.score import score_batch
from batchsvc.status import ACTIVE, JobStatus
from batchsvc.storage.files import atomic_file
from batchsvc.storage.services import Services


def is_small(svc: Services, job: RunningJob) -> bool:
    """Inline input that fits one chunk."""
    return job.spec.inline and job.spec.inline_rows() <= job.spec.chunk_rows(svc.settings.chunk_rows)


def run_small(svc: Services, job: RunningJob, cache: ModelCache) -> None:
    """Score the whole input as one batch, commit it as chunk 0, and complete the job."""
    source = job.spec.input
    assert not isinstance(source, FileSpec), "is_small() admits inline input only"
    started, frame = time.perf_counter(), source.frame()
    started_at = job.record.get("started_at") or iso()  # a redelivered message keeps the first start
    if not svc.store.transition(job.id, JobStatus.RUNNING, set(ACTIVE), started_at=started_at,
                                chunks=[{"index": 0, "rows": [0, len(frame)]}], chunks_total=1,
                                rows_total=len(frame), attempts=job.record["attempts"] + 1):
        return
    model, info = job.model(svc, cache)
    batch = sources.Batch(sources.numbered(frame, 1))
    rows, bad = score_batch(model, info, batch, job.spec.output.passthrough, job.spec.max_bad_rows, 0)
    drift = profile_whole(svc, job.record, batch)
    capture_batch(svc, job, 0, batch, rows, bad, info.features)
    fmt = job.spec.output.format
    with atomic_file(svc.data.result_file(job.id, fmt)) as f:
        output.write_frame(rows, fmt, f)
    if bad:
        write_bad_rows(svc.data.errors_file(job.id), bad)
    entry = {"rows": len(rows), "bad_rows": len(bad), "seconds": round(time.perf_counter() - started, 4),
             "worker": WORKER, "engine": model.name}
    if _commit(svc, job.id, entry):
        result = result_record(job.id, len(rows), len(bad), fmt,
                               output.watson_shape(rows, svc.settings.max_inline_result_rows))
        _complete(svc, job, {**result, **delivery(svc, job), **drift})


def _commit(svc: Services, job_id: str, entry: dict) -> bool:
    """Chunk 0 in the ledger; False when the job stopped while it scored (the commit, atomically, says so)."""
    newly, done, _ = svc.ledger.commit(job_id, 0, entry)
    if done < 0:
        discard_if_stopped(svc, job_id, 0)
        return False
    if newly:
        note_chunk(svc, job_id, 0, entry)
    return True


def _complete(svc: Services, job: RunningJob, result: dict) -> None:
    queue_drift_hook(svc, job.id, job.spec, result)
    if not svc.store.transition(job.id, JobStatus.COMPLETED, RUNNING, result=result):
        if svc.store.status(job.id) != JobStatus.COMPLETED:
            withdraw(svc, job)
            svc.data.job_dir(job.id).remove_tree()
