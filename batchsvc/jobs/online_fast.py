"""The fast path of online predictions: a small request answered from its raw body without pydantic, pandas or
a Redis round trip (deployments, versions and keys come from process memory, the log is written in batches).

It answers only what it can answer exactly as the full path (`online.score_online`) would, and returns None for
the rest: a bad body, a bad value, a model without a verified onnx engine, more than FAST_ROWS rows. The caller
then runs the full path, whose answer or error is the one given: the same bodies get the same answers.
A deployment with `batching` scores its requests' rows together with other requests' for the same model version
(jobs/online_batch.py); a request whose batch fails is scored alone, and one that fails alone takes the full path.
"""

import orjson

from batchsvc.errors import BatchsvcError
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, load_model, resolve, routed
from batchsvc.jobs.online_batch import Batcher, BatchPolicy
from batchsvc.scoring.engines import AUTO, ONNX
from batchsvc.scoring.rows import Columns, Limits, engine_inputs, read_entries, watson_answer
from batchsvc.settings import Settings
from batchsvc.storage.services import Services

BATCHER = Batcher()  # this process's batches, shared by its scoring threads


def limits(settings: Settings) -> Limits:
    return Limits(online_rows=settings.max_online_rows, inline_rows=settings.max_inline_rows,
                  columns=settings.max_inline_columns, string_chars=settings.max_inline_string_chars)


def fast_scored(svc: Services, cache: ModelCache, target: str | dict, raw: bytes) -> Scored | None:
    """The answer to a raw predictions body, or None when the full path must answer it."""
    try:
        body = orjson.loads(raw)
        meta = resolve(svc, routed(target))  # a deployment's request is routed once: a routed record keeps it
        requested = (target.get("engine") if isinstance(target, dict) else None) or AUTO
        engine = load_model(cache, meta, requested)
    except (orjson.JSONDecodeError, BatchsvcError):
        return None
    if engine.name != ONNX:
        return None
    info = cache.info(meta)
    if meta.get("features") != info.features or (info.has_proba and not info.classes):
        return None  # the full path checks columns against the recorded features: take no part in a mismatch
    entries = read_entries(body, info, engine.strict, limits(svc.settings))
    if entries is None:
        return None
    policy = batch_policy(target)
    if policy is not None:
        key = (meta["name"], meta["version"], meta["sha256"], engine.name)
        rows = sum(_rows(columns) for columns in entries)
        outcome = BATCHER.score(key, entries, rows, policy, lambda many: _score_together(engine, info, many))
        if outcome.error is not None:
            return None  # the model's own error: the full path finds the row and names it
        return Scored({"predictions": outcome.value}, meta, ONNX, outcome.batch)
    tables = []
    for columns in entries:
        try:
            scores = engine.predict_arrays(engine_inputs(columns, info, engine.text, engine.number))
        except Exception:  # the model's own error: the full path finds the row and names it
            return None
        tables.append(watson_answer(scores.prediction, scores.proba))
    return Scored({"predictions": tables}, meta, ONNX)


def batch_policy(target: str | dict) -> BatchPolicy | None:
    """A deployment's batching settings; None (score alone) when it has none or for a bare model reference."""
    batching = target.get("batching") if isinstance(target, dict) else None
    return BatchPolicy(**batching) if batching else None


def _score_together(engine, info, requests: list[list[Columns]]) -> list[list[dict]]:
    """Each request's answer (one table per entry) from one engine call over the rows of all their entries."""
    entries = [columns for request in requests for columns in request]
    merged = {f: [v for columns in entries for v in columns[f]] for f in info.features}
    scores = engine.predict_arrays(engine_inputs(merged, info, engine.text, engine.number))
    tables, start = [], 0
    for columns in entries:
        end = start + _rows(columns)
        proba = None if scores.proba is None else scores.proba[start:end]
        tables.append(watson_answer(scores.prediction[start:end], proba))
        start = end
    answers, start = [], 0
    for request in requests:
        answers.append(tables[start:start + len(request)])
        start += len(request)
    return answers


def _rows(columns: Columns) -> int:
    return len(next(iter(columns.values())))
