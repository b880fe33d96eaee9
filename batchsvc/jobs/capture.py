"""What is captured and where: a deployment's sampled requests (the hook its request log calls), and a batch
job's sample of scored rows. The writing itself is storage/captures.py's, off the request path.
"""

import logging
import random
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from batchsvc.jobs.running import RunningJob
from batchsvc.jobs.shadow import ShadowPair
from batchsvc.scoring.batch import Batch, plain_text
from batchsvc.storage.capture_table import INPUT, OUTPUT, TIME_TYPE, Captured
from batchsvc.storage.captures import hour_folder, now_ms, write_table
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
JOB_SAMPLE_ROWS = 1_000  # rows kept per scored batch of a job with "capture": true (a uniform sample)


def capture_request(svc: Services, deployment: dict, entry: dict, meta: dict | None, given: Any,
                    answer: Any) -> str | None:
    """Capture one logged request of a deployment if its capture percent draws it: only a hand-over here; the
    capture's request id when drawn (its shadow's answer is captured under it). `given` is the body as the route
    holds it (raw JSON bytes, a PredictionRequest, or text for a body that is no table); `answer` the answer
    (None when it failed). Headers are never given, so never captured."""
    percent = (deployment.get("capture") or {}).get("percent")
    if not svc.captures.sampled(percent):
        return None
    meta = meta or {}
    item = Captured(now_ms(), entry, meta.get("name"), meta.get("features"), given, answer)
    svc.captures.add(svc.data.deployment_captures(deployment["name"]), item, entry.get("rows") or 1)
    return item.request


def capture_shadow(svc: Services, pair: ShadowPair) -> None:
    """A captured request's shadow answer, captured beside it under the same request id (`shadow` true), so the
    comparison can be recomputed from the captures; a request whose answer was not captured is not either."""
    if pair.capture is None:
        return
    shadow = pair.shadow
    meta = shadow.meta if shadow else {}
    entry = {"version": meta.get("version"), "ms": round(pair.ms, 3), "status": 200 if shadow else None,
             "error": pair.error}
    item = Captured(now_ms(), entry, meta.get("name") or pair.shadow_ref, meta.get("features"), pair.body,
                    shadow and shadow.body, request=pair.capture, shadow=True)
    svc.captures.add(svc.data.deployment_captures(pair.deployment), item, 1)


def capture_batch(svc: Services, job: RunningJob, index: int, batch: Batch, rows: pa.Table | pd.DataFrame,
                  bad: list[dict], features: list[str]) -> None:
    """A job with "capture": true keeps a uniform sample of each scored batch (JOB_SAMPLE_ROWS at most) with
    its outputs, in the capture layout under captures/jobs/<id>/. A batch with bad rows is not sampled (its
    outputs no longer line up with its inputs), and a capture that fails never fails the job."""
    if not job.spec.capture or bad or batch.bad:
        return
    try:
        outputs = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
        first_row = batch.first_row if batch.arrow is not None else int(batch.frame.index[0])
        table = _job_sample(job, _inputs(batch, features), outputs, first_row)
        created_ms = int(pd.Timestamp(job.record["created_at"]).value // 1_000_000)
        # named by chunk and first row: a chunk scored again replaces its own sample
        write_table(hour_folder(svc.data.job_captures(job.id), created_ms), table, created_ms, created_ms,
                    f"chunk{index:06d}", first_row)
    except Exception as exc:  # the job's own result matters, never its sample
        log.warning("job %s: chunk %d not captured: %s: %s", job.id, index, type(exc).__name__, exc)


def _job_sample(job: RunningJob, inputs: pa.Table, outputs: pa.Table, first: int) -> pa.Table:
    """The sampled rows: the capture's request columns, then input.<feature>, then output.<column>."""
    if inputs.num_rows != outputs.num_rows:
        raise ValueError(f"{inputs.num_rows} input rows for {outputs.num_rows} outputs")
    take = pa.array(sorted(random.sample(range(inputs.num_rows), min(inputs.num_rows, JOB_SAMPLE_ROWS))),
                    pa.int64())
    created = pd.Timestamp(job.record["created_at"])
    n, model = len(take), job.record["model"]
    meta = {"time": pa.array([created] * n, TIME_TYPE), "request": pa.array([job.id] * n),
            "row": pc.add(take, first), "model": pa.array([model["name"]] * n),
            "version": pa.array([model["version"]] * n, pa.int64()), "ms": pa.nulls(n, pa.float64()),
            "status": pa.array([200] * n, pa.int64()), "error": pa.nulls(n, pa.string()),
            "shadow": pa.array([False] * n)}
    passthrough = set(job.spec.output.passthrough)
    chosen_in, chosen_out = inputs.take(take), outputs.take(take)
    columns = {**meta, **{INPUT + c: chosen_in.column(c) for c in chosen_in.column_names},
               **{OUTPUT + c: chosen_out.column(c) for c in chosen_out.column_names if c not in passthrough}}
    return pa.table(columns)


def _inputs(batch: Batch, features: list[str]) -> pa.Table:
    """The batch's feature columns as Arrow, from the Arrow batch as read when there is one."""
    if batch.arrow is not None:
        table = pa.Table.from_batches([plain_text(batch.arrow)])
        return table.select([f for f in features if f in table.column_names])
    frame = batch.frame
    return pa.Table.from_pandas(frame[[f for f in features if f in frame.columns]], preserve_index=False)
