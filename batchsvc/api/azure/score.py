"""POST (and GET) /api/v1/service/{deployment}/score: a code model's run() gets the raw body (GET: the query
string's values; @rawhttp: Flask's request) and answers as azmlinfsrv does;
a scikit-learn model's deployment takes Azure's {"data": [[...]]} (or records) through the native online core and
answers the list of predictions, as Azure's generated scikit-learn script does.

Every request whose deployment names a model version is logged on the deployment (newest first, bounded): run()'s
error with its traceback, init's traceback when it fails, and what the version's init printed, with the first
request this process answers for each deployment.
"""

import json
import time

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from batchsvc.api.azure.access import check_scorer
from batchsvc.api.azure.answer import request_ids, to_response
from batchsvc.api.azure.paths import SERVICE
from batchsvc.api.errors import status_for
from batchsvc.api.online_limits import run_limited
from batchsvc.api.predictions import predict_raw
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest, ModelNotFound, ModelUnavailable
from batchsvc.jobs.capture import capture_request
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import primary, resolve, routed, run_entry_script, shown_state
from batchsvc.jobs.routing import VERSION_HEADER
from batchsvc.schemas import PredictionRequest
from batchsvc.scoring.azure_run import FAILED_HEADER, Answer, ScoreRequest, options_answer
from batchsvc.scoring.engines import CODE
from batchsvc.storage.services import Services

TRACEBACK_MAX_CHARS = 8_000  # a log entry keeps the last this many characters of a traceback or of init's output
_INIT_LOGGED: set[str] = set()  # "deployment:sha256" pairs whose init output this process has logged


async def score(request: Request) -> Response:
    """POST (the body) or GET (the query string) on the scoring URI."""
    svc, name = services(request), request.path_params["deployment"]
    deployment = await run_in_threadpool(svc.deployments.spec, name)
    await run_in_threadpool(check_scorer, svc, request, deployment)
    asked = ScoreRequest(await request.body(), dict(request.headers), request.method, request.url.query,
                         SERVICE.format(name=name))
    ids, refused = request_ids(asked.headers)
    if refused:
        return to_response(refused, ids)
    cache = request.app.state.model_cache
    fast = request.app.state.online_fast
    answer = await run_limited(request, deployment, lambda: respond(svc, cache, deployment, asked, fast))
    return to_response(answer, ids)


def respond(svc: Services, cache: ModelCache, deployment: dict, request: ScoreRequest, fast: bool = True) -> Answer:
    """The answer to one request on the Azure route (routed once: its batchsvc-version or azureml-model-deployment
    pin, its routing key), logged on the deployment."""
    deployment = routed(deployment, request.headers)
    meta = resolve(svc, deployment)
    answered = {VERSION_HEADER: f"{meta['name']}@{meta['version']}"}
    if meta.get("kind") != CODE and request.method == "OPTIONS":  # Azure's generated script is no @rawhttp one
        return options_answer()
    if meta.get("kind") != CODE:
        scored, _ = predict_raw(svc, cache, deployment, native_body(request.body), lambda: translate(request.body),
                                fast)
        return Answer(200, json.dumps([row[0] for row in scored.body["predictions"][0]["values"]]).encode(),
                      {FAILED_HEADER: "False", **answered})
    started = time.perf_counter()
    try:
        answer, engine = run_entry_script(cache, meta, request)
    except (ModelUnavailable, ModelNotFound) as exc:
        cause = getattr(exc.__cause__, "traceback", None)
        _log(svc, deployment, started, status_for(exc), f"{exc.type}: {exc.message}", cause, None,
             shown_state(None, exc) if primary(deployment) else None, captured=(meta, request.body, None))
        raise
    output, logged = None, f"{deployment['name']}:{meta['sha256']}"
    if logged not in _INIT_LOGGED:
        _INIT_LOGGED.add(logged)
        output = engine.init_output or None
    _log(svc, deployment, started, answer.status, answer.error, answer.traceback, output,
         shown_state(meta, None) if primary(deployment) else None, meta["version"], (meta, request.body, answer.body))
    answer.headers.update(answered)
    return answer


def native_body(raw: bytes) -> bytes | None:
    """Azure's scikit-learn body as the native one's JSON for the fast path (None: the full path reads it)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    shape = _native_shape(body)
    return None if shape is None else orjson.dumps(shape)


def translate(raw: bytes) -> PredictionRequest:
    """Azure's scikit-learn bodies as the native request: {"data": [[...]]} (values in the model's feature order),
    {"data": [{...}]} or [{...}] (records)."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}", field="data") from None
    shape = _native_shape(body)
    if shape is None:
        raise InvalidRequest('the body needs "data": a list of rows ([[...]]) or of records ([{...}])', field="data")
    return PredictionRequest.model_validate(shape)


def _native_shape(body) -> dict | None:
    """Azure's rows in the native body's shape (records, or one table of values); None when it holds no rows."""
    rows = body.get("data") if isinstance(body, dict) else body
    if not isinstance(rows, list) or not rows:
        return None
    if all(isinstance(row, dict) for row in rows):
        return {"records": rows}
    return {"input_data": [{"values": rows}]}


def _log(svc: Services, deployment: dict, started: float, status: int, error: str | None, trace: str | None,
         output: str | None, state: dict | None, version: int | None = None,
         captured: tuple[dict, bytes, bytes | None] | None = None) -> None:
    """One entry on the deployment's log, with the state the request showed; `captured` (the version, the raw
    body and answer) is offered to the deployment's capture as text (jobs/capture.py)."""
    entry = {"time": iso(), "rows": 0, "ms": round((time.perf_counter() - started) * 1000, 3), "status": status,
             "version": version, "engine": CODE, "error": error, "traceback": _tail(trace), "output": _tail(output)}
    svc.request_log.add(deployment["name"], entry, state)  # batched off the request path, as native requests are
    if captured:
        meta, raw, body = captured
        capture_request(svc, deployment, entry, meta, raw.decode("utf-8", "replace"),
                        body and body.decode("utf-8", "replace"))


def _tail(text: str | None) -> str | None:
    return text[-TRACEBACK_MAX_CHARS:] if text else None
