"""/ml/v4/deployments[/{id}[/predictions]] and /v2/assets/{id}: native deployments as Watson ML shows them, created
(online or batch alike: a native deployment serves both) and deleted."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.api.watson import native, shapes
from batchsvc.api.watson.bodies import DeploymentCreate, DeploymentPatch, native_name
from batchsvc.api.watson.ids import native_upload_id
from batchsvc.api.watson.models import find_version, model_ids
from batchsvc.errors import AssetNotFound, BatchsvcError
from batchsvc.jobs.data_assets import get_asset as get_asset_record
from batchsvc.jobs.online import check_deployment
from batchsvc.schemas import DeploymentRequest
from batchsvc.storage.services import Services


async def create(request: Request) -> Response:
    """A native deployment of the model version asset.id names (its exact version: name@version)."""
    svc, body = services(request), await read_json(request, DeploymentCreate)
    version = await run_in_threadpool(find_version, svc, body.asset.id)
    native_body = DeploymentRequest(name=native_name(body.name), model=f"{version['name']}@{version['version']}",
                                    description=body.description or "")
    record = await native.create_deployment(request, native_body)
    return JSONResponse(shapes.deployment(record, body.asset.id, _base(request)), status_code=202)


async def update(request: Request) -> Response:
    """deployments.update: its JSON Patch of /description or /asset (a model id: the exact version it names) as
    the native change; 202 when the asset changed (the client then waits for ready), else 200."""
    svc, patch = services(request), await read_json(request, DeploymentPatch)
    record = await run_in_threadpool(native.deployment, svc, request.path_params["deployment_id"])
    changes = await run_in_threadpool(_native_changes, svc, patch)
    await run_in_threadpool(lambda: svc.deployments.change(record["name"], **changes))
    record = await run_in_threadpool(check_deployment, svc, request.app.state.model_cache, record["name"])
    body = shapes.deployment(record, await run_in_threadpool(_model_id, svc, record), _base(request))
    return JSONResponse(body, status_code=202 if "model" in changes else 200)


def _native_changes(svc: Services, patch: DeploymentPatch) -> dict:
    changes: dict = {}
    for op in patch.root:
        if op.path == "/description":
            changes["description"] = str(op.value or "")
        else:
            asset = op.value if isinstance(op.value, dict) else {}
            version = find_version(svc, str(asset.get("id", "")))
            changes["model"] = f"{version['name']}@{version['version']}"
    return changes


async def delete(request: Request) -> Response:
    svc = services(request)
    record = await run_in_threadpool(native.deployment, svc, request.path_params["deployment_id"])
    await run_in_threadpool(svc.deployments.delete, record["name"])
    return Response(status_code=204)


async def list_deployments(request: Request) -> Response:
    """Every deployment, or those of the model ?asset_id= names (the client asks before it deletes a model)."""
    resources = await run_in_threadpool(_all, services(request), _base(request))
    wanted = request.query_params.get("asset_id")
    resources = [r for r in resources if wanted in (None, r["entity"]["asset"]["id"])]
    return JSONResponse({"total_count": len(resources), "resources": resources})


async def get_deployment(request: Request) -> Response:
    svc = services(request)
    record = await run_in_threadpool(native.deployment, svc, request.path_params["deployment_id"])
    return JSONResponse(shapes.deployment(record, await run_in_threadpool(_model_id, svc, record), _base(request)))


async def predictions(request: Request) -> Response:
    """Online scoring: the lab's {"input_data": [...]} body is the native one, answered by the native route's core
    (fast path, batching, limits) as it is."""
    record = await run_in_threadpool(native.deployment, services(request), request.path_params["deployment_id"])
    return await native.predict(request, record)


async def get_asset(request: Request) -> Response:
    """A data asset (a named upload), or the model version a deployment serves (found by its asset id)."""
    svc, wanted = services(request), request.path_params["asset_id"]
    upload = await run_in_threadpool(_data_asset, svc, wanted)
    if upload is not None:
        return JSONResponse(shapes.data_asset(upload))
    try:
        version = await run_in_threadpool(find_version, svc, wanted)
    except AssetNotFound:
        raise AssetNotFound(f"no asset {wanted!r}: neither a data asset nor a model", field="asset_id") from None
    return JSONResponse(shapes.asset(version, wanted))


def _data_asset(svc: Services, wanted: str) -> dict | None:
    try:
        return get_asset_record(svc, native_upload_id(wanted))
    except AssetNotFound:
        return None


def _all(svc: Services, base_url: str) -> list[dict]:
    records = native.deployments(svc)
    return [shapes.deployment(r, _model_id(svc, r), base_url) for r in records]


def _model_id(svc: Services, record: dict) -> str | None:
    """The Watson id of the model version the deployment's reference names now (None when it names none)."""
    try:
        version = svc.registry.resolve(record["model"])
    except BatchsvcError:
        return None
    return model_ids(svc, [version])[0]


def _base(request: Request) -> str:
    """The scheme and host the client called, for the scoring URLs in answers."""
    return str(request.base_url).rstrip("/")
