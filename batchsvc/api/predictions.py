"""Online predictions: POST /v1/deployments/{name}/predictions and /v1/models/{ref}/predictions.

Scoring runs in the thread pool, never on the event loop's thread, so other requests keep flowing while one
scores, within the deployment's limits (api/online_limits.py). A deployment's request is logged and counted
(with the state it showed) in one Redis round trip; `predict_logged` is what the Watson ML routes call too.
"""

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.errors import status_for
from batchsvc.api.online_limits import run_limited
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError, ModelNotFound, ModelUnavailable
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, row_count, score_online, serving
from batchsvc.schemas import PredictionRequest
from batchsvc.scoring.output import relabeled
from batchsvc.scoring.predict import PREDICTION
from batchsvc.storage.services import Services


async def predict_deployment(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    body = await read_json(request, PredictionRequest)
    record = await run_in_threadpool(svc.deployments.spec, name)  # its limits apply before it scores
    scored = await run_limited(request, record, lambda: predict_logged(svc, _cache(request), record, body))
    return JSONResponse(scored.body)


async def predict_model(request: Request) -> Response:
    svc, ref = services(request), request.path_params["ref"]
    body = await read_json(request, PredictionRequest)
    scored = await run_limited(request, ref, lambda: predict_logged(svc, _cache(request), ref, body))
    return JSONResponse(scored.body)


def _cache(request: Request) -> ModelCache:
    return request.app.state.model_cache


def predict_logged(svc: Services, cache: ModelCache, target: str | dict, body: PredictionRequest) -> Scored:
    """score_online, with a deployment's request logged and counted whatever its outcome."""
    started = time.perf_counter()
    try:
        scored = score_online(svc, cache, target, body)
    except Exception as exc:
        if isinstance(target, dict):
            _log(svc, target, body, started, exc, None)
        raise
    if isinstance(target, dict):
        _log(svc, target, body, started, None, scored)
        scored.body = relabeled(scored.body, target.get("label_field") or PREDICTION)
    return scored


def _log(svc: Services, deployment: dict, body: PredictionRequest, started: float, exc: Exception | None,
         scored: Scored | None) -> None:
    """One log entry (with the engine that scored it: none for a refused request) and the counters; a success
    shows the deployment ready, a model that is gone or fails to load shows it failed."""
    meta = scored.meta if scored else None
    entry = {"time": iso(), "rows": row_count(body), "ms": round((time.perf_counter() - started) * 1000, 3),
             "status": 200 if exc is None else status_for(exc), "version": meta and meta["version"],
             "engine": scored.engine if scored else None, "error": _describe(exc)}
    state = None
    if meta is not None:
        state = {"state": "ready", "reason": None, "serving": serving(meta)}
    elif isinstance(exc, (ModelUnavailable, ModelNotFound)):
        state = {"state": "failed", "reason": exc.message}
    svc.deployments.record_request(deployment["name"], entry, state)


def _describe(exc: Exception | None) -> str | None:
    """The error in full, as the log keeps it (its type and message, with the field and row it names)."""
    if exc is None:
        return None
    if isinstance(exc, BatchsvcError):
        return f"{exc.type}: {exc.message}" + "".join(f"; {k}={v}" for k, v in exc.details.items())
    return f"{type(exc).__name__}: {exc}"
