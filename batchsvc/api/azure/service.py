"""The Azure view of a deployment (state Healthy or Failed, its URIs) and its swagger.json (with the request ids
azmlinfsrv answers there)."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.azure.access import check_scorer
from batchsvc.api.azure.answer import request_ids, to_response, with_ids
from batchsvc.api.azure.paths import SERVICE, scoring_uri, swagger_uri
from batchsvc.api.state import services
from batchsvc.errors import NotFound
from batchsvc.jobs.code_loader import unpacked_folder
from batchsvc.jobs.online import check_deployment, load_model, resolve
from batchsvc.scoring.azure_swagger import SwaggerError, document
from batchsvc.scoring.engines.code import CodeEngine

AZURE_STATES = {"ready": "Healthy", "failed": "Failed"}


async def view(request: Request) -> Response:
    """{name, state (Healthy, Failed), error, scoringUri, swaggerUri, model, serving}."""
    name, base = request.path_params["deployment"], str(request.base_url)
    record = await run_in_threadpool(check_deployment, services(request), request.app.state.model_cache, name)
    return JSONResponse({"name": name, "id": record["id"], "state": AZURE_STATES[record["state"]],
                         "error": record.get("reason"), "scoringUri": scoring_uri(base, name),
                         "swaggerUri": swagger_uri(base, name), "model": record["model"],
                         "serving": record.get("serving")})


async def swagger_json(request: Request) -> Response:
    """The entry script's Swagger document (?version= 2, 3 or 3.1, as azmlinfsrv); 404 for a scikit-learn model."""
    svc, name = services(request), request.path_params["deployment"]
    deployment = await run_in_threadpool(svc.deployments.spec, name)
    await run_in_threadpool(check_scorer, svc, request, deployment)
    meta = await run_in_threadpool(resolve, svc, deployment)
    engine = await run_in_threadpool(load_model, request.app.state.model_cache, meta)
    if not isinstance(engine, CodeEngine):
        raise NotFound(f"deployment {name!r} serves a scikit-learn model: no entry script, no swagger.json")
    ids, refused = request_ids(dict(request.headers))  # as azmlinfsrv answers them on each of its paths
    if refused is not None:
        return to_response(refused, ids)
    try:
        found = JSONResponse(document(engine.run, name, SERVICE.format(name=name),
                                      request.query_params.get("version"), unpacked_folder(meta["sha256"])))
    except SwaggerError as exc:  # azmlinfsrv's own answer for a swagger version it has not: 404, its ids, no record
        found = JSONResponse({"message": exc.message}, 404)
    return with_ids(found, ids)
