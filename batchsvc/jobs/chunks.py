"""Scoring one chunk: read its rows in bounded batches, score them into its part, commit it to the ledger.

A chunk already in the ledger is never scored again; the chunk that commits last triggers the finalize.
"""

import time
from collections.abc import Callable, Iterator

from batchsvc.jobs.cancel import discard_if_stopped
from batchsvc.jobs.capture import capture_batch
from batchsvc.jobs.drift import ChunkProfile
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.running import WORKER, RunningJob, check_bad_row_budget, note_chunk, write_bad_rows
from batchsvc.jobs.spec import FileSpec
from batchsvc.scoring import filesets, parts, sources
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.score import score_table
from batchsvc.status import JobStatus
from batchsvc.storage.files import atomic_file
from batchsvc.storage.services import Services


def run_chunk(svc: Services, job_id: str, index: int, cache: ModelCache, on_last: Callable[[str], None]) -> None:
    """Score one chunk into its part file and record it in the ledger; the last one triggers on_last."""
    job = RunningJob.load(svc, job_id)
    if job.status != JobStatus.RUNNING:
        return
    if svc.ledger.done(job_id, index):
        done, total = svc.store.get(job_id)["chunks_done"], len(job.record["chunks"])
    else:
        committed = _score_and_commit(svc, job, index, cache)
        if committed is None:
            return
        done, total = committed
    if done >= total:
        on_last(job_id)


def _score_and_commit(svc: Services, job: RunningJob, index: int, cache: ModelCache) -> tuple[int, int] | None:
    """(chunks done, chunks total) after committing this chunk; None when the job stopped meanwhile."""
    started = time.perf_counter()
    svc.ledger.hold(job.id, index, WORKER)
    svc.store.add_event(job.id, "chunk_started", index=index, worker=WORKER)
    try:
        entry = _score_chunk(svc, job, job.record["chunks"][index], cache)
    except Exception:
        if not (svc.ledger.done(job.id, index) or discard_if_stopped(svc, job.id, index)):
            raise
        return None  # a duplicate of a chunk already in the ledger, or a job that stopped: nothing to add
    entry.update(seconds=round(time.perf_counter() - started, 4), worker=WORKER)
    newly, done, total = svc.ledger.commit(job.id, index, entry)
    if done < 0:  # the job stopped while this chunk scored (the commit, atomically, says so)
        discard_if_stopped(svc, job.id, index)
        return None
    if newly:
        note_chunk(svc, job.id, index, entry)
        check_bad_row_budget(svc, job)
    return done, total


def _score_chunk(svc: Services, job: RunningJob, chunk: dict, cache: ModelCache) -> dict:
    """Write the chunk's scored rows to its part (and its bad rows beside it); returns its ledger entry."""
    model, info = job.model(svc, cache)
    spec, part = job.spec, svc.data.part_file(job.id, chunk["index"])
    bad: list[dict] = []
    drift = ChunkProfile(svc, job.record["model"])
    with atomic_file(part) as f:
        writer = parts.part_writer(f, spec.output.format)
        for batch in _batches(svc, job, chunk, info):
            drift.add(batch)
            rows, batch_bad = score_table(model, info, batch, spec.output.passthrough, spec.max_bad_rows, len(bad))
            writer.write(rows)
            capture_batch(svc, job, chunk["index"], batch, rows, batch_bad, info.features)
            bad += batch_bad
        writer.close()
    if bad:
        write_bad_rows(svc.data.bad_rows_part(job.id, chunk["index"]), bad)
    drift.save(svc, job.id, chunk["index"])
    return {"rows": writer.rows, "bad_rows": len(bad), "part": part.name, "engine": model.name}


def _batches(svc: Services, job: RunningJob, chunk: dict, info: ModelInfo) -> Iterator[sources.Batch]:
    """The chunk's input rows, at most one server chunk of rows per batch."""
    spec = job.spec
    if isinstance(spec.input, FileSpec):
        batch_rows = min(spec.chunk_rows(svc.settings.chunk_rows), svc.settings.chunk_rows)
        yield from filesets.read_chunk(spec.input.sources(), chunk, spec.columns_to_read(info.features), batch_rows,
                                       text=info.text_features, source_file=spec.names_source_file)
        return
    start, stop = chunk["rows"]
    yield sources.Batch(sources.numbered(spec.input.frame().iloc[start:stop], start + 1))
