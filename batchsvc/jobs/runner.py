"""Running a job: plan its chunks, score each chunk into a part, assemble the parts once.

Every step is idempotent: a redelivered message re-does at most its own chunk, a finished
chunk (in the ledger) is never scored again, and only one finalizer completes the job.
"""

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError, TooManyBadRows
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.scoring import output, sources
from batchsvc.scoring.score import score_batch
from batchsvc.status import ACTIVE, JobStatus
from batchsvc.storage.files import atomic_path, remove_tree
from batchsvc.storage.models import model_info
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
RUNNING = {JobStatus.RUNNING}


def plan_job(svc: Services, job_id: str, send_chunk: Callable[[str, int], None], cache: ModelCache) -> None:
    """Split the job into chunks and send them; a one-chunk job is scored right here."""
    job = svc.store.get(job_id)
    if JobStatus(job["status"]) not in ACTIVE:
        return
    if _is_small(svc, job):
        run_small(svc, job, cache)
        return
    if job.get("chunks") is None:
        plan = _plan(svc, job)
        svc.store.update(job_id, chunks=plan.chunks, chunks_total=len(plan.chunks), rows_total=plan.rows_total)
        job = svc.store.get(job_id)
    svc.store.increment(job_id, "attempts")
    if not svc.store.transition(job_id, JobStatus.RUNNING, {JobStatus.QUEUED}, started_at=iso()):
        if svc.store.status(job_id) != JobStatus.RUNNING or job.get("dispatched"):
            return
    if len(job["chunks"]) == 1:
        run_chunk(svc, job_id, 0, cache, lambda jid: finalize(svc, jid))
        return
    for chunk in job["chunks"]:
        if not svc.store.chunk_done(job_id, chunk["index"]):
            send_chunk(job_id, chunk["index"])
    svc.store.update(job_id, dispatched=1)


def _is_small(svc: Services, job: dict) -> bool:
    """Inline input that fits one chunk: scored in memory, with no part file to write and read back."""
    source, chunk_rows = job["spec"]["input"], job["spec"].get("chunk_size") or svc.settings.chunk_rows
    return source["kind"] != "file" and len(source.get("values") or source.get("records") or []) <= chunk_rows


def run_small(svc: Services, job: dict, cache: ModelCache) -> None:
    """A one-chunk inline job in a few Redis round trips: the same states, ledger entry and result as a chunk."""
    job_id, spec, started = job["id"], job["spec"], time.perf_counter()
    frame = _inline_frame(spec["input"])
    started_at = job.get("started_at") or iso()  # a redelivered message keeps the first start
    if not svc.store.transition(job_id, JobStatus.RUNNING, set(ACTIVE), started_at=started_at,
                                chunks=[{"index": 0, "rows": [0, len(frame)]}], chunks_total=1,
                                rows_total=len(frame), attempts=job["attempts"] + 1):
        return
    meta = svc.registry.version(job["model"]["name"], job["model"]["version"])
    rows, bad = score_batch(cache.get(meta), model_info(meta), sources.Batch(sources.numbered(frame, 1)),
                            spec["output"]["passthrough"], spec["max_bad_rows"], 0)
    fmt = spec["output"]["format"]
    with atomic_path(svc.data.result_file(job_id, fmt)) as tmp:
        output.write_frame(rows, fmt, tmp)
    if bad:
        _write_bad_rows(svc.data.errors_file(job_id), bad)
    entry = {"rows": len(rows), "bad_rows": len(bad), "seconds": round(time.perf_counter() - started, 4),
             "worker": WORKER}
    newly, done, _ = svc.store.commit_chunk(job_id, 0, entry)
    if done < 0:  # the job stopped while this one scored (the commit, atomically, says so)
        _discard_if_stopped(svc, job_id, 0)
        return
    if newly:
        _note_chunk(svc, job_id, 0, entry)
    result = _result(job_id, len(rows), len(bad), fmt,
                     output.watson_shape(rows, svc.settings.max_inline_result_rows))
    if not svc.store.transition(job_id, JobStatus.COMPLETED, RUNNING, result=result):
        if svc.store.status(job_id) != JobStatus.COMPLETED:
            remove_tree(svc.data.job_dir(job_id))


def _plan(svc: Services, job: dict) -> sources.Plan:
    """The job's chunks; a chunk size that would make more than BATCHSVC_MAX_CHUNKS chunks is raised to fit."""
    spec = job["spec"]
    chunk_rows = spec.get("chunk_size") or svc.settings.chunk_rows
    plan = _plan_with(spec, chunk_rows)
    if len(plan.chunks) > svc.settings.max_chunks:
        plan = _plan_with(spec, chunk_rows * -(-len(plan.chunks) // svc.settings.max_chunks))
    return plan


def _plan_with(spec: dict, chunk_rows: int) -> sources.Plan:
    if spec["input"]["kind"] == "file":
        return sources.plan_file(_file(spec), chunk_rows, explicit=bool(spec.get("chunk_size")))
    return sources.plan_rows(len(_inline_frame(spec["input"])), chunk_rows)


def run_chunk(svc: Services, job_id: str, index: int, cache: ModelCache, on_last: Callable[[str], None]) -> None:
    """Score one chunk into its part file and record it in the ledger; the last one triggers on_last."""
    job = svc.store.get(job_id)
    if job["status"] != JobStatus.RUNNING.value:
        return
    if not svc.store.chunk_done(job_id, index):
        started = time.perf_counter()
        svc.store.add_event(job_id, "chunk_started", index=index, worker=WORKER)
        try:
            entry = _score_chunk(svc, job, job["chunks"][index], cache)
        except Exception:
            if not (svc.store.chunk_done(job_id, index) or _discard_if_stopped(svc, job_id, index)):
                raise
            return  # a duplicate of a chunk already in the ledger, or a job that stopped: nothing to add
        entry.update(seconds=round(time.perf_counter() - started, 4), worker=WORKER)
        newly, done, total = svc.store.commit_chunk(job_id, index, entry)
        if done < 0:  # the job stopped while this chunk scored (the commit, atomically, says so)
            _discard_if_stopped(svc, job_id, index)
            return
        if newly:
            _note_chunk(svc, job_id, index, entry)
            _check_bad_row_budget(svc, job)
    else:
        done, total = svc.store.get(job_id)["chunks_done"], len(job["chunks"])
    if done >= total:
        on_last(job_id)


def _note_chunk(svc: Services, job_id: str, index: int, entry: dict) -> None:
    """Log and count a chunk the ledger took for the first time."""
    svc.store.add_event(job_id, "chunk", index=index, **entry)
    svc.counters.record_chunk(entry["rows"], entry["seconds"])


def _result(job_id: str, rows: int, bad_rows: int, fmt: str, predictions: dict | None) -> dict:
    """A completed job's result record; inline jobs carry their predictions in it."""
    result = {"rows": rows, "bad_rows": bad_rows, "format": fmt, "url": f"/v1/jobs/{job_id}/results"}
    if predictions is not None:
        result["predictions"] = predictions
    if bad_rows:
        result["errors_url"] = f"/v1/jobs/{job_id}/results?errors=true"
    return result


def _discard_if_stopped(svc: Services, job_id: str, index: int) -> bool:
    """A chunk of a job that is no longer running adds nothing: a failed or canceled job loses all its
    partial output, a completed one (this was a redelivered duplicate) only this chunk's stray part."""
    status = svc.store.status(job_id)
    if status == JobStatus.RUNNING:
        return False
    if status == JobStatus.COMPLETED:
        svc.data.part_file(job_id, index).unlink(missing_ok=True)
        svc.data.bad_rows_part(job_id, index).unlink(missing_ok=True)
    else:
        remove_tree(svc.data.job_dir(job_id))
    if status is not None:  # a deleted job gets no new keys
        svc.store.add_event(job_id, "chunk_discarded", index=index, worker=WORKER)
    return True


def _score_chunk(svc: Services, job: dict, chunk: dict, cache: ModelCache) -> dict:
    spec = job["spec"]
    meta = svc.registry.version(job["model"]["name"], job["model"]["version"])
    model, info = cache.get(meta), model_info(meta)
    passthrough = spec["output"]["passthrough"]
    part = svc.data.part_file(job["id"], chunk["index"])
    bad: list[dict] = []
    with atomic_path(part) as tmp:
        writer = output.PartWriter(tmp)
        for batch in _batches(svc, spec, chunk, info, passthrough):
            rows, batch_bad = score_batch(model, info, batch, passthrough, spec["max_bad_rows"], len(bad))
            writer.write(rows)
            bad += batch_bad
        writer.close()
    if bad:
        _write_bad_rows(svc.data.bad_rows_part(job["id"], chunk["index"]), bad)
    return {"rows": writer.rows, "bad_rows": len(bad), "part": part.name}


def _batches(svc: Services, spec: dict, chunk: dict, info, passthrough):
    columns = None if passthrough == ["*"] else list(dict.fromkeys(info.features + passthrough))
    batch_rows = min(spec.get("chunk_size") or svc.settings.chunk_rows, svc.settings.chunk_rows)
    if spec["input"]["kind"] == "file":
        yield from sources.read_file_chunk(_file(spec), chunk, columns, batch_rows)
        return
    start, stop = chunk["rows"]
    yield sources.Batch(sources.numbered(_inline_frame(spec["input"]).iloc[start:stop], start + 1))


def _write_bad_rows(path: Path, bad: list[dict]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(b, default=str) + "\n" for b in bad))


def _check_bad_row_budget(svc: Services, job: dict) -> None:
    total = svc.store.get(job["id"])["bad_rows"]
    allowed = job["spec"]["max_bad_rows"]
    if total > allowed:
        raise TooManyBadRows(f"{total} unreadable rows, more than max_bad_rows={allowed}; see the job's events")


def finalize(svc: Services, job_id: str) -> None:
    """Assemble the parts in input order into the result file, then mark the job completed.

    Normally one finalizer runs (the ledger tells exactly one chunk it was the last); a redelivered
    message may start another, which writes the same bytes under the same name, and only one
    completes the job. Parts are removed only after the job is completed.
    """
    job = svc.store.get(job_id)
    if job["status"] != JobStatus.RUNNING.value:
        return
    svc.store.add_event(job_id, "finalize_started", worker=WORKER)
    _check_bad_row_budget(svc, job)
    started = time.perf_counter()
    fmt = job["spec"]["output"]["format"]
    dest = svc.data.result_file(job_id, fmt)
    try:
        with atomic_path(dest) as tmp:
            rows = output.assemble([svc.data.part_file(job_id, c["index"]) for c in job["chunks"]], fmt, tmp)
        bad_rows = _assemble_bad_rows(svc, job)
    except FileNotFoundError:  # parts gone: another finalizer completed the job, or it was canceled
        if svc.store.status(job_id) != JobStatus.RUNNING:
            return
        raise
    inline = job["spec"]["input"]["kind"] != "file"
    result = _result(job_id, rows, bad_rows, fmt,
                     output.watson_predictions(dest, fmt, svc.settings.max_inline_result_rows) if inline else None)
    timing = {"finalize_seconds": round(time.perf_counter() - started, 4), "worker": WORKER}
    if svc.store.transition(job_id, JobStatus.COMPLETED, RUNNING, result=result, event=timing):
        remove_tree(svc.data.parts_dir(job_id))
    elif svc.store.status(job_id) != JobStatus.COMPLETED:  # canceled or failed meanwhile
        remove_tree(svc.data.job_dir(job_id))


def _assemble_bad_rows(svc: Services, job: dict) -> int:
    """Join the chunks' bad-row lists, in input order, into errors.jsonl; returns the count."""
    ledger = svc.store.ledger(job["id"])
    parts = [svc.data.bad_rows_part(job["id"], i) for i in sorted(ledger) if ledger[i]["bad_rows"]]
    if parts:  # every listed part must be there: a missing one means another finalizer got here first
        with atomic_path(svc.data.errors_file(job["id"])) as tmp, open(tmp, "wb") as out:
            for p in parts:
                out.write(p.read_bytes())
    return svc.store.get(job["id"])["bad_rows"]


def fail(svc: Services, job_id: str, error: BatchsvcError | dict) -> None:
    """End a queued or running job as failed, keeping the error and removing partial output."""
    body = error.to_dict() if isinstance(error, BatchsvcError) else error
    if svc.store.transition(job_id, JobStatus.FAILED, set(ACTIVE), error=body):
        remove_tree(svc.data.job_dir(job_id))


def cancel(svc: Services, job_id: str) -> bool:
    """Cancel a queued or running job: queued chunks will not start, running ones stop at their end."""
    svc.store.get(job_id)
    if svc.store.transition(job_id, JobStatus.CANCELED, set(ACTIVE)):
        remove_tree(svc.data.job_dir(job_id))
        return True
    return False


def _file(spec: dict) -> sources.FileSource:
    return sources.FileSource(Path(spec["input"]["path"]), spec["input"]["format"])


def _inline_frame(source: dict) -> pd.DataFrame:
    if source["kind"] == "records":
        return pd.DataFrame.from_records(source["records"])
    return pd.DataFrame(source["values"], columns=source["fields"])
