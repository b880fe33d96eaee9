"""Adaptive batching on the full path: what the fast path does not take (a scikit-learn engine, a model the onnx
engine refused, a missing value, a larger request) is scored with other requests for the same version in one
`score_batch` call when its deployment has `batching`, so one predict_proba serves many requests' rows.

Each request is checked on its own first (limits, features); a request that fails its checks is answered by
`online.score_online` as if batching were off, with its own error. Only requests whose entries give the model's
features the same column types share a call (types inferred from the rows otherwise could differ), and requests
with a missing value share one only with each other (an exact tree engine hands a batch holding one to
scikit-learn, which must not change the others' answers); each answer is written from its own rows. A batch
that fails is scored request by request (jobs/online_batch.py), so a bad row is named as it would be unbatched.
"""

import pandas as pd

from batchsvc.errors import BatchsvcError
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import (
    Scored,
    body_entries,
    entry_frame,
    load_model,
    resolve,
    routed,
    score_frame,
    score_online,
)
from batchsvc.jobs.online_fast import BATCHER, batch_policy
from batchsvc.schemas import PredictionRequest, RecordsInput
from batchsvc.scoring import sources
from batchsvc.scoring.engines import AUTO, CODE, SKLEARN
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.output import watson_shape
from batchsvc.scoring.score import score_batch
from batchsvc.storage.services import Services

Entry = tuple[pd.DataFrame, str, bool]  # an entry's checked frame, its field prefix, whether it came as records


def score(svc: Services, cache: ModelCache, target: str | dict, body: PredictionRequest) -> Scored:
    """score_online's answer, scored together with concurrent requests when the deployment has `batching`."""
    policy = batch_policy(target)
    if policy is None:
        return score_online(svc, cache, target, body)
    try:
        target = routed(target)
        meta = resolve(svc, target)
        model = load_model(cache, meta, (target.get("engine") if isinstance(target, dict) else None) or AUTO)
        info = cache.info(meta)
        entries = [(entry_frame(svc, meta, source, where), where, isinstance(source, RecordsInput))
                   for source, where in body_entries(body, svc.settings.max_online_rows)]
    except BatchsvcError:
        return score_online(svc, cache, target, body)  # raises this request's own error, as unbatched
    engine = getattr(model, "name", None) or SKLEARN
    types = _column_types([frame for frame, _, _ in entries], info)
    if engine == CODE or types is None:
        return score_online(svc, cache, target, body)
    missing = any(frame[info.features].isna().to_numpy().any() for frame, _, _ in entries)
    key = ("frames", meta["name"], meta["version"], meta["sha256"], engine, types, missing)
    rows = sum(len(frame) for frame, _, _ in entries)
    outcome = BATCHER.score(key, entries, rows, policy, lambda many: _score_together(model, info, many))
    if outcome.error is not None:
        raise outcome.error  # scored alone (online_batch.py), so the error is the one unbatched scoring raises
    return Scored({"predictions": outcome.value}, meta, engine, outcome.batch)


def _column_types(frames: list[pd.DataFrame], info: ModelInfo) -> tuple[str, ...] | None:
    """The features' column types, the same in every entry; None when they differ or a feature is missing."""
    found = {tuple(str(frame[f].dtype) if f in frame.columns else "" for f in info.features) for frame in frames}
    types = found.pop() if len(found) == 1 else None
    return None if types is None or "" in types else types


def _score_together(model, info: ModelInfo, requests: list[list[Entry]]) -> list[list[dict]]:
    """Each request's answer (a table per entry): one request as unbatched, several in one score_batch call."""
    if len(requests) == 1:
        return [[score_frame(model, info, frame, where, records) for frame, where, records in requests[0]]]
    frames = [frame for request in requests for frame, _, _ in request]
    merged = sources.numbered(pd.concat([frame[info.features] for frame in frames], ignore_index=True), 1)
    rows, _ = score_batch(model, info, sources.Batch(merged), [], 0, 0)
    if len(rows) != len(merged):
        raise ValueError(f"{len(rows)} scored rows for {len(merged)} rows")
    tables, start = [], 0
    for frame in frames:
        tables.append(watson_shape(rows.iloc[start:start + len(frame)], len(frame)))
        start += len(frame)
    answers, start = [], 0
    for request in requests:
        answers.append(tables[start:start + len(request)])
        start += len(request)
    return answers
