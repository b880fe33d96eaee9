"""Online predictions: POST /v1/deployments/{name}/predictions and /v1/models/{ref}/predictions.

A small request whose model has a verified onnx engine takes the fast path (jobs/online_fast.py: no pydantic,
no pandas, no Redis round trip); anything else, and anything the fast path cannot answer exactly as the full path
would, takes the full path. Either scores in the thread pool, never on the event loop's thread, within the
target's limits (api/online_limits.py). A deployment's request is logged and counted (with the state it showed)
in batches off the request path (storage/request_log.py). A deployment with `batching` scores concurrent requests
together on either path (jobs/online_fast.py, jobs/online_batched.py). The other dialects come through here too:
Watson ML's predictions (`predict_target`), OIP's infer and Azure's scikit-learn route (`predict_raw`).
A deployment's request is routed first (jobs/online.routed: its pin and routing-key headers), answered with a
`batchsvc-version: name@version` header, and offered to its shadow once answered (jobs/shadow.py).
"""

import time
from collections.abc import Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.errors import status_for
from batchsvc.api.online_limits import run_limited
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError
from batchsvc.jobs import online_batched, shadow
from batchsvc.jobs.capture import capture_request
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, primary, routed, row_count, shown_state
from batchsvc.jobs.online_fast import fast_scored
from batchsvc.jobs.routing import VERSION_HEADER
from batchsvc.schemas import PredictionRequest
from batchsvc.scoring.output import relabeled
from batchsvc.scoring.predict import PREDICTION
from batchsvc.storage.services import Services

JSON = "application/json"


async def predict_deployment(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    record = await run_in_threadpool(svc.deployments.spec, name)  # its limits apply before it scores
    return await predict_target(request, svc, record)


async def predict_model(request: Request) -> Response:
    return await predict_target(request, services(request), request.path_params["ref"])


async def predict_target(request: Request, svc: Services, target: str | dict) -> Response:
    """The fast path's answer when it takes the body, else the full path's; either within the target's limits."""
    raw, cache, fast = await request.body(), request.app.state.model_cache, request.app.state.online_fast
    target = routed(target, request.headers)  # once, before it scores: the fast and full paths answer alike
    return await run_limited(request, target, lambda: _answer(svc, cache, target, raw, fast))


def _answer(svc: Services, cache: ModelCache, target: str | dict, raw: bytes, fast: bool) -> Response:
    scored, answer = predict_raw(svc, cache, target, raw, lambda: PredictionRequest.model_validate_json(raw), fast)
    if answer is not None:
        return Response(answer, media_type=JSON, headers=version_header(scored))
    return JSONResponse(scored.body, headers=version_header(scored))


def predict_raw(svc: Services, cache: ModelCache, target: str | dict, raw: bytes | None,
                body: Callable[[], PredictionRequest], fast: bool) -> tuple[Scored, bytes | None]:
    """A native body's answer, logged: the fast path's (with its JSON bytes) when it takes `raw`, else the full
    path's on `body()` (a dialect's own reading of its request: a bad one is a 400 or 422 naming the field)."""
    if fast and raw is not None and _default_label(target):
        answer = fast_logged(svc, cache, target, raw)
        if answer is not None:
            return answer[1], answer[0]
    return predict_logged(svc, cache, target, body()), None


def version_header(scored: Scored) -> dict[str, str]:
    """The response header saying which version answered."""
    return {VERSION_HEADER: f"{scored.meta['name']}@{scored.meta['version']}"}


def _default_label(target: str | dict) -> bool:
    """The fast path answers `prediction` only; a deployment with another label_field takes the full path."""
    return not isinstance(target, dict) or (target.get("label_field") or PREDICTION) == PREDICTION


def fast_logged(svc: Services, cache: ModelCache, target: str | dict, raw: bytes) -> tuple[bytes, Scored] | None:
    """The fast path's answer as JSON bytes (and as scored), a deployment's request logged as a success and offered
    to its shadow; None: take the full path."""
    started = time.perf_counter()
    scored = fast_scored(svc, cache, target, raw)
    if scored is None:
        return None
    if isinstance(target, dict):
        rows = sum(len(table["values"]) for table in scored.body["predictions"])
        captured = _log(svc, target, rows, started, None, scored, raw)
        shadow.mirror(svc, cache).offer(target, raw, scored, captured)
    return orjson.dumps(scored.body), scored


def predict_logged(svc: Services, cache: ModelCache, target: str | dict, body: PredictionRequest) -> Scored:
    """The full path's answer (online_batched.score: score_online, batched when the deployment says so), with a
    deployment's request logged and counted whatever its outcome."""
    started = time.perf_counter()
    try:
        scored = online_batched.score(svc, cache, target, body)
    except Exception as exc:
        if isinstance(target, dict):
            _log(svc, target, row_count(body), started, exc, None, body)
        raise
    if isinstance(target, dict):
        captured = _log(svc, target, row_count(body), started, None, scored, body)
        shadow.mirror(svc, cache).offer(target, body, Scored(scored.body, scored.meta, scored.engine), captured)
        scored.body = relabeled(scored.body, target.get("label_field") or PREDICTION)
    return scored


def _log(svc: Services, deployment: dict, rows: int, started: float, exc: Exception | None,
         scored: Scored | None, given: bytes | PredictionRequest) -> str | None:
    """One log entry and the counters; a success shows the deployment ready, a model that is gone or fails to
    load shows it failed. A sampled request is captured with its body (`given`) and answer (jobs/capture.py):
    the capture's request id, under which its shadow's answer is captured too."""
    meta = scored.meta if scored else None
    entry = {"time": iso(), "rows": rows, "ms": round((time.perf_counter() - started) * 1000, 3),
             "status": 200 if exc is None else status_for(exc), "version": meta and meta["version"],
             "engine": scored and scored.engine, "error": _describe(exc)}
    if scored and scored.batch:
        entry["batch"] = scored.batch
    svc.request_log.add(deployment["name"], entry, shown_state(meta, exc) if primary(deployment) else None)
    return capture_request(svc, deployment, entry, meta, given, scored and scored.body)


def _describe(exc: Exception | None) -> str | None:
    """The error in full, as the log keeps it (its type and message, with the field and row it names)."""
    if exc is None:
        return None
    if isinstance(exc, BatchsvcError):
        return f"{exc.type}: {exc.message}" + "".join(f"; {k}={v}" for k, v in exc.details.items())
    return f"{type(exc).__name__}: {exc}"
