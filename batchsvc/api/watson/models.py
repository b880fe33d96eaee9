"""/ml/v4/models: native model versions as Watson ML models (id: the version's asset id, a UUID from its file's
sha256), listed, read and deleted; store_model's requests (create, then the content) register a new version."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.state import services
from batchsvc.api.watson import shapes
from batchsvc.api.watson.ids import asset_id
from batchsvc.errors import AssetNotFound
from batchsvc.storage.services import Services


async def list_models(request: Request) -> Response:
    """Every version of every model, newest first."""
    versions = await run_in_threadpool(all_versions, services(request))
    resources = [shapes.model(v) for v in versions]
    return JSONResponse({"total_count": len(resources), "limit": len(resources), "resources": resources})


async def get_model(request: Request) -> Response:
    version = await run_in_threadpool(find_version, services(request), request.path_params["model_id"])
    return JSONResponse(shapes.model(version))


async def delete_model(request: Request) -> Response:
    """Remove the native version (and the aliases that point at it), as DELETE /v1/models/{name}/versions/{v}."""
    svc = services(request)
    version = await run_in_threadpool(find_version, svc, request.path_params["model_id"])
    await run_in_threadpool(svc.registry.delete_version, version["name"], version["version"])
    return Response(status_code=204)


def all_versions(svc: Services) -> list[dict]:
    """Every model version, newest first."""
    found = []
    for model in svc.registry.list():
        found += svc.registry.versions(model["name"])
    return sorted(found, key=lambda v: v["created_at"], reverse=True)


def find_version(svc: Services, wanted: str) -> dict:
    """The model version whose asset id is `wanted` (the newest, should two hold the very same file)."""
    for version in all_versions(svc):
        if asset_id(version["sha256"]) == wanted:
            return version
    raise AssetNotFound(f"no model {wanted!r}; GET /ml/v4/models lists them", field="model_id")
