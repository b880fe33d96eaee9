"""The small-job path: a one-chunk inline job scored in memory, with no part file to write and read back.

Same states, ledger entry, events and result as the chunk path; its commit and completion are one Lua script
(storage/small_commit.py), so a warm worker spends three Redis round trips on it (read, start, commit). So a
result for `output.path` is delivered before that commit, and withdrawn when the job was canceled meanwhile.
"""

import time

from batchsvc.clock import iso
from batchsvc.jobs.cancel import discard_if_stopped
from batchsvc.jobs.capture import capture_batch
from batchsvc.jobs.deliver import delivery, withdraw
from batchsvc.jobs.drift import profile_whole, queue_drift_hook
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.running import WORKER, RunningJob, result_record, write_bad_rows
from batchsvc.jobs.small_fast import fast_small
from batchsvc.jobs.spec import FileSpec
from batchsvc.scoring import output, sources
from batchsvc.scoring.engines import Engine
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.score import score_batch
from batchsvc.status import ACTIVE, JobStatus
from batchsvc.storage.files import atomic_file
from batchsvc.storage.services import Services


def is_small(svc: Services, job: RunningJob) -> bool:
    """Inline input that fits one chunk."""
    return job.spec.inline and job.spec.inline_rows() <= job.spec.chunk_rows(svc.settings.chunk_rows)


def run_small(svc: Services, job: RunningJob, cache: ModelCache) -> None:
    """Score the whole input as one batch, commit it as chunk 0 and complete the job, in one script."""
    source = job.spec.input
    assert not isinstance(source, FileSpec), "is_small() admits inline input only"
    started, rows = time.perf_counter(), job.spec.inline_rows()
    started_at = job.record.get("started_at") or iso()  # a redelivered message keeps the first start
    if not svc.store.transition(job.id, JobStatus.RUNNING, set(ACTIVE), started_at=started_at,
                                chunks=[{"index": 0, "rows": [0, rows]}], chunks_total=1,
                                rows_total=rows, attempts=job.record["attempts"] + 1):
        return
    meta = job.meta(svc)
    model, info = job.model(svc, cache, meta)
    fmt, fast = job.spec.output.format, fast_small(svc.settings, job.spec, meta, model, info)
    bad: list[dict]
    drift: dict
    if fast is not None:
        with atomic_file(svc.data.result_file(job.id, fmt)) as f:
            f.write(fast.jsonl)
        scored, bad, shown, drift = fast.rows, [], fast.shown, {}
    else:
        scored, bad, shown, drift = _score_frame(svc, job, model, info)
    entry = {"rows": scored, "bad_rows": len(bad), "seconds": round(time.perf_counter() - started, 4),
             "worker": WORKER, "engine": model.name}
    result = {**result_record(job.id, scored, len(bad), fmt, shown), **delivery(svc, job), **drift}
    queue_drift_hook(svc, job.id, job.spec, result)
    if not svc.small_commit.commit_and_complete(job.id, entry, result):
        _stopped(svc, job)


def _score_frame(svc: Services, job: RunningJob, model: Engine, info: ModelInfo) -> tuple[int, list, dict, dict]:
    """The frame path: score the rows as a pandas frame and write the result; (rows, bad rows, shown, drift)."""
    source = job.spec.input
    assert not isinstance(source, FileSpec), "is_small() admits inline input only"
    batch = sources.Batch(sources.numbered(source.frame(), 1))
    rows, bad = score_batch(model, info, batch, job.spec.output.passthrough, job.spec.max_bad_rows, 0)
    capture_batch(svc, job, 0, batch, rows, bad, info.features)
    drift = profile_whole(svc, job.record, batch)
    fmt = job.spec.output.format
    with atomic_file(svc.data.result_file(job.id, fmt)) as f:
        shown = output.write_small(rows, fmt, f, svc.settings.max_inline_result_rows)
    if bad:
        write_bad_rows(svc.data.errors_file(job.id), bad)
    return len(rows), bad, shown, drift


def _stopped(svc: Services, job: RunningJob) -> None:
    """The job stopped while it scored (nothing was committed): a canceled or failed job keeps no output; a
    duplicate of a completed one leaves the first's result as it is."""
    if discard_if_stopped(svc, job.id, 0) and svc.store.status(job.id) != JobStatus.COMPLETED:
        withdraw(svc, job)
