"""The one seam to the native online half of issue 11 (deployments, online scoring, tokens): every call
the compatibility layer makes into it is here, so a change there is a change in this file only."""

from starlette.requests import Request
from starlette.responses import Response

from batchsvc.api.deployments import deploy
from batchsvc.api.predictions import predict_target
from batchsvc.api.state import services
from batchsvc.roles import Principal
from batchsvc.schemas import DeploymentRequest, JobInput, JobRequest, OutputSpec
from batchsvc.storage.services import Services


async def create_deployment(request: Request, body: DeploymentRequest) -> dict:
    """A new native deployment's record, its model checked (ready or failed), as POST /v1/deployments makes it."""
    return await deploy(request, body)


def deployments(svc: Services) -> list[dict]:
    """Every deployment's record (id, name, model, state, reason, serving, created_at, updated_at, ...)."""
    return svc.deployments.list()


def deployment(svc: Services, deployment_id: str) -> dict:
    """The deployment whose id is `deployment_id` (a UUID); DeploymentNotFound (404) otherwise."""
    return svc.deployments.by_id(deployment_id)


def deployment_ids(svc: Services) -> dict[str, str]:
    """Deployment name -> id, to show which deployment a job named."""
    return {record["name"]: record["id"] for record in deployments(svc)}


async def predict(request: Request, record: dict) -> Response:
    """The native online answer to the request's raw body (the lab's {"input_data": [...]} is the native body), as
    POST /v1/deployments/{name}/predictions gives it: the fast path, batching and limits alike."""
    return await predict_target(request, services(request), record)


def issue_token(svc: Services, principal: Principal) -> tuple[str, int]:
    """A native token (JWT) for a checked key's principal, and its lifetime in seconds."""
    issued = svc.tokens.issue(principal)
    return issued["token"], issued["expires_in"]


def job_request(record: dict, source: JobInput, output: OutputSpec, name: str | None) -> JobRequest:
    """The native job for a deployment job: it names the deployment, which resolves to the version it serves."""
    return JobRequest(deployment=record["name"], input=source, output=output, name=name)
