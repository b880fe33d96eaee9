"""The Open Inference Protocol's routes: server health and metadata, model metadata and readiness, and infer,
which scores through the native online core (its fast path and batching) within the deployment's limits, logged as
native calls are."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc import __version__
from batchsvc.api.oip import targets, tensors
from batchsvc.api.online_limits import run_limited
from batchsvc.api.predictions import predict_raw, version_header
from batchsvc.api.state import services
from batchsvc.jobs.online import routed

NOT_READY = 400  # the protocol answers "false" with a 4xx status


async def live(request: Request) -> Response:
    return JSONResponse({"live": True})


async def ready(request: Request) -> Response:
    """Ready when Redis answers (deployments, models and keys live there)."""
    try:
        await request.app.state.aredis.ping()
    except Exception:
        return JSONResponse({"ready": False}, NOT_READY)
    return JSONResponse({"ready": True})


async def server_metadata(request: Request) -> Response:
    return JSONResponse({"name": "batchsvc", "version": __version__, "extensions": []})


async def model_metadata(request: Request) -> Response:
    name, version = _name(request)
    cache = request.app.state.model_cache
    return JSONResponse(await run_in_threadpool(targets.metadata, services(request), cache, name, version))


async def model_ready(request: Request) -> Response:
    name, version = _name(request)
    is_ready = await run_in_threadpool(targets.ready, services(request), request.app.state.model_cache, name, version)
    return JSONResponse({"name": name, "ready": is_ready}, 200 if is_ready else NOT_READY)


async def infer(request: Request) -> Response:
    """Tensors in, the core's predictions out as tensors; `outputs` chooses among predict and predict_proba. The
    rows go to the native core as its own body (fast path and batching alike)."""
    svc, (name, version) = services(request), _name(request)
    body, binary = tensors.split_body(await request.body(), request.headers.get("Inference-Header-Content-Length"))
    table = tensors.rows(body, binary)
    target = routed(await run_in_threadpool(targets.target, svc, name, version), request.headers)
    cache, fast = request.app.state.model_cache, request.app.state.online_fast
    scored, _ = await run_limited(request, target, lambda: predict_raw(
        svc, cache, target, tensors.native_body(table), lambda: tensors.native_request(table), fast))
    answer = {"model_name": name, "model_version": str(scored.meta["version"]),
              "outputs": tensors.outputs(scored.body["predictions"][0], body.get("outputs"))}
    if body.get("id") is not None:
        answer["id"] = body["id"]
    return JSONResponse(answer, headers=version_header(scored))


def _name(request: Request) -> tuple[str, str | None]:
    return request.path_params["name"], request.path_params.get("version")
