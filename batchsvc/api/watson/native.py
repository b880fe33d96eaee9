"""The one seam to the native online half of issue 11 (deployments, online scoring, tokens): every call
the compatibility layer makes into it is here, so a change there is a change in this file only."""

from batchsvc.errors import NotFound
from batchsvc.roles import Principal
from batchsvc.schemas import JobInput, JobRequest
from batchsvc.storage.services import Services


class DeploymentNotFound(NotFound):  # TODO(merge online): the native batchsvc.errors.DeploymentNotFound
    pass


def deployments(svc: Services) -> list[dict]:
    """Every deployment's record (id, name, model, state, reason, created_at, updated_at, description)."""
    return svc.deployments.list()


def deployment(svc: Services, deployment_id: str) -> dict:
    """The deployment whose id is `deployment_id` (a UUID); 404 otherwise."""
    for record in deployments(svc):
        if record["id"] == deployment_id:
            return record
    raise DeploymentNotFound(f"no deployment with id {deployment_id!r}", deployment_id=deployment_id)


def deployment_ids(svc: Services) -> dict[str, str]:
    """Deployment name -> id, to show which deployment a job named."""
    return {record["name"]: record["id"] for record in deployments(svc)}


def score(svc: Services, record: dict, body: bytes) -> dict:
    """The native online answer {"predictions": [...]} to a predictions body (JSON bytes) for the deployment."""
    from batchsvc.jobs.online import score_online

    return score_online(svc, record["name"], body)


def issue_token(svc: Services, principal: Principal) -> tuple[str, int]:
    """A native token (JWT) for a checked key's principal, and its lifetime in seconds."""
    from batchsvc.jobs.tokens import issue

    return issue(svc, principal)


def job_request(record: dict, source: JobInput, name: str | None) -> JobRequest:
    """The native job for a deployment job: it names the deployment, which resolves to the version it serves."""
    return JobRequest(deployment=record["name"], input=source, name=name)
