"""Finalizing a job: assemble its parts in input order into the result, then mark it completed.

Normally one finalizer runs (the ledger tells exactly one chunk it was the last); a redelivered message
may start another, which writes the same bytes under the same name, and only one completes the job.
Parts are removed only after the job is completed.
"""

import time

from batchsvc.jobs.deliver import delivery, withdraw
from batchsvc.jobs.drift import drift_result, queue_drift_hook
from batchsvc.jobs.running import RUNNING, WORKER, RunningJob, check_bad_row_budget, result_record
from batchsvc.scoring import output, parts
from batchsvc.status import JobStatus
from batchsvc.storage.files import atomic_file
from batchsvc.storage.services import Services


def finalize(svc: Services, job_id: str) -> None:
    """Assemble the result and complete the job, unless it stopped or another finalizer got there first."""
    job = RunningJob.load(svc, job_id)
    if job.status != JobStatus.RUNNING:
        return
    svc.store.add_event(job_id, "finalize_started", worker=WORKER)
    check_bad_row_budget(svc, job)
    started = time.perf_counter()
    try:
        rows, bad_rows = _assemble(svc, job), _assemble_bad_rows(svc, job)
    except FileNotFoundError:  # parts gone: another finalizer completed the job, or it was canceled
        if svc.store.status(job_id) != JobStatus.RUNNING:
            return
        raise
    result = {**_result(svc, job, rows, bad_rows), **delivery(svc, job), **drift_result(svc, job.record)}
    timing = {"finalize_seconds": round(time.perf_counter() - started, 4), "worker": WORKER}
    queue_drift_hook(svc, job_id, job.spec, result)
    if svc.store.transition(job_id, JobStatus.COMPLETED, RUNNING, result=result, event=timing):
        svc.data.parts_dir(job_id).remove_tree()
    elif svc.store.status(job_id) != JobStatus.COMPLETED:  # canceled or failed meanwhile
        withdraw(svc, job)
        svc.data.job_dir(job_id).remove_tree()


def _assemble(svc: Services, job: RunningJob) -> int:
    """The parts, in chunk order, streamed into the result file; returns its row count."""
    fmt = job.spec.output.format
    openers = [p.open_native for p in svc.data.written_parts(job.id, [c["index"] for c in job.record["chunks"]])]
    with atomic_file(svc.data.result_file(job.id, fmt)) as f:
        return parts.assemble(openers, fmt, f)


def _assemble_bad_rows(svc: Services, job: RunningJob) -> int:
    """Join the chunks' bad-row lists, in input order, into errors.jsonl; returns the count."""
    ledger = svc.ledger.entries(job.id)
    parts = [svc.data.bad_rows_part(job.id, i) for i in sorted(ledger) if ledger[i]["bad_rows"]]
    if parts:  # every listed part must be there: a missing one means another finalizer got here first
        with atomic_file(svc.data.errors_file(job.id)) as out:
            for p in parts:
                out.write(p.read_bytes())
    return svc.store.get(job.id)["bad_rows"]


def _result(svc: Services, job: RunningJob, rows: int, bad_rows: int) -> dict:
    """The result record; an inline job carries its first predictions in Watson ML's shape."""
    fmt, predictions = job.spec.output.format, None
    if job.spec.inline:
        with svc.data.result_file(job.id, fmt).open() as f:
            predictions = output.watson_predictions(f, fmt, svc.settings.max_inline_result_rows)
    return result_record(job.id, rows, bad_rows, fmt, predictions)
