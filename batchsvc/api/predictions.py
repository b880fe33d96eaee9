"""Online predictions: POST /v1/deployments/{name}/predictions and /v1/models/{ref}/predictions.

A small request whose model has a verified onnx engine takes the fast path (jobs/online_fast.py: no pydantic,
no pandas, no Redis round trip); anything else, and anything the fast path cannot answer exactly as the full path
would, takes the full path. Both score in the thread pool, never on the event loop's thread, so other requests
keep flowing while one scores. A deployment's request is logged and counted (with the state it showed) in
batches off the request path (storage/request_log.py); `predict_logged` is what the Watson ML routes call too.
"""

import time

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.errors import status_for
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError, ModelNotFound, ModelUnavailable
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, row_count, score_online, serving
from batchsvc.jobs.online_fast import fast_scored
from batchsvc.schemas import PredictionRequest
from batchsvc.storage.services import Services

JSON = "application/json"


async def predict_deployment(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    raw = await request.body()
    fast = request.app.state.online_fast and await run_in_threadpool(_fast_deployment, svc, _cache(request), name, raw)
    if fast:
        return Response(fast, media_type=JSON)
    body = await read_json(request, PredictionRequest)
    scored = await run_in_threadpool(lambda: predict_logged(svc, _cache(request), svc.deployments.spec(name), body))
    return JSONResponse(scored.body)  # one thread-pool hop: the deployment read, scoring and logging together


async def predict_model(request: Request) -> Response:
    svc, ref = services(request), request.path_params["ref"]
    raw = await request.body()
    fast = request.app.state.online_fast and await run_in_threadpool(fast_logged, svc, _cache(request), ref, raw)
    if fast:
        return Response(fast, media_type=JSON)
    body = await read_json(request, PredictionRequest)
    scored = await run_in_threadpool(predict_logged, svc, _cache(request), ref, body)
    return JSONResponse(scored.body)


def _cache(request: Request) -> ModelCache:
    return request.app.state.model_cache


def _fast_deployment(svc: Services, cache: ModelCache, name: str, raw: bytes) -> bytes | None:
    """fast_logged for a deployment; None for one that does not exist (the full path answers the 404)."""
    try:
        deployment = svc.deployments.spec(name)
    except BatchsvcError:
        return None
    return fast_logged(svc, cache, deployment, raw)


def fast_logged(svc: Services, cache: ModelCache, target: str | dict, raw: bytes) -> bytes | None:
    """The fast path's answer as JSON bytes, a deployment's request logged as a success; None: take the full path."""
    started = time.perf_counter()
    scored = fast_scored(svc, cache, target, raw)
    if scored is None:
        return None
    if isinstance(target, dict):
        rows = sum(len(table["values"]) for table in scored.body["predictions"])
        _log(svc, target, rows, started, None, scored)
    return orjson.dumps(scored.body)


def predict_logged(svc: Services, cache: ModelCache, target: str | dict, body: PredictionRequest) -> Scored:
    """score_online, with a deployment's request logged and counted whatever its outcome."""
    started = time.perf_counter()
    try:
        scored = score_online(svc, cache, target, body)
    except Exception as exc:
        if isinstance(target, dict):
            _log(svc, target, row_count(body), started, exc, None)
        raise
    if isinstance(target, dict):
        _log(svc, target, row_count(body), started, None, scored)
    return scored


def _log(svc: Services, deployment: dict, rows: int, started: float, exc: Exception | None,
         scored: Scored | None) -> None:
    """One log entry and the counters; a success shows the deployment ready, a model that is gone or fails to
    load shows it failed."""
    meta = scored and scored.meta
    entry = {"time": iso(), "rows": rows, "ms": round((time.perf_counter() - started) * 1000, 3),
             "status": 200 if exc is None else status_for(exc), "version": meta and meta["version"],
             "engine": scored and scored.engine, "error": _describe(exc)}
    state = None
    if meta:
        state = {"state": "ready", "reason": None, "serving": serving(meta)}
    elif isinstance(exc, (ModelUnavailable, ModelNotFound)):
        state = {"state": "failed", "reason": exc.message}
    svc.request_log.add(deployment["name"], entry, state)


def _describe(exc: Exception | None) -> str | None:
    """The error in full, as the log keeps it (its type and message, with the field and row it names)."""
    if exc is None:
        return None
    if isinstance(exc, BatchsvcError):
        return f"{exc.type}: {exc.message}" + "".join(f"; {k}={v}" for k, v in exc.details.items())
    return f"{type(exc).__name__}: {exc}"
