"""/v1/jobs: submit, read, wait, list, cancel, results, events, delete."""

import asyncio
from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from batchsvc.api.auth import principal
from batchsvc.api.params import int_param, read_json
from batchsvc.api.state import services
from batchsvc.errors import Conflict, InvalidRequest, JobNotFound, UploadNotFound
from batchsvc.jobs.accept import request_of, submit_job
from batchsvc.jobs.cancel import cancel as cancel_job
from batchsvc.jobs.uploads import get_upload
from batchsvc.schemas import JobRecord, JobRequest, UploadInput
from batchsvc.scoring import output
from batchsvc.status import JobStatus
from batchsvc.storage.files import FORMAT_SUFFIXES, Location

MAX_WAIT_S = 60
DOWNLOAD_BLOCK_BYTES = 1 << 20
LIST_MAX = 500
MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv", "jsonl": "application/x-ndjson"}


def present(job: dict) -> dict:
    """A stored job as the API shows it (JobRecord, the shape /openapi.json documents)."""
    return JobRecord.from_stored(job).model_dump(mode="json")


async def visible_job(request: Request, job_id: str) -> dict:
    """The job, if the caller may see it: a submitter sees only its own, others look missing (no id leaks)."""
    job = await run_in_threadpool(services(request).store.get, job_id)
    owner = principal(request).owner_scope
    if owner is not None and job.get("created_by") != owner:
        raise JobNotFound(f"no job {job_id!r}", job_id=job_id)
    return job


async def _check_upload_owner(request: Request, body: JobRequest) -> None:
    """A submitter may score only its own uploads; another's upload looks missing."""
    owner = principal(request).owner_scope
    if owner is None or not isinstance(body.input, UploadInput):
        return
    upload = await run_in_threadpool(get_upload, services(request), body.input.upload)
    if upload.get("created_by") != owner:
        raise UploadNotFound(f"no upload {body.input.upload!r}; upload the file with POST /v1/uploads first",
                             field="input.upload")


async def submit(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, JobRequest)
    if request.headers.get("idempotency-key") and not body.idempotency_key:
        body = body.model_copy(update={"idempotency_key": request.headers["idempotency-key"]})
    await _check_upload_owner(request, body)
    job, created = await run_in_threadpool(submit_job, svc, body, request.app.state.enqueue,
                                           created_by=principal(request).name)
    return JSONResponse(present(job), status_code=202 if created else 200)


async def get(request: Request) -> Response:
    job_id = request.path_params["job_id"]
    wait_s = int_param(request, "wait", 0, 0, MAX_WAIT_S)
    if wait_s:
        return JSONResponse(present(await _wait_until_finished(request, job_id, wait_s)))
    return JSONResponse(present(await visible_job(request, job_id)))


async def _wait_until_finished(request: Request, job_id: str, wait_s: int) -> dict:
    """Hold the request until the job's done message arrives (pub/sub, api/job_waits.py), wait_s pass or the API
    is told to stop (SIGTERM: the record as it is now, as when the wait runs out). The job is read once after its
    wait is registered (it may have finished before that), which is also where its visibility is checked."""
    svc, draining, waits = services(request), request.app.state.draining, request.app.state.job_waits
    await waits.live()
    with waits.waiting(job_id) as finished:
        job = await visible_job(request, job_id)
        if not JobStatus(job["status"]).finished and not draining.is_set():
            stop = asyncio.ensure_future(draining.wait())
            done, _ = await asyncio.wait([finished, stop], timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            await asyncio.gather(stop, return_exceptions=True)
            if finished in done:
                finished.result()  # a subscription that lost Redis raises here (503), as before
            job = await run_in_threadpool(svc.store.get, job_id)
    return job


async def list_jobs(request: Request) -> Response:
    jobs, next_cursor = await job_page(request)
    return JSONResponse({"jobs": jobs, "next_cursor": next_cursor})


async def job_page(request: Request) -> tuple[list[dict], str | None]:
    """One page of the jobs the caller may see, filtered by the query (status, model, schedule_id, limit, cursor)."""
    svc, q = services(request), request.query_params
    status = q.get("status")
    if status is not None and status not in {s.value for s in JobStatus}:
        raise InvalidRequest(f"status must be one of: {', '.join(s.value for s in JobStatus)}", field="status")
    limit = int_param(request, "limit", 50, 1, LIST_MAX)
    cursor = q.get("cursor")
    if cursor and not cursor.isdigit():
        raise InvalidRequest("cursor must be the next_cursor of a previous page", field="cursor")
    jobs, next_cursor = await run_in_threadpool(
        svc.store.list, status=status, model=q.get("model"), schedule_id=q.get("schedule_id"),
        owner=principal(request).owner_scope, limit=limit, cursor=cursor)
    return [present(j) for j in jobs], next_cursor


async def rerun(request: Request) -> Response:
    """Submit a finished or running job's spec again as a new job (the same model version and input)."""
    svc, job_id = services(request), request.path_params["job_id"]
    body = request_of(await visible_job(request, job_id))
    job, _ = await run_in_threadpool(submit_job, svc, body, request.app.state.enqueue,
                                     created_by=principal(request).name)
    return JSONResponse(present(job), status_code=202)


async def cancel(request: Request) -> Response:
    svc, job_id = services(request), request.path_params["job_id"]
    await visible_job(request, job_id)
    if not await run_in_threadpool(cancel_job, svc, job_id):
        job = await run_in_threadpool(svc.store.get, job_id)
        raise Conflict(f"job {job_id} is already {job['status']}; only queued or running jobs can be canceled")
    return JSONResponse(present(await run_in_threadpool(svc.store.get, job_id)))


async def results(request: Request) -> Response:
    svc, job_id = services(request), request.path_params["job_id"]
    job = await visible_job(request, job_id)
    if job["status"] != JobStatus.COMPLETED.value:
        raise Conflict(f"job {job_id} is {job['status']}; results exist once it is completed")
    if request.query_params.get("errors", "false") not in ("true", "false"):
        raise InvalidRequest("errors must be true or false", field="errors")
    if request.query_params.get("errors") == "true":
        return await _file(svc.data.errors_file(job_id), "jsonl", f"{job_id}-errors.jsonl")
    stored = job["result"]["format"]
    wanted = request.query_params.get("format", stored)
    if wanted not in MEDIA_TYPES:
        raise InvalidRequest(f"format must be one of: {', '.join(MEDIA_TYPES)}", field="format")
    path = svc.data.result_file(job_id, stored)
    if wanted == stored:
        return await _file(path, stored, f"{job_id}{FORMAT_SUFFIXES[stored]}")
    return StreamingResponse(_converted(path, stored, wanted), media_type=MEDIA_TYPES[wanted],
                             headers={"Content-Disposition": f'attachment; filename="{job_id}.{wanted}"'})


def _converted(path, stored: str, wanted: str):
    """The stored result as another format, streamed batch by batch from the open file."""
    with path.open() as f:
        yield from output.convert(f, stored, wanted)


async def _file(path: Location, fmt: str, filename: str) -> Response:
    """A stored result as a download: sent by the OS from disk, streamed in blocks from S3."""
    if not await run_in_threadpool(path.is_file):
        raise Conflict("the file is gone (the job was deleted?)")
    if path.local:
        return FileResponse(path.path, media_type=MEDIA_TYPES[fmt], filename=filename)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "Content-Length": str(await run_in_threadpool(path.size))}
    return StreamingResponse(_blocks(path), media_type=MEDIA_TYPES[fmt], headers=headers)


def _blocks(path: Location) -> Iterator[bytes]:
    with path.open_native() as f:
        while block := f.read(DOWNLOAD_BLOCK_BYTES):
            yield block


async def events(request: Request) -> Response:
    svc, job_id = services(request), request.path_params["job_id"]
    await visible_job(request, job_id)
    return JSONResponse({"events": await run_in_threadpool(svc.store.events, job_id)})


async def delete(request: Request) -> Response:
    svc, job_id = services(request), request.path_params["job_id"]
    job = await visible_job(request, job_id)
    if not JobStatus(job["status"]).finished:
        raise Conflict(f"job {job_id} is {job['status']}; cancel it first, then delete it")
    await run_in_threadpool(svc.store.delete, job_id)
    await run_in_threadpool(svc.data.job_dir(job_id).remove_tree)
    return Response(status_code=204)
