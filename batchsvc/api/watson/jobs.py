"""/ml/v4/deployment_jobs: Watson ML's batch jobs are native jobs that name a deployment (ids as UUIDs)."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import principal
from batchsvc.api.jobs import LIST_MAX, present, visible_job
from batchsvc.api.params import int_param, read_json
from batchsvc.api.state import services
from batchsvc.api.watson import native, shapes
from batchsvc.api.watson.bodies import DeploymentJobRequest, job_input, job_output
from batchsvc.api.watson.ids import native_job_id
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.accept import submit_job
from batchsvc.jobs.cancel import cancel
from batchsvc.status import JobStatus
from batchsvc.storage.services import Services


async def create(request: Request) -> Response:
    """Submit the native job: the deployment by its id, the inline tables or the one data reference."""
    svc, body = services(request), await read_json(request, DeploymentJobRequest)
    record = await run_in_threadpool(native.deployment, svc, body.deployment.id)
    native_body = native.job_request(record, job_input(body.scoring), job_output(body.scoring), body.name)
    job, _ = await run_in_threadpool(submit_job, svc, native_body, request.app.state.enqueue,
                                     created_by=principal(request).name)
    return JSONResponse(shapes.job(present(job), record["id"]), status_code=202)


async def get(request: Request) -> Response:
    job = await visible_job(request, native_job_id(request.path_params["job_id"]))
    ids = await run_in_threadpool(native.deployment_ids, services(request))
    return JSONResponse(shapes.job(present(job), ids.get(job.get("deployment") or "")))


async def list_jobs(request: Request) -> Response:
    """Every job, newest first (one that named no deployment shows none); ?state= and ?deployment_id= filter them."""
    svc, q = services(request), request.query_params
    state = q.get("state")
    if state is not None and state not in {s.value for s in JobStatus}:
        raise InvalidRequest(f"state must be one of: {', '.join(s.value for s in JobStatus)}", field="state")
    limit = int_param(request, "limit", LIST_MAX, 1, LIST_MAX)
    jobs, _ = await run_in_threadpool(svc.store.list, status=state, owner=principal(request).owner_scope,
                                      limit=LIST_MAX)
    ids = await run_in_threadpool(native.deployment_ids, svc)
    resources = [shapes.job(present(j), ids.get(j.get("deployment") or "")) for j in jobs]
    wanted = q.get("deployment_id")
    resources = [r for r in resources if wanted in (None, r["entity"]["deployment"]["id"])][:limit]
    return JSONResponse({"total_count": len(resources), "resources": resources})


async def delete(request: Request) -> Response:
    """Cancel a queued or running job (204 for a finished one too); ?hard_delete=true also removes it."""
    job_id = native_job_id(request.path_params["job_id"])
    hard = request.query_params.get("hard_delete", "false")
    if hard not in ("true", "false"):
        raise InvalidRequest("hard_delete must be true or false", field="hard_delete")
    await visible_job(request, job_id)
    await run_in_threadpool(_end, services(request), job_id, hard == "true")
    return Response(status_code=204)


def _end(svc: Services, job_id: str, remove: bool) -> None:
    """Cancel if still active; with remove, delete the record and its files as DELETE /v1/jobs/{id} does."""
    cancel(svc, job_id)
    if remove:
        svc.store.delete(job_id)
        svc.data.job_dir(job_id).remove_tree()
