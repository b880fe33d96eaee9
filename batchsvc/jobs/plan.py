"""Planning a job: split its input into chunks, mark it running, and send each chunk to the workers.

A one-chunk inline job is scored right here (small.py); a one-chunk file job runs its chunk in place.
Replanning is idempotent: a redelivered plan sends only the chunks the ledger lacks, and only once.
"""

from collections.abc import Callable

from batchsvc.clock import iso
from batchsvc.jobs.chunks import run_chunk
from batchsvc.jobs.finalize import finalize
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.running import RunningJob
from batchsvc.jobs.small import is_small, run_small
from batchsvc.jobs.spec import FileSpec, JobSpec
from batchsvc.scoring import filesets, sources
from batchsvc.status import ACTIVE, JobStatus
from batchsvc.storage.services import Services


def plan_job(svc: Services, job_id: str, send_chunk: Callable[[str, int], None], cache: ModelCache) -> None:
    """Split the job into chunks and send them; a one-chunk job is scored right here."""
    job = RunningJob.load(svc, job_id)
    if job.status not in ACTIVE:
        return
    if is_small(svc, job):
        run_small(svc, job, cache)
        return
    if job.record.get("chunks") is None:
        plan = _plan(svc, job.spec)
        svc.store.update(job_id, chunks=plan.chunks, chunks_total=len(plan.chunks), rows_total=plan.rows_total)
        job = RunningJob.load(svc, job_id)
    if _start(svc, job):
        _dispatch(svc, job, send_chunk, cache)


def _start(svc: Services, job: RunningJob) -> bool:
    """Mark the job running; False when there is nothing left to send (stopped, or already dispatched)."""
    svc.store.increment(job.id, "attempts")
    if svc.store.transition(job.id, JobStatus.RUNNING, {JobStatus.QUEUED}, started_at=iso()):
        return True
    return svc.store.status(job.id) == JobStatus.RUNNING and not job.record.get("dispatched")


def _dispatch(svc: Services, job: RunningJob, send_chunk: Callable[[str, int], None], cache: ModelCache) -> None:
    """Send every chunk the ledger lacks; a single chunk is scored in this task instead."""
    chunks = job.record["chunks"]
    if len(chunks) == 1:
        run_chunk(svc, job.id, 0, cache, lambda jid: finalize(svc, jid))
        return
    for chunk in chunks:
        if not svc.ledger.done(job.id, chunk["index"]):
            send_chunk(job.id, chunk["index"])
    svc.store.update(job.id, dispatched=1)


def _plan(svc: Services, spec: JobSpec) -> sources.Plan:
    """The job's chunks; a chunk size that would make more than BATCHSVC_MAX_CHUNKS chunks is raised to fit."""
    chunk_rows = spec.chunk_rows(svc.settings.chunk_rows)
    plan = plan_with(spec, chunk_rows)
    if len(plan.chunks) > svc.settings.max_chunks:
        plan = plan_with(spec, chunk_rows * -(-len(plan.chunks) // svc.settings.max_chunks))
    return plan


def plan_with(spec: JobSpec, chunk_rows: int) -> sources.Plan:
    """Chunks of about chunk_rows rows over the job's file or inline rows."""
    if isinstance(spec.input, FileSpec):
        return filesets.plan_files(spec.input.sources(), chunk_rows, explicit=bool(spec.chunk_size))
    return sources.plan_rows(spec.inline_rows(), chunk_rows)
