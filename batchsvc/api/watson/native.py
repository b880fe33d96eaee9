"""The one seam to the native online half of issue 11 (deployments, online scoring, tokens): every call
the compatibility layer makes into it is here, so a change there is a change in this file only."""

from starlette.requests import Request

from batchsvc.api.deployments import deploy
from batchsvc.api.predictions import predict_logged, version_header
from batchsvc.api.state import services
from batchsvc.jobs.online import Scored, routed
from batchsvc.roles import Principal
from batchsvc.schemas import DeploymentRequest, JobInput, JobRequest, OutputSpec, PredictionRequest
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


def score(request: Request, record: dict, body: PredictionRequest) -> Scored:
    """The native online answer (its body {"predictions": [...]} and the version that answered), routed by the
    request's pin and routing-key headers, logged and counted on the deployment as native calls are."""
    return predict_logged(services(request), request.app.state.model_cache, routed(record, request.headers), body)


def answered_by(scored: Scored) -> dict[str, str]:
    """The response header naming the version that answered (batchsvc-version: name@version)."""
    return version_header(scored)


def issue_token(svc: Services, principal: Principal) -> tuple[str, int]:
    """A native token (JWT) for a checked key's principal, and its lifetime in seconds."""
    issued = svc.tokens.issue(principal)
    return issued["token"], issued["expires_in"]


def job_request(record: dict, source: JobInput, output: OutputSpec, name: str | None) -> JobRequest:
    """The native job for a deployment job: it names the deployment, which resolves to the version it serves."""
    return JobRequest(deployment=record["name"], input=source, output=output, name=name)
