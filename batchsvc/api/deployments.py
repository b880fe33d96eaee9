"""/v1/deployments: create, read (state checked when read), change (recorded in its history: api/rollout.py),
delete, and the request log."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import principal
from batchsvc.api.azure.paths import scoring_uri
from batchsvc.api.params import int_param, read_json
from batchsvc.api.rollout import check_refs, record_change
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.online import check_deployment
from batchsvc.names import check_name
from batchsvc.schemas import DeploymentList, DeploymentLogs, DeploymentPatch, DeploymentRecord, DeploymentRequest
from batchsvc.storage.deployments import LOG_ENTRIES, new_deployment_id

LOGS_DEFAULT = 100


def scoring_path(name: str) -> str:
    return f"/v1/deployments/{name}/predictions"


def present(request: Request, record: dict) -> dict:
    """A stored deployment as the API shows it (DeploymentRecord), with its absolute scoring URL."""
    url = str(request.base_url).rstrip("/") + scoring_path(record["name"])
    azure = scoring_uri(str(request.base_url), record["name"])
    return DeploymentRecord.model_validate({**record, "scoring_url": url, "scoring_uri": azure}).model_dump(mode="json")


def _checked(request: Request, name: str):
    """The record after its model was loaded here (ready) or found unusable (failed, with the reason)."""
    return run_in_threadpool(check_deployment, services(request), request.app.state.model_cache, name)


async def create(request: Request) -> Response:
    body = await read_json(request, DeploymentRequest)
    return JSONResponse(present(request, await deploy(request, body)), status_code=201)


async def deploy(request: Request, body: DeploymentRequest) -> dict:
    """Store a new deployment and check its model: the record, ready or failed (Watson ML's create calls it too)."""
    svc = services(request)
    check_name(body.name, "deployment name")
    if not body.model and not body.traffic:
        raise InvalidRequest("give model (one reference) or traffic (a split between references)", field="model")
    given = {"model": body.model, "traffic": body.traffic, "shadow": body.shadow and body.shadow.model_dump()}
    served = await run_in_threadpool(check_refs, svc, given)  # 404 naming the model now, not at the first call
    now = iso()
    record = {"name": body.name, "id": new_deployment_id(), "model": served["model"], "traffic": served["traffic"],
              "shadow": served["shadow"], "description": body.description,
              "engine": body.engine, "label_field": body.label_field,
              "limits": body.limits and body.limits.model_dump(exclude_none=True),
              "batching": body.batching and body.batching.model_dump(), "created_at": now, "updated_at": now,
              "created_by": principal(request).name}
    if body.capture and body.capture.percent:
        record["capture"] = body.capture.model_dump()
    await run_in_threadpool(svc.deployments.create, record)
    return await _checked(request, body.name)


async def list_deployments(request: Request) -> Response:
    svc = services(request)
    names = [d["name"] for d in await run_in_threadpool(svc.deployments.list)]
    records = [present(request, await _checked(request, name)) for name in names]
    return JSONResponse(DeploymentList.model_validate({"deployments": records}).model_dump(mode="json"))


async def get(request: Request) -> Response:
    return JSONResponse(present(request, await _checked(request, request.path_params["name"])))


async def change(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    body = await read_json(request, DeploymentPatch)
    given = body.model_dump(include=body.model_fields_set)
    # null: the default (engine auto, the server's limits, no traffic split, no shadow, no capture, batching off);
    # a field left out stays as it is
    nullable = ("engine", "limits", "capture", "traffic", "shadow", "batching")
    fields = {k: v for k, v in given.items() if v is not None or k in nullable}
    if fields.get("limits"):
        fields["limits"] = {k: v for k, v in fields["limits"].items() if v is not None}
    before = await run_in_threadpool(svc.deployments.get, name)
    fields = await run_in_threadpool(check_refs, svc, fields)  # each reference named when it names nothing
    await run_in_threadpool(lambda: svc.deployments.change(name, **fields))
    after = await _checked(request, name)
    await run_in_threadpool(record_change, request, before, after)
    return JSONResponse(present(request, after))


async def delete(request: Request) -> Response:
    await run_in_threadpool(services(request).deployments.delete, request.path_params["name"])
    return Response(status_code=204)


async def logs(request: Request) -> Response:
    limit = int_param(request, "limit", LOGS_DEFAULT, 1, LOG_ENTRIES) or LOGS_DEFAULT
    svc = services(request)
    await run_in_threadpool(svc.request_log.flush)  # this process's latest requests are in the answer
    entries = await run_in_threadpool(svc.deployments.logs, request.path_params["name"], limit)
    return JSONResponse(DeploymentLogs.model_validate({"logs": entries}).model_dump(mode="json"))
