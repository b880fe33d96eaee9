"""Online predictions: POST /v1/deployments/{name}/predictions and /v1/models/{ref}/predictions.

A small request whose model has a verified onnx engine takes the fast path (jobs/online_fast.py: no pydantic,
no pandas, no Redis round trip); anything else, and anything the fast path cannot answer exactly as the full path
would, takes the full path. Either scores in the thread pool, never on the event loop's thread, within the
target's limits (api/online_limits.py). A deployment's request is logged and counted (with the state it showed)
in batches off the request path (storage/request_log.py); `predict_logged` is what the Watson ML routes call too.
"""

import time

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.errors import status_for
from batchsvc.api.online_limits import run_limited
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, row_count, score_online, shown_state
from batchsvc.jobs.online_fast import fast_scored
from batchsvc.schemas import PredictionRequest
from batchsvc.scoring.output import relabeled
from batchsvc.scoring.predict import PREDICTION
from batchsvc.storage.services import Services

JSON = "application/json"


async def predict_deployment(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    record = await run_in_threadpool(svc.deployments.spec, name)  # its limits apply before it scores
    return await _predict(request, svc, record)


async def predict_model(request: Request) -> Response:
    return await _predict(request, services(request), request.path_params["ref"])


async def _predict(request: Request, svc: Services, target: str | dict) -> Response:
    """The fast path's answer when it takes the body, else the full path's; either within the target's limits."""
    raw, cache, fast = await request.body(), request.app.state.model_cache, request.app.state.online_fast
    return await run_limited(request, target, lambda: _answer(svc, cache, target, raw, fast))


def _answer(svc: Services, cache: ModelCache, target: str | dict, raw: bytes, fast: bool) -> Response:
    if fast and _default_label(target):
        answer = fast_logged(svc, cache, target, raw)
        if answer is not None:
            return Response(answer, media_type=JSON)
    body = PredictionRequest.model_validate_json(raw)  # a bad body: 400 or 422 naming the field (api/errors.py)
    return JSONResponse(predict_logged(svc, cache, target, body).body)


def _default_label(target: str | dict) -> bool:
    """The fast path answers `prediction` only; a deployment with another label_field takes the full path."""
    return not isinstance(target, dict) or (target.get("label_field") or PREDICTION) == PREDICTION


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
        scored.body = relabeled(scored.body, target.get("label_field") or PREDICTION)
    return scored


def _log(svc: Services, deployment: dict, rows: int, started: float, exc: Exception | None,
         scored: Scored | None) -> None:
    """One log entry and the counters; a success shows the deployment ready, a model that is gone or fails to
    load shows it failed."""
    meta = scored.meta if scored else None
    entry = {"time": iso(), "rows": rows, "ms": round((time.perf_counter() - started) * 1000, 3),
             "status": 200 if exc is None else status_for(exc), "version": meta and meta["version"],
             "engine": scored and scored.engine, "error": _describe(exc)}
    if scored and scored.batch:
        entry["batch"] = scored.batch
    svc.request_log.add(deployment["name"], entry, shown_state(meta, exc))


def _describe(exc: Exception | None) -> str | None:
    """The error in full, as the log keeps it (its type and message, with the field and row it names)."""
    if exc is None:
        return None
    if isinstance(exc, BatchsvcError):
        return f"{exc.type}: {exc.message}" + "".join(f"; {k}={v}" for k, v in exc.details.items())
    return f"{type(exc).__name__}: {exc}"
