"""/ml/v4/deployments[/{id}[/predictions]] and /v2/assets/{id}: native deployments as Watson ML shows them."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.online_limits import run_limited
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.api.watson import native, shapes
from batchsvc.api.watson.ids import asset_id
from batchsvc.errors import BatchsvcError, NotFound
from batchsvc.schemas import PredictionRequest
from batchsvc.storage.services import Services


class AssetNotFound(NotFound):
    pass


async def list_deployments(request: Request) -> Response:
    resources = await run_in_threadpool(_all, services(request), _base(request))
    return JSONResponse({"total_count": len(resources), "resources": resources})


async def get_deployment(request: Request) -> Response:
    svc = services(request)
    record = await run_in_threadpool(native.deployment, svc, request.path_params["deployment_id"])
    return JSONResponse(shapes.deployment(record, await run_in_threadpool(_sha256, svc, record), _base(request)))


async def predictions(request: Request) -> Response:
    """Online scoring: the lab's {"input_data": [...]} body, answered by the native scoring as it is."""
    body = await read_json(request, PredictionRequest)
    record = await run_in_threadpool(native.deployment, services(request), request.path_params["deployment_id"])
    return JSONResponse(await run_limited(request, record, lambda: native.score(request, record, body)))


async def get_asset(request: Request) -> Response:
    """The model version a deployment serves, as a data asset (found by its asset id)."""
    wanted = request.path_params["asset_id"]
    version = await run_in_threadpool(_version_with_asset, services(request), wanted)
    if version is None:
        raise AssetNotFound(f"no asset {wanted!r}; assets here are the models that deployments serve")
    return JSONResponse(shapes.asset(version))


def _all(svc: Services, base_url: str) -> list[dict]:
    return [shapes.deployment(r, _sha256(svc, r), base_url) for r in native.deployments(svc)]


def _served(svc: Services, record: dict) -> dict | None:
    """The model version the deployment's reference names now, or None when it names none."""
    try:
        return svc.registry.resolve(record["model"])
    except BatchsvcError:
        return None


def _sha256(svc: Services, record: dict) -> str | None:
    version = _served(svc, record)
    return version["sha256"] if version else None


def _version_with_asset(svc: Services, wanted: str) -> dict | None:
    for record in native.deployments(svc):
        version = _served(svc, record)
        if version and asset_id(version["sha256"]) == wanted:
            return version
    return None


def _base(request: Request) -> str:
    """The scheme and host the client called, for the scoring URLs in answers."""
    return str(request.base_url).rstrip("/")
