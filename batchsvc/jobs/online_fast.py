"""The fast path of online predictions: a small request answered from its raw body without pydantic, pandas or
a Redis round trip (deployments, versions and keys come from process memory, the log is written in batches).

It answers only what it can answer exactly as the full path (`online.score_online`) would, and returns None for
the rest: a bad body, a bad value, a model without a verified onnx engine, more than FAST_ROWS rows. The caller
then runs the full path, whose answer or error is the one given: the same bodies get the same answers.
"""

import orjson

from batchsvc.errors import BatchsvcError
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, load_model, resolve, routed
from batchsvc.scoring.engines import AUTO, ONNX
from batchsvc.scoring.rows import Limits, engine_inputs, read_entries, watson_answer
from batchsvc.settings import Settings
from batchsvc.storage.services import Services


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
    tables = []
    for columns in entries:
        try:
            scores = engine.predict_arrays(engine_inputs(columns, info, engine.text, engine.number))
        except Exception:  # the model's own error: the full path finds the row and names it
            return None
        tables.append(watson_answer(scores.prediction, scores.proba))
    return Scored({"predictions": tables}, meta, ONNX)
