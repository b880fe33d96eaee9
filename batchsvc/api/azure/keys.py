"""Per-deployment keys and tokens: listkeys and regenerateKeys (admin), and token (the deployment's own key, or an
API key that may score): translation only, the keys live in storage/deployment_keys.py."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.azure.access import check_scorer
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.schemas.azure import DeploymentKeysResponse, DeploymentTokenResponse, RegenerateKeysRequest
from batchsvc.storage.deployment_keys import slot_of


async def list_keys(request: Request) -> Response:
    svc = services(request)
    deployment = await run_in_threadpool(svc.deployments.spec, request.path_params["name"])
    keys = await run_in_threadpool(svc.deployment_keys.list, deployment)
    return JSONResponse(DeploymentKeysResponse.model_validate(keys).model_dump())


async def regenerate(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, RegenerateKeysRequest)
    slot = slot_of(body.keyType)
    deployment = await run_in_threadpool(svc.deployments.spec, request.path_params["name"])
    keys = await run_in_threadpool(svc.deployment_keys.regenerate, deployment, slot)
    return JSONResponse(DeploymentKeysResponse.model_validate(keys).model_dump())


async def token(request: Request) -> Response:
    svc = services(request)
    deployment = await run_in_threadpool(svc.deployments.spec, request.path_params["name"])
    await run_in_threadpool(check_scorer, svc, request, deployment)
    issued = await run_in_threadpool(svc.deployment_keys.token, deployment)
    return JSONResponse(DeploymentTokenResponse.model_validate(issued).model_dump())
